"""Metadata filters for local search: which documents (by id glob) and which tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from grounding.errors import InputError
from grounding.schema import Chunk

__all__ = ["Filter", "as_filter"]


@dataclass(frozen=True)
class Filter:
    """Keep chunks whose doc id matches any of `doc_ids` (globs) and that carry every tag.

    `Filter(doc_ids=("notes/travel/*",), tags=("2024",))`; empty means no restriction.
    """

    doc_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # accept a single string where a tuple is expected: Filter(doc_ids="a/*")
        for name in ("doc_ids", "tags"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            else:
                object.__setattr__(self, name, tuple(value))

    @property
    def empty(self) -> bool:
        return not self.doc_ids and not self.tags

    def matches_doc(self, doc_id: str) -> bool:
        return not self.doc_ids or any(fnmatchcase(doc_id, pattern) for pattern in self.doc_ids)

    def matches(self, chunk: Chunk) -> bool:
        return self.matches_doc(chunk.doc_id) and set(self.tags) <= set(chunk.tags)


def as_filter(filters: Filter | Mapping[str, Any] | None) -> Filter | None:
    """A Filter from a Filter, a mapping such as {"doc_ids": [...], "tags": [...]}, or None."""
    if filters is None or isinstance(filters, Filter):
        return None if filters is None or filters.empty else filters
    unknown = set(filters) - {"doc_ids", "tags"}
    if unknown:
        raise InputError(f"unknown filter keys {sorted(unknown)}: use 'doc_ids' and 'tags'")
    made = Filter(**filters)
    return None if made.empty else made
