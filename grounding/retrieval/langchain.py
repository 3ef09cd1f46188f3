"""A LangChain `BaseRetriever` over any grounding retriever (the local index included).

    from grounding.retrieval.langchain import GroundingRetriever
    retriever = GroundingRetriever(index=open_store("notes"), k=4)
    docs = retriever.invoke("when was the lighthouse lit?")

Only this module imports langchain-core, so the rest of grounding does not need it.
"""

from __future__ import annotations

from typing import Any

from grounding.errors import ConfigError

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:  # an optional extra
    raise ConfigError(
        "the LangChain adapter needs langchain-core: pip install 'grounding[langchain]'"
    ) from exc

from grounding.retrieval.filters import as_filter
from grounding.schema import SearchHit

__all__ = ["GroundingRetriever", "to_document"]


def to_document(hit: SearchHit) -> Document:
    """A LangChain Document whose metadata says where the text came from and how it scored."""
    chunk = hit.chunk
    return Document(
        page_content=chunk.text,
        id=chunk.id,
        metadata={
            "source": chunk.uri,
            "title": chunk.title,
            "doc_id": chunk.doc_id,
            "start": chunk.start,
            "end": chunk.end,
            "score": hit.score,
            "tags": list(chunk.tags),
            "origin": hit.origin,
            "retriever": hit.retriever,
        },
    )


class GroundingRetriever(BaseRetriever):
    """Plugs a grounding `Retriever` (e.g. `LocalIndex`) into LangChain chains.

    `filters` (`{"doc_ids": [...], "tags": [...]}`) need a retriever that can filter
    (`can_filter`: the local stores).
    """

    index: Any  # a grounding.retrieval.base.Retriever; Any keeps pydantic out of its type
    k: int = 5
    filters: dict[str, Any] | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        chosen = as_filter(self.filters)
        if chosen is None:
            hits = self.index.search(query, k=self.k)
        else:
            hits = self.index.search_filtered(query, self.k, chosen)
        return [to_document(hit) for hit in hits]
