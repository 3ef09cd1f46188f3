"""The rerank stage: one list of candidates, from any retrievers, put in a better order.

A `Reranker` takes the question and the candidate hits (local and web together,
already fused) and returns the best `k`, best first. Implementations are chosen
by name from the `grounding.rerankers` entry points:

- `none`: the fused order as it is (the default);
- `sentence`: each chunk scored by its sentence that best matches the question, with
  the packaged MiniLM (`rerank/sentence.py`; bench/retrieval.py measures it
  and any cross-encoder on disk);
- `cross-encoder`: a one-logit cross-encoder checkpoint (e.g. an MS MARCO MiniLM
  reranker, as sentence-transformers' `CrossEncoder` saves it) from a local folder,
  `model=PATH` or `GROUNDING_RERANKER_MODEL` (`rerank/cross_encoder.py`); never fetched
  from a hub, and run by the `PairClassifier` the cross-encoder scorer runs too
  (`backends/pair_classifier.py`: `.safetensors` only).

    get_reranker("cross-encoder", model="/models/ms-marco-MiniLM-L6-v2").rerank(q, hits, 5)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from grounding.config import Settings
from grounding.plugins import Registry
from grounding.schema import SearchHit

__all__ = [
    "DEFAULT_RERANKER",
    "RERANKERS",
    "FusedOrder",
    "Reranker",
    "get_reranker",
    "list_rerankers",
]

DEFAULT_RERANKER = "none"


class Reranker(ABC):
    """Orders candidate hits for `query`; returns the best `k`, best first.

    `reorders` says whether it changes the order at all; one that does is given a wider
    pool of candidates to choose from than the `k` it returns.
    """

    name: str
    reorders: ClassVar[bool] = True

    @abstractmethod
    def rerank(self, query: str, hits: Sequence[SearchHit], k: int) -> list[SearchHit]: ...


RERANKERS: Registry[type[Reranker]] = Registry(
    "grounding.rerankers", "reranker", interface=Reranker
)


def list_rerankers() -> list[str]:
    """The names of every installed reranker."""
    return RERANKERS.names()


def get_reranker(
    name: str | None = None, settings: Settings | None = None, **options: Any
) -> Reranker:
    """The reranker registered as `name` (the default when None).

    `settings` (the environment's when None) reach the rerankers that declare `uses_settings`."""
    return RERANKERS.create(name or DEFAULT_RERANKER, settings, **options)


class FusedOrder(Reranker):
    """The candidates in the order retrieval fused them (no reranking)."""

    name = "none"
    reorders = False
    description = "keep the fused retrieval order (no reranking)"

    def rerank(self, query: str, hits: Sequence[SearchHit], k: int) -> list[SearchHit]:
        return list(hits[: max(k, 0)])
