"""Choosing, from each fetched page, the passages that answer the question.

Pages are chunked exactly as the local index chunks documents, so web and
local hits are the same size and fuse fairly. Embedding every chunk of every
page would cost more than fetching them (on a CPU, embedding is the slowest
step of a web search), so each page's chunks are first narrowed by word
overlap with the question to `candidates_per_page` (2 by default), then
ranked by cosine similarity with the embedder the local index uses, in one
batch for all pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grounding.models import DEFAULT_EMBEDDING_MODEL, embed
from grounding.retrieval.chunking import chunk_text
from grounding.schema import Chunk, SearchHit
from grounding.text import content_words, looks_like_instructions

__all__ = [
    "MAX_PAGE_CHARS",
    "SUSPECT_TAG",
    "WebDocument",
    "embed_texts",
    "select_passages",
]

MAX_PAGE_CHARS = 100_000  # text beyond this is not read: answers sit near the top of pages
SUSPECT_TAG = "suspect-instructions"


@dataclass(frozen=True)
class WebDocument:
    """The text known for one search result: its page's main text, or only the snippet."""

    url: str
    title: str
    text: str
    rank: int
    is_snippet: bool = False


def embed_texts(texts: Sequence[str], model: str = DEFAULT_EMBEDDING_MODEL) -> np.ndarray:
    """Unit-length embeddings, one row per text."""
    return embed(texts, model)


def select_passages(
    question: str,
    documents: Sequence[WebDocument],
    retriever: str = "web",
    per_page: int = 1,
    candidates_per_page: int = 2,
    model: str = DEFAULT_EMBEDDING_MODEL,
) -> list[SearchHit]:
    """The best `per_page` passages of every document, as web hits, best cosine first.

    Passages that read like instructions to the model are ranked after all others.
    """
    candidates: list[Chunk] = []
    for document in documents:
        candidates.extend(_candidates(question, document, candidates_per_page))
    if not candidates:
        return []
    vectors = embed_texts([question, *(chunk.text for chunk in candidates)], model)
    scores = vectors[1:] @ vectors[0]
    best: dict[str, list[tuple[float, Chunk]]] = {}
    for chunk, score in zip(candidates, scores, strict=True):
        best.setdefault(chunk.doc_id, []).append((float(score), chunk))
    hits = [
        SearchHit(chunk=chunk, score=score, origin="web", retriever=retriever)
        for ranked in best.values()
        for score, chunk in sorted(ranked, key=lambda pair: -pair[0])[:per_page]
    ]
    # a page that tries to instruct the model keeps its passage, as evidence, but goes last
    return sorted(hits, key=lambda hit: (SUSPECT_TAG in hit.chunk.tags, -hit.score))


def _candidates(question: str, document: WebDocument, limit: int) -> list[Chunk]:
    """The document's chunks sharing the most words with the question, at most `limit`."""
    tags = ("web", "snippet") if document.is_snippet else ("web",)
    text = document.text[:MAX_PAGE_CHARS]
    chunks = chunk_text(
        text, doc_id=document.url, title=document.title, uri=document.url, tags=tags
    )
    chunks = [_flag(chunk) for chunk in chunks if chunk.text.strip()]
    if len(chunks) <= limit:
        return chunks
    wanted = set(content_words(question))
    overlap = [len(wanted & set(content_words(chunk.text))) for chunk in chunks]
    order = sorted(range(len(chunks)), key=lambda i: (-overlap[i], i))[:limit]
    return [chunks[i] for i in sorted(order)]


def _flag(chunk: Chunk) -> Chunk:
    """Tag a chunk whose text tries to instruct the model, so prompts and users can see it."""
    if looks_like_instructions(chunk.text):
        return chunk.model_copy(update={"tags": (*chunk.tags, SUSPECT_TAG)})
    return chunk
