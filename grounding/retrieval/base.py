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
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from grounding.schema import RetrievalMetadata, SearchHit

__all__ = ["Retrieved", "Retriever"]


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

    @abstractmethod
    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        """The `k` best hits for `query`, best first."""

    def retrieve(self, query: str, k: int = 5) -> Retrieved:
        """`search`'s hits with the queries, warnings and web use that produced them."""
        return Retrieved(hits=self.search(query, k))
