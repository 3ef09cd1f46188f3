"""Choosing, from each fetched page, the passages that answer the question.

Pages are chunked exactly as the local index chunks documents, so web and
local hits are the same size and fuse fairly. Embedding every chunk of every
page would cost more than fetching them (on a CPU, embedding is the slowest
step of a web search), so each page's chunks are first narrowed by BM25
against the question (term statistics over the chunks of all pages together)
to `candidates_per_page` (2 by default), then ranked by cosine similarity
with the embedder the local index uses, for all pages together, in small
batches of similar length (little padding). `WebSearch` embeds the question
while the pages are still being fetched and passes its vector in.
"""

from __future__ import annotations

import math
from collections import Counter
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
_BATCH = 4  # passages per model batch: they are sorted by length, so a batch pads little


@dataclass(frozen=True)
class WebDocument:
    """The text known for one search result: its page's main text, or only the snippet."""

    url: str
    title: str
    text: str
    rank: int
    is_snippet: bool = False


def embed_texts(
    texts: Sequence[str], model: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = _BATCH
) -> np.ndarray:
    """Unit-length embeddings, one row per text."""
    return embed(texts, model, batch_size=batch_size)


def select_passages(
    question: str,
    documents: Sequence[WebDocument],
    retriever: str = "web",
    per_page: int = 1,
    candidates_per_page: int = 2,
    model: str = DEFAULT_EMBEDDING_MODEL,
    question_vector: np.ndarray | None = None,
) -> list[SearchHit]:
    """The best `per_page` passages of every document, as web hits, best cosine first.

    `question_vector`: the question's unit vector from `embed_texts`, when already known.
    Passages that read like instructions to the model are ranked after all others.
    """
    pages = [_chunks(document) for document in documents]
    candidates = _prefilter(question, pages, candidates_per_page)
    if not candidates:
        return []
    if question_vector is None:
        question_vector = embed_texts([question], model)[0]
    scores = embed_texts([chunk.text for chunk in candidates], model) @ question_vector.ravel()
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


def _chunks(document: WebDocument) -> list[Chunk]:
    """The document's chunks, cut as the local index cuts, instruction-like ones flagged."""
    tags = ("web", "snippet") if document.is_snippet else ("web",)
    text = document.text[:MAX_PAGE_CHARS]
    chunks = chunk_text(
        text, doc_id=document.url, title=document.title, uri=document.url, tags=tags
    )
    return [_flag(chunk) for chunk in chunks if chunk.text.strip()]


def _prefilter(question: str, pages: list[list[Chunk]], limit: int) -> list[Chunk]:
    """Each page's `limit` chunks with the best BM25 score for the question (ties: earlier
    first), scored with document frequencies over all pages' chunks, in page order."""
    wanted = set(content_words(question))
    bags = [[Counter(content_words(chunk.text)) for chunk in chunks] for chunks in pages]
    every = [bag for page in bags for bag in page]
    if not every:
        return []
    average = sum(sum(bag.values()) for bag in every) / len(every) or 1.0
    frequency = {word: sum(word in bag for bag in every) for word in wanted}
    idf = {
        word: math.log(1 + (len(every) - count + 0.5) / (count + 0.5))
        for word, count in frequency.items()
    }
    chosen: list[Chunk] = []
    for chunks, page in zip(pages, bags, strict=True):
        scores = [_bm25(bag, idf, average) for bag in page]
        order = sorted(range(len(chunks)), key=lambda i: (-scores[i], i))[:limit]
        chosen += [chunks[i] for i in sorted(order)]
    return chosen


def _bm25(bag: Counter[str], idf: dict[str, float], average: float) -> float:
    """Okapi BM25 (k1 1.5, b 0.75) of one chunk's word counts for the question's words."""
    length = sum(bag.values())
    norm = 1.5 * (0.25 + 0.75 * length / average)
    return sum(weight * bag[w] * 2.5 / (bag[w] + norm) for w, weight in idf.items() if bag[w])


def _flag(chunk: Chunk) -> Chunk:
    """Tag a chunk whose text tries to instruct the model, so prompts and users can see it."""
    if looks_like_instructions(chunk.text):
        return chunk.model_copy(update={"tags": (*chunk.tags, SUSPECT_TAG)})
    return chunk
