"""Filters for local search from `--filter` values and mappings (`Filter` is in `base.py`).

On the command line (`ask`, `serve`, `eval --pipeline`), `--filter tag=NAME` keeps
chunks that carry the tag (given with `index build --tag`) and `--filter doc=GLOB`
keeps documents whose id matches the glob (`notes/travel/*`); repeat to combine:
every tag must be present, any glob may match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from grounding.errors import ConfigError, InputError
from grounding.retrieval.base import Filter, Retriever
from grounding.schema import SearchHit

__all__ = ["FilteredRetriever", "as_filter", "parse_filters"]


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
        if not inner.can_filter:
            raise ConfigError(f"retriever {inner.name!r} cannot filter by tag or document")
        self.inner = inner
        self.filters = filters
        self.name = inner.name

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        return self.inner.search_filtered(query, k, self.filters)

    def __getattr__(self, name: str) -> Any:  # the index's other members (files, settings)
        if name == "inner":  # not set yet (copying, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)
