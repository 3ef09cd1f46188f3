"""The rerank stage: one list of candidates, from any retrievers, put in a better order.

A `Reranker` takes the question and the candidate hits (local and web together,
already fused) and returns the best `k`, best first. Implementations are chosen
by name from the `grounding.rerankers` entry points:

- `none`: the fused order as it is (the default);
- `sentence`: each chunk scored by its sentence that best matches the question, with
  the packaged MiniLM (`retrieval/sentence_rerank.py`; bench/retrieval.py measures it
  and any cross-encoder on disk);
- `cross-encoder`: a one-logit cross-encoder checkpoint (e.g. an MS MARCO MiniLM
  reranker, as sentence-transformers' `CrossEncoder` saves it) from a local folder,
  `model=PATH` or `GROUNDING_RERANKER_MODEL`; never fetched from a hub, and loaded as
  the cross-encoder scorer loads its model (`models.pair_classifier`: `.safetensors` only).

    get_reranker("cross-encoder", model="/models/ms-marco-MiniLM-L6-v2").rerank(q, hits, 5)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from grounding.config import Settings, setting
from grounding.errors import ConfigError, ModelError
from grounding.models import pair_classifier, pair_logits
from grounding.plugins import RERANKERS
from grounding.schema import SearchHit

__all__ = [
    "DEFAULT_RERANKER",
    "CrossEncoderReranker",
    "FusedOrder",
    "Reranker",
    "get_reranker",
    "list_rerankers",
]

DEFAULT_RERANKER = "none"


@runtime_checkable
class Reranker(Protocol):
    """Orders candidate hits for `query`; returns the best `k`, best first."""

    name: str

    def rerank(self, query: str, hits: Sequence[SearchHit], k: int) -> list[SearchHit]: ...


def list_rerankers() -> list[str]:
    """The names of every installed reranker."""
    return RERANKERS.names()


def get_reranker(
    name: str | None = None, settings: Settings | None = None, **options: Any
) -> Reranker:
    """The reranker registered as `name` (the default when None).

    `settings` (the environment's when None) reach the rerankers that declare `uses_settings`."""
    reranker: Reranker = RERANKERS.create(name or DEFAULT_RERANKER, settings, **options)
    return reranker


class FusedOrder:
    """The candidates in the order retrieval fused them (no reranking)."""

    name = "none"
    description = "keep the fused retrieval order (no reranking)"

    def rerank(self, query: str, hits: Sequence[SearchHit], k: int) -> list[SearchHit]:
        return list(hits[: max(k, 0)])


class CrossEncoderReranker:
    """Scores each (question, chunk) pair with a local cross-encoder; best scores first."""

    name = "cross-encoder"
    description = (
        "a local sentence-transformers CrossEncoder (model=PATH or GROUNDING_RERANKER_MODEL)"
    )
    uses_settings = True

    def __init__(
        self,
        model: str | Path | None = None,
        batch_size: int = 16,
        max_length: int = 512,
        settings: Settings | None = None,
    ) -> None:
        folder = model or setting("reranker_model", settings)
        if not folder:
            raise ConfigError(
                "the cross-encoder reranker needs a local model folder: pass model=PATH "
                "or set GROUNDING_RERANKER_MODEL"
            )
        if not Path(folder).is_dir():
            raise ModelError(
                f"reranker model {str(folder)!r} is not a local folder; download the "
                "checkpoint first (models are never fetched at run time)"
            )
        self.tokenizer, self.model = pair_classifier(Path(folder), "the cross-encoder reranker")
        if self.model.config.num_labels != 1:
            raise ModelError(
                f"{folder} has {self.model.config.num_labels} outputs; a reranker gives one "
                "relevance score per (question, passage) pair"
            )
        self.batch_size = batch_size
        self.max_length = max_length

    def rerank(self, query: str, hits: Sequence[SearchHit], k: int) -> list[SearchHit]:
        if not hits or k <= 0:
            return []
        scores = self._scores(query, [hit.chunk.text for hit in hits])
        order = sorted(range(len(hits)), key=lambda i: -float(scores[i]))[:k]
        return [hits[i].model_copy(update={"score": float(scores[i])}) for i in order]

    def _scores(self, query: str, texts: list[str]) -> list[float]:
        """P(relevant) of each (query, text) pair: the sigmoid of the model's one logit, as
        sentence-transformers' `CrossEncoder.predict` gives it."""
        import torch

        pairs = [(query, text) for text in texts]
        logits = pair_logits(
            self.tokenizer, self.model, pairs, self.batch_size, self.max_length,
            truncation=True, what="the cross-encoder reranker",
        )  # fmt: skip
        return [float(p) for p in torch.sigmoid(logits[:, 0])]
