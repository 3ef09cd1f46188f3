"""The `cross-encoder` reranker: a one-logit cross-encoder checkpoint (e.g. an MS MARCO
MiniLM reranker, as sentence-transformers' `CrossEncoder` saves it) from a local folder.

    get_reranker("cross-encoder", model="/models/ms-marco-MiniLM-L6-v2").rerank(q, hits, 5)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grounding.backends.pair_classifier import PairClassifier
from grounding.config import Settings, setting
from grounding.errors import ModelError
from grounding.retrieval.rerank.base import Reranker
from grounding.schema import SearchHit

__all__ = ["CrossEncoderReranker"]


class CrossEncoderReranker(Reranker):
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
        self.classifier = PairClassifier(
            model or setting("reranker_model", settings), "the cross-encoder reranker",
            "GROUNDING_RERANKER_MODEL", batch_size, max_length, truncation=True,
        )  # fmt: skip
        if self.classifier.num_labels != 1:
            raise ModelError(
                f"{self.classifier.folder} has {self.classifier.num_labels} outputs; a reranker "
                "gives one relevance score per (question, passage) pair"
            )

    def rerank(self, query: str, hits: Sequence[SearchHit], k: int) -> list[SearchHit]:
        if not hits or k <= 0:
            return []
        # P(relevant) of each pair: the sigmoid of the model's one logit
        scores = self.classifier.probabilities([(query, hit.chunk.text) for hit in hits])
        order = sorted(range(len(hits)), key=lambda i: -float(scores[i]))[:k]
        return [hits[i].model_copy(update={"score": float(scores[i])}) for i in order]
