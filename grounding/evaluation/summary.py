"""From one scorer's predictions to its numbers, and from those to metrics.json.

`metrics.json` keeps the contract's keys for the first scorer at the top level
(`n, checker, example, span, by_task, seconds, examples_per_second`) and every
scorer's full numbers under `scorers`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grounding.evaluation.data import DATASET_CITATIONS, EvalRow, RowError
from grounding.evaluation.metrics import (
    Calibration,
    ExampleMetrics,
    SpanMetrics,
    ThresholdChoice,
    best_f1_threshold,
    calibration,
    example_metrics,
    span_metrics,
)
from grounding.evaluation.runner import Prediction

__all__ = ["DataInfo", "ScorerSummary", "build_metrics", "data_info", "summarise", "write_json"]


@dataclass(frozen=True)
class ScorerSummary:
    """Everything the report says about one scorer."""

    scorer: str
    threshold: float
    n: int
    example: ExampleMetrics
    span: SpanMetrics  # rows with gold spans (the contract)
    span_all_rows: SpanMetrics  # every row: predicted spans on supported answers count as wrong
    by_task: dict[str, ExampleMetrics]
    best: ThresholdChoice
    best_example: ExampleMetrics  # the example metrics at the F1-optimal threshold
    calibration: Calibration
    seconds: float  # sum of per-row checking time (survives resumes)
    predictions: Sequence[Prediction] = field(repr=False, default=())

    @property
    def examples_per_second(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "checker": self.scorer,
            "threshold": self.threshold,
            "example": self.example.as_dict(),
            "span": self.span.as_dict(),
            "span_all_rows": self.span_all_rows.as_dict(),
            "by_task": {task: m.as_dict() for task, m in sorted(self.by_task.items())},
            "best_threshold": {**asdict(self.best), "example": self.best_example.as_dict()},
            "calibration": asdict(self.calibration),
            "seconds": self.seconds,
            "examples_per_second": self.examples_per_second,
        }


@dataclass(frozen=True)
class DataInfo:
    """What was evaluated: the file, its data sets (with citations) and the lines left out."""

    path: str
    rows: int
    datasets: dict[str, int]
    citations: dict[str, tuple[str, str]]
    skipped: list[RowError]


def data_info(path: Path, rows: Sequence[EvalRow], skipped: Sequence[RowError]) -> DataInfo:
    datasets: dict[str, int] = {}
    for row in rows:
        if row.dataset:
            datasets[row.dataset] = datasets.get(row.dataset, 0) + 1
    citations = {
        name: DATASET_CITATIONS[name.lower()]
        for name in datasets
        if name.lower() in DATASET_CITATIONS
    }
    return DataInfo(str(path), len(rows), datasets, citations, list(skipped))


def _arrays(predictions: Sequence[Prediction]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    labels = np.fromiter((p.label for p in predictions), dtype=np.int64, count=len(predictions))
    predicted = np.fromiter((p.predicted for p in predictions), np.int64, len(predictions))
    scores = np.fromiter((p.score for p in predictions), np.float64, len(predictions))
    return labels, predicted, scores


def summarise(predictions: Sequence[Prediction], scorer: str, threshold: float) -> ScorerSummary:
    """All metrics of one scorer's predictions (positive = unsupported)."""
    labels, predicted, scores = _arrays(predictions)
    with_spans = [p for p in predictions if p.gold_spans]
    by_task: dict[str, ExampleMetrics] = {}
    for task in sorted({p.task for p in predictions}):
        subset = [p for p in predictions if p.task == task]
        by_task[task] = example_metrics(*_arrays(subset))
    support = 1.0 - scores
    best = best_f1_threshold(labels, support)
    return ScorerSummary(
        scorer=scorer,
        threshold=threshold,
        n=len(predictions),
        example=example_metrics(labels, predicted, scores),
        span=span_metrics(
            [p.gold_spans for p in with_spans], [p.predicted_spans for p in with_spans]
        ),
        span_all_rows=span_metrics(
            [p.gold_spans for p in predictions], [p.predicted_spans for p in predictions]
        ),
        by_task=by_task,
        best=best,
        best_example=example_metrics(labels, support < best.threshold, scores),
        calibration=calibration(labels, scores),
        seconds=float(sum(p.seconds for p in predictions)),
        predictions=predictions,
    )


def build_metrics(summaries: Sequence[ScorerSummary], data: DataInfo) -> dict[str, Any]:
    """The metrics.json object: the first scorer's keys on top, every scorer under `scorers`."""
    first = summaries[0].as_dict()
    return {
        **first,
        "data": {
            "path": data.path,
            "rows": data.rows,
            "datasets": data.datasets,
            "citations": {name: list(cite) for name, cite in data.citations.items()},
            "skipped_rows": [{"line": e.line, "message": e.message} for e in data.skipped],
        },
        "span_definition": (
            "character overlap, micro-averaged over characters of the rows that have gold "
            "spans (span_all_rows: over every row)"
        ),
        "scorers": {s.scorer: s.as_dict() for s in summaries},
    }


def write_json(path: Path, value: Any) -> None:
    """Write JSON atomically (a crash leaves the previous file)."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)
