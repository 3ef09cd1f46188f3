"""An offline reranker: each candidate chunk scored by its sentence that best answers the question.

A chunk of 700 characters holds several things; the one sentence that answers can be
buried in a chunk whose other sentences are about something else, and the chunk
then ranks low on both the chunk vector and BM25 ("Support for VMS and Amiga has
been removed." in a release's bug-fix list ranked 22nd for "Support for which
systems was removed from gzip in 1.9?"). This reranker looks at sentences:

1. every candidate is split into clean sentences (`grounding.core.text.sentence_spans`);
   each sentence's *lexical* score is the rarity-weighted share of the question's
   content words it holds (rarity among the candidates, as the extractive decoder
   weighs them);
2. a chunk's first-stage score is its best sentence's lexical score, plus
   `CHUNK_WEIGHT` times the share its whole text (with title and section heading)
   holds, minus `RANK_PENALTY` per place in the fused order;
3. the best `SECOND_STAGE` chunks by that score are scored again with each sentence
   at `COSINE_WEIGHT` x its MiniLM cosine to the question (the packaged embedder,
   trained on question-answer pairs) + the rest x its lexical score; the best `k` by
   that score (plus the same chunk and rank terms) are returned, best first.

Only the second stage embeds (about as many sentences as the extractive decoder
embeds for its five sources), so the pool can be deep: the `Grounder` hands it
k x `RERANK_POOL` fused candidates. The weights were chosen on the demo questions
and the tune part of eval/realdocs (bench/retrieval.py measures them). It is not the
default: its sources hold the answer more often, but they also hold sentences that
share the question's words when the corpus cannot answer, and the extractive
decoder then answers more unanswerable questions (README, "Search").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grounding.backends.embedding_model import embed
from grounding.core.headings import clean
from grounding.core.text import content_words, question_weights, sentence_spans, weighted_share
from grounding.retrieval.rerank.base import Reranker
from grounding.schema import SearchHit

__all__ = ["SentenceReranker"]

CHUNK_WEIGHT = 0.2  # the share of the question's words the whole chunk holds
RANK_PENALTY = 0.005  # per place down the fused order
COSINE_WEIGHT = 0.6  # the second stage's sentence score: cosine vs question words
SECOND_STAGE = 10  # chunks whose sentences are embedded
_MAX_CHARS = 400  # of a sentence, embedded


class SentenceReranker(Reranker):
    """Orders candidates by their best sentence: question words first, then MiniLM cosine."""

    name = "sentence"
    description = (
        "each chunk scored by its sentence that best matches the question "
        "(question words, then the packaged MiniLM's cosine on the best 10)"
    )

    def __init__(
        self,
        cosine_weight: float = COSINE_WEIGHT,
        chunk_weight: float = CHUNK_WEIGHT,
        rank_penalty: float = RANK_PENALTY,
        second_stage: int = SECOND_STAGE,
    ) -> None:
        self.cosine_weight = cosine_weight
        self.chunk_weight = chunk_weight
        self.rank_penalty = rank_penalty
        self.second_stage = second_stage

    def rerank(self, query: str, hits: Sequence[SearchHit], k: int) -> list[SearchHit]:
        if not hits or k <= 0:
            return []
        chunk_words = [
            set(content_words(f"{h.chunk.title}\n{h.chunk.section}\n{h.chunk.text}")) for h in hits
        ]
        weight = question_weights(query, chunk_words)
        sentences = [_sentences(hit.chunk.text) for hit in hits]
        lexical = [np.array([weighted_share(set(content_words(s)), weight) for s in found])
                   for found in sentences]  # fmt: skip
        bonus = np.array(
            [self.chunk_weight * weighted_share(words, weight) - self.rank_penalty * place
             for place, words in enumerate(chunk_words)]
        )  # fmt: skip
        first = np.array([scores.max() for scores in lexical]) + bonus
        ranked = [int(i) for i in np.argsort(-first, kind="stable")]
        shortlist = ranked[: self.second_stage]
        texts = [f"{hits[i].chunk.title}: {s}" for i in shortlist for s in sentences[i]]
        vectors = embed([query, *texts])
        cosine = vectors[1:] @ vectors[0]
        score: dict[int, float] = {}
        start = 0
        for i in shortlist:
            end = start + len(sentences[i])
            mixed = self.cosine_weight * cosine[start:end] + (1 - self.cosine_weight) * lexical[i]
            score[i] = float(mixed.max() + bonus[i])
            start = end
        order = sorted(shortlist, key=lambda i: -score[i])[:k]
        if len(order) < k:  # fewer than k shortlisted: the rest in first-stage order
            rest = [i for i in ranked if i not in score]
            order += rest[: k - len(order)]
        return [hits[i].model_copy(update={"score": score.get(i, float(first[i]))}) for i in order]


def _sentences(text: str) -> list[str]:
    """The chunk's sentences of three words or more, cleaned of markup (else the whole text)."""
    found = [clean(text[start:end])[:_MAX_CHARS] for start, end in sentence_spans(text)]
    return [s for s in found if len(s.split()) >= 3] or [clean(text)[:_MAX_CHARS] or "-"]
