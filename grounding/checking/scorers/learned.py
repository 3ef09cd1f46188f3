"""The default scorer: word-level evidence features -> gradient-boosted trees, calibrated.

Offline and CPU-only: no model download, no embedding pass; the parameters ship in
`grounding/checking/params/` and were learned on the tune split of the RAGTruth rows in
`../shared/data` (`train/train_checker.py`). Scores are calibrated probabilities.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from grounding.checking.base import ClaimScore
from grounding.checking.features import build_evidence, citations, token_features
from grounding.checking.learned import PARAMS_DIR, LearnedModel, token_spans

__all__ = ["LearnedScorer"]


@functools.cache
def _model(directory: str) -> LearnedModel:
    return LearnedModel.load(Path(directory))


class LearnedScorer:
    """Scores all claims of one answer together (answer-level features need them all)."""

    name = "learned"
    description = (
        "word-level evidence features + boosted trees learned on RAGTruth, calibrated (offline)"
    )

    def __init__(self, params: str | Path | None = None) -> None:
        self.model = _model(str(params or PARAMS_DIR))
        self.threshold = self.model.threshold

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        """One verdict per claim; `unsupported` offsets are the words the model doubts."""
        if not claims:
            return []
        evidence = build_evidence(sources)
        table = token_features(claims, evidence)
        supports, token_p = self.model.predict(table, len(claims))
        return [
            ClaimScore(
                support=float(supports[k]),
                citations=citations(claim, evidence),
                unsupported=tuple(
                    token_spans(table, token_p, k, self.model.token_threshold, self.model.span_gap)
                ),
            )
            for k, claim in enumerate(claims)
        ]
