"""The retrieval seam: anything that finds chunks for a query."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from grounding.schema import SearchHit

__all__ = ["Retriever"]


@runtime_checkable
class Retriever(Protocol):
    """Finds the `k` chunks most relevant to `query`, best first."""

    name: str

    def search(self, query: str, k: int = 5) -> list[SearchHit]: ...
