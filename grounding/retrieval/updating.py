"""Bringing an index up to date: in this process (`building`), or on Ray (`ray_build`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from grounding.retrieval.building import update_from_files
from grounding.retrieval.stores import BuildReport, Index

__all__ = ["Updatable", "update"]


def update(
    index: Index,
    paths: Sequence[str | Path],
    tags: tuple[str, ...] = (),
    progress: bool | None = None,
    ray: bool | str = False,
    workers: int | None = None,
) -> BuildReport:
    """`update_from_files` in this process, or on Ray (`ray`: True = a local Ray, or an address)."""
    if ray is False:
        return update_from_files(index, paths, tags, progress)
    from grounding.retrieval.ray_build import update_with_ray

    address = None if ray is True else ray
    return update_with_ray(index, paths, tags, progress, address or None, workers)


class Updatable:
    """`update` for an index class that meets the `Index` protocol (LocalIndex, MilvusIndex)."""

    def update(
        self,
        paths: Sequence[str | Path],
        tags: Iterable[str] = (),
        progress: bool | None = None,
        ray: bool | str = False,
        workers: int | None = None,
    ) -> BuildReport:
        """Make this index hold exactly the files under `paths`; embeds only what changed.

        Returns what was added, changed, removed and embedded. Call `save()` to keep it.
        """
        index: Index = self  # type: ignore[assignment]  # the class using this meets Index
        return update(index, paths, tuple(tags), progress, ray, workers)
