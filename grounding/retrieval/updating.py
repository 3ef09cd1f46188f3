"""Bringing an index up to date: in this process (`building`), or on Ray (`ray_build`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grounding.retrieval.building import update_from_files
from grounding.retrieval.stores import BuildReport, Index

__all__ = ["update"]


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
