"""The `pair` reranker: each candidate read together with the question by the pair model's
answer head (`grounding.backends.pair`), kept close to the fused order.

A chunk's score is P(the chunk answers the question), read through its sentences that best
match the question (`PairModel.answer_scores`, as in training), minus `RANK_PENALTY` per
place down the fused order. The answer head alone reorders too eagerly (a sentence that
restates the question's words scores high): on the tune parts of eval/docs300,
eval/squad2e2e and eval/realdocs it lowered doc@1, while the penalty keeps retrieval's
confident lead and lets the answer head lift a buried chunk that answers
(bench/retrieval.py measures it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grounding.backends.pair import pair_model
from grounding.retrieval.rerank.base import Reranker
from grounding.schema import SearchHit

__all__ = ["RANK_PENALTY", "PairReranker"]

RANK_PENALTY = 0.03  # per place down the fused order; chosen on the tune parts (0.01-0.08 tried)


class PairReranker(Reranker):
    """Orders candidates by the pair model's P(answers the question), less a rank penalty;
    each hit returned carries that score."""

    name = "pair"
    description = (
        "the packaged pair model's answer head reads the question with each chunk "
        "(less a small penalty per place in the fused order)"
    )

    def __init__(self, rank_penalty: float = RANK_PENALTY) -> None:
        self.rank_penalty = rank_penalty

    def rerank(self, query: str, hits: Sequence[SearchHit], k: int) -> list[SearchHit]:
        if not hits or k <= 0:
            return []
        answers = pair_model().answer_scores(query, [hit.chunk.text for hit in hits])
        score = answers - self.rank_penalty * np.arange(len(hits))
        order = np.argsort(-score, kind="stable")[:k]
        return [hits[int(i)].model_copy(update={"score": float(score[i])}) for i in order]
