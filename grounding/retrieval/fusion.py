"""Reciprocal-rank fusion and near-duplicate removal over ranked hit lists."""

from __future__ import annotations

from collections.abc import Sequence

from grounding.schema import SearchHit
from grounding.text import content_words

__all__ = ["RRF_K", "dedupe", "reciprocal_rank_fusion"]

RRF_K = 60  # the constant of Cormack et al. (2009)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[SearchHit]], k: int = 10, rrf_k: int = RRF_K
) -> list[SearchHit]:
    """Fuse ranked lists: each hit scores sum(1 / (rrf_k + rank)); best `k` returned.

    Hits are the same when their chunk ids are; the first copy seen is kept and
    its score replaced by the fused score.
    """
    fused: dict[str, float] = {}
    first: dict[str, SearchHit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.chunk.id] = fused.get(hit.chunk.id, 0.0) + 1.0 / (rrf_k + rank)
            first.setdefault(hit.chunk.id, hit)
    order = sorted(fused, key=lambda chunk_id: -fused[chunk_id])[:k]
    return [first[chunk_id].model_copy(update={"score": fused[chunk_id]}) for chunk_id in order]


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
