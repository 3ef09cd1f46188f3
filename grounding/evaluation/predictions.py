"""One row's prediction: what a scorer said about it, made the same way in any process.

`score_row` is the one function that turns a labelled row into a `Prediction`; the
in-process loop (`runner.run_scorer`) and each Ray worker (`ray_eval`) call it.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict

from grounding.checking import Scorer, check_many
from grounding.errors import GroundingError
from grounding.evaluation.data import EvalRow
from grounding.schema import SupportReport

__all__ = ["Prediction", "score_row"]


class Prediction(BaseModel):
    """One scorer's verdict on one row, as stored in predictions.jsonl."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    scorer: str
    threshold: float
    fingerprint: str
    task: str
    label: int
    gold_spans: list[tuple[int, int]]
    score: float  # 1 - support: the ranking score for "unsupported"
    predicted: int  # 1 = predicted unsupported (not report.supported)
    seconds: float
    report: SupportReport

    @property
    def predicted_spans(self) -> list[tuple[int, int]]:
        return [(span.start, span.end) for span in self.report.unsupported_spans]


def score_row(row: EvalRow, scorer: Scorer, threshold: float, fingerprint: str) -> Prediction | str:
    """One row's prediction, or why the scorer could not check it (the same in any worker)."""
    started = time.perf_counter()
    try:
        report = check_many([(row.answer, row.sources)], scorer=scorer, threshold=threshold)[0]
    except GroundingError as exc:
        return str(exc)
    seconds = time.perf_counter() - started
    return _prediction(row, scorer.name, threshold, fingerprint, report, seconds)


def _prediction(
    row: EvalRow,
    scorer: str,
    threshold: float,
    fingerprint: str,
    report: SupportReport,
    seconds: float,
) -> Prediction:
    return Prediction(
        id=row.id,
        scorer=scorer,
        threshold=threshold,
        fingerprint=fingerprint,
        task=row.task,
        label=row.label,
        gold_spans=[(span.start, span.end) for span in row.spans],
        score=1.0 - report.score,
        predicted=int(not report.supported),
        seconds=seconds,
        report=report,
    )
