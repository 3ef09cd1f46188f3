"""The retrieval seam: anything that finds chunks for a query.

A retriever subclasses `Retriever` and writes `search`. The pipeline calls
`retrieve`, which returns the same hits with what else the caller should know
about how they were found (`Retrieved`: the web queries sent, warnings, whether
and why the web was searched); a retriever with nothing to add keeps the default.
Web search (`retrieval/web/search.py`) and local + web fused
(`retrieval/web/augment.py`) are retrievers too, so the pipeline holds one.

`Retriever` is an abstract class, not a protocol: `isinstance(x, Retriever)`
holds only for classes that say they are retrievers, not for anything that
happens to have a `search` method.

A retriever that can keep only some chunks (by document id and tag: a `Filter`) says
so with `can_filter = True` and writes `search_filtered`; the local stores do.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import ClassVar

from grounding.errors import ConfigError
from grounding.schema import Chunk, RetrievalMetadata, SearchHit

__all__ = ["Filter", "Retrieved", "Retriever"]


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


@dataclass(frozen=True)
class Retrieved:
    """Hits, best first, and how they were found: web queries sent, warnings, web use."""

    hits: list[SearchHit]
    queries: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    retrieval: RetrievalMetadata = field(default_factory=RetrievalMetadata)


class Retriever(ABC):
    """Finds the `k` chunks most relevant to a query, best first."""

    name: str
    can_filter: ClassVar[bool] = False  # True where `search_filtered` is written

    @abstractmethod
    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        """The `k` best hits for `query`, best first."""

    def retrieve(self, query: str, k: int = 5) -> Retrieved:
        """`search`'s hits with the queries, warnings and web use that produced them."""
        return Retrieved(hits=self.search(query, k))

    def search_filtered(self, query: str, k: int, filters: Filter) -> list[SearchHit]:
        """The `k` best hits among the chunks `filters` allows (where `can_filter` says so)."""
        raise ConfigError(f"retriever {self.name!r} cannot filter by tag or document")
