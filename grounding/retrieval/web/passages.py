"""Choosing, from each fetched page, the passages that answer the question.

Pages are chunked exactly as the local index chunks documents, so web and
local hits are the same size and fuse fairly. Embedding every chunk of every
page would cost more than fetching them (on a CPU, embedding is the slowest
step of a web search), so only short windows of the chunks are embedded, and
only the windows that can matter. Each chunk is cut into windows of whole
sentences of at most `WINDOW_CHARS` characters (about 100 word pieces; MiniLM
was tuned on up to 128, and an embedding's cost grows with its length). BM25
against the question (term statistics over the windows of all pages together)
then keeps each page's best window and, across all pages jointly, the best of
the rest, `candidates_per_page` windows per page on average (2 by default).
Those are ranked by cosine similarity with the embedder the local index uses,
in small batches of similar length (little padding); a chunk scores as its best
window, and the hit is the whole chunk. `WebSearch` embeds the question while
the pages are still being fetched and passes its vector in.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grounding.backends.embedding_model import DEFAULT_EMBEDDING_MODEL, embed
from grounding.core.text import content_words, looks_like_instructions, sentence_spans
from grounding.retrieval.index.chunking import chunk_text
from grounding.schema import Chunk, SearchHit

__all__ = [
    "DEFAULT_CANDIDATES_PER_PAGE",
    "MAX_PAGE_CHARS",
    "SUSPECT_TAG",
    "WINDOW_CHARS",
    "WebDocument",
    "embed_texts",
    "select_passages",
]

MAX_PAGE_CHARS = 100_000  # text beyond this is not read: answers sit near the top of pages
SUSPECT_TAG = "suspect-instructions"
WINDOW_CHARS = 400  # a window embedded: whole sentences up to this length (a long one alone)
DEFAULT_CANDIDATES_PER_PAGE = 2.0
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
    candidates_per_page: float = DEFAULT_CANDIDATES_PER_PAGE,
    model: str = DEFAULT_EMBEDDING_MODEL,
    question_vector: np.ndarray | None = None,
    window_chars: int = WINDOW_CHARS,
) -> list[SearchHit]:
    """The best `per_page` passages of every document, as web hits, best cosine first.

    `candidates_per_page`: windows embedded per page on average (at least each page's
    best by BM25). `question_vector`: the question's unit vector from `embed_texts`, when
    already known. `window_chars`: the longest window (a chunk's length or more: whole
    chunks). Passages that read like instructions to the model are ranked after all others.
    """
    pages = [
        [(chunk, _windows(chunk.text, window_chars)) for chunk in _chunks(document)]
        for document in documents
    ]
    candidates = _prefilter(question, pages, candidates_per_page)
    if not candidates:
        return []
    if question_vector is None:
        question_vector = embed_texts([question], model)[0]
    scores = embed_texts([text for _, text in candidates], model) @ question_vector.ravel()
    best_window: dict[str, tuple[float, Chunk]] = {}
    for (chunk, _), score in zip(candidates, scores, strict=True):
        if chunk.id not in best_window or score > best_window[chunk.id][0]:
            best_window[chunk.id] = (float(score), chunk)
    best: dict[str, list[tuple[float, Chunk]]] = {}
    for score, chunk in best_window.values():
        best.setdefault(chunk.doc_id, []).append((score, chunk))
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


def _windows(text: str, limit: int) -> list[str]:
    """`text` cut into runs of whole sentences of at most `limit` characters (a longer
    sentence is a window alone)."""
    windows: list[str] = []
    start = end = -1
    for begin, finish in sentence_spans(text):
        if start >= 0 and finish - start > limit:
            windows.append(text[start:end])
            start = -1
        if start < 0:
            start = begin
        end = finish
    if start >= 0:
        windows.append(text[start:end])
    return windows or [text]


def _prefilter(
    question: str, pages: list[list[tuple[Chunk, list[str]]]], per_page: float
) -> list[tuple[Chunk, str]]:
    """The (chunk, window) pairs worth embedding: each page's window with the best BM25
    score for the question (ties: earlier first), then the best-scoring others of all
    pages together, `per_page` per page on average; document frequencies are counted
    over the windows of all pages. In page order."""
    wanted = set(content_words(question))
    windows = [
        [(chunk, text, Counter(content_words(text))) for chunk, texts in page for text in texts]
        for page in pages
    ]
    every = [bag for page in windows for _, _, bag in page]
    if not every:
        return []
    average = sum(sum(bag.values()) for bag in every) / len(every) or 1.0
    frequency = {word: sum(word in bag for bag in every) for word in wanted}
    idf = {
        word: math.log(1 + (len(every) - count + 0.5) / (count + 0.5))
        for word, count in frequency.items()
    }
    chosen: set[tuple[int, int]] = set()
    rest: list[tuple[float, int, int]] = []
    for number, page in enumerate(windows):
        scores = [_bm25(bag, idf, average) for _, _, bag in page]
        order = sorted(range(len(page)), key=lambda i: (-scores[i], i))
        chosen.update((number, i) for i in order[:1])
        rest += [(-scores[i], number, i) for i in order[1:] if scores[i] > 0]
    budget = max(0, round(per_page * len(pages)) - len(chosen))
    chosen.update((number, i) for _, number, i in sorted(rest)[:budget])
    return [(windows[n][i][0], windows[n][i][1]) for n, i in sorted(chosen)]


def _bm25(bag: Counter[str], idf: dict[str, float], average: float) -> float:
    """Okapi BM25 (k1 1.5, b 0.75) of one window's word counts for the question's words."""
    length = sum(bag.values())
    norm = 1.5 * (0.25 + 0.75 * length / average)
    return sum(weight * bag[w] * 2.5 / (bag[w] + norm) for w, weight in idf.items() if bag[w])


def _flag(chunk: Chunk) -> Chunk:
    """Tag a chunk whose text tries to instruct the model, so prompts and users can see it."""
    if looks_like_instructions(chunk.text):
        return chunk.model_copy(update={"tags": (*chunk.tags, SUSPECT_TAG)})
    return chunk
