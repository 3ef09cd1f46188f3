"""Reciprocal-rank fusion that keeps decisive hits, and near-duplicate removal.

Plain reciprocal-rank fusion looks only at ranks, so a chunk that one retriever
ranks first by a wide margin (BM25 6.78 against 4.73 for the next, on the exact
term `os.EOL`) but another does not rank at all scores 1/61 and falls below
chunks both rank middling. Fusion here keeps such a *decisive* first hit: when a
ranking's first score leads its second by at least `LEAD` of that ranking's score
range (first minus last), the hit stays in the top k: where reciprocal rank would
leave it out, it takes the last place. Hits that fusion ranks well keep their order.
`LEAD` was chosen on the demo questions and the tune part of eval/realdocs.
"""

from __future__ import annotations

from collections.abc import Sequence

from grounding.core.text import content_words
from grounding.schema import SearchHit

__all__ = ["LEAD", "RRF_K", "dedupe", "lead", "reciprocal_rank_fusion"]

RRF_K = 60  # the constant of Cormack et al. (2009)
LEAD = 0.3


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[SearchHit]],
    k: int = 10,
    rrf_k: int = RRF_K,
    keep_lead: float | None = LEAD,
) -> list[SearchHit]:
    """Fuse ranked lists: each hit scores sum(1 / (rrf_k + rank)); best `k` returned.

    A ranking's first hit whose `lead` is at least `keep_lead` stays in the top `k`
    whatever the other rankings say: when the fused order leaves it out, it takes the
    last place (None: plain reciprocal-rank fusion). Its score stays its fused score.
    Hits are the same when their chunk ids are; the first copy seen is kept and
    its score replaced by the fused score.
    """
    fused: dict[str, float] = {}
    first: dict[str, SearchHit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.chunk.id] = fused.get(hit.chunk.id, 0.0) + 1.0 / (rrf_k + rank)
            first.setdefault(hit.chunk.id, hit)
    order = sorted(fused, key=lambda chunk_id: -fused[chunk_id])
    if keep_lead is not None and len(rankings) > 1:
        decisive = [r[0].chunk.id for r in rankings if r and lead(r) >= keep_lead]
        missing = [c for c in dict.fromkeys(decisive) if c not in order[:k]][:k]
        if missing:  # they take the last places of the top k, in their fused order
            order = [c for c in order if c not in missing][: k - len(missing)] + missing
    return [first[chunk_id].model_copy(update={"score": fused[chunk_id]}) for chunk_id in order[:k]]


def lead(ranking: Sequence[SearchHit]) -> float:
    """How far the first hit leads the second, as a share of the ranking's score range.

    (first - second) / (first - last), in [0, 1]; 0 for fewer than three hits, where
    no range says what a wide margin is.
    """
    if len(ranking) < 3:
        return 0.0
    spread = ranking[0].score - ranking[-1].score
    return (ranking[0].score - ranking[1].score) / spread if spread > 0 else 0.0


def dedupe(hits: Sequence[SearchHit], threshold: float = 0.8) -> list[SearchHit]:
    """Drop hits whose content words overlap an earlier hit's by `threshold` (Jaccard) or more."""
    kept: list[SearchHit] = []
    kept_words: list[set[str]] = []
    for hit in hits:
        words = set(content_words(hit.chunk.text))
        if any(_jaccard(words, other) >= threshold for other in kept_words):
            continue
        kept.append(hit)
        kept_words.append(words)
    return kept


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)
