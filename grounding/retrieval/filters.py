"""Metadata filters for local search: which documents (by id glob) and which tags.

On the command line (`ask`, `serve`, `eval --pipeline`), `--filter tag=NAME` keeps
chunks that carry the tag (given with `index build --tag`) and `--filter doc=GLOB`
keeps documents whose id matches the glob (`notes/travel/*`); repeat to combine:
every tag must be present, any glob may match.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from grounding.errors import ConfigError, InputError
from grounding.retrieval.base import Retriever
from grounding.schema import Chunk, SearchHit

__all__ = ["Filter", "FilteredRetriever", "as_filter", "parse_filters"]


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


def parse_filters(specs: Sequence[str]) -> Filter | None:
    """A Filter from `--filter` values such as `tag=2024` and `doc=notes/travel/*`."""
    tags: list[str] = []
    doc_ids: list[str] = []
    for spec in specs:
        key, sep, value = spec.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value or key not in {"tag", "doc"}:
            raise InputError(
                f"--filter {spec!r} is not tag=NAME or doc=GLOB (e.g. tag=2024, doc=notes/*)"
            )
        (tags if key == "tag" else doc_ids).append(value)
    return as_filter(Filter(doc_ids=tuple(doc_ids), tags=tuple(tags)))


class FilteredRetriever(Retriever):
    """A retriever whose every search keeps only what `filters` allows (an index's filter)."""

    def __init__(self, inner: Retriever, filters: Filter) -> None:
        if "filters" not in inspect.signature(inner.search).parameters:
            raise ConfigError(f"retriever {inner.name!r} cannot filter by tag or document")
        self.inner = inner
        self.filters = filters
        self.name = inner.name

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        hits: list[SearchHit] = self.inner.search(query, k=k, filters=self.filters)  # type: ignore[call-arg]
        return hits

    def __getattr__(self, name: str) -> Any:  # the index's other members (files, settings)
        if name == "inner":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)
