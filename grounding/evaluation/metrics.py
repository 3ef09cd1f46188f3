"""Classification, ranking, span and calibration metrics, in plain numpy.

The positive class is *unsupported* (label 1). A row's ranking score is
`1 - SupportReport.score` (higher = more likely unsupported), its predicted label
`not SupportReport.supported`, i.e. positive when the support score is below the
threshold. The definitions match scikit-learn's (tested against it); they are written
here so the harness stays fast and the report can sweep thresholds.

Span scores are micro-averaged over characters: over the rows that carry gold spans,
precision = |gold ∩ predicted characters| / |predicted characters| and
recall = |gold ∩ predicted characters| / |gold characters|, all summed over rows first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Calibration",
    "ExampleMetrics",
    "SpanMetrics",
    "ThresholdChoice",
    "auroc",
    "average_precision",
    "best_f1_threshold",
    "calibration",
    "example_metrics",
    "pr_curve",
    "roc_curve",
    "span_metrics",
]

Spans = Sequence[tuple[int, int]]


@dataclass(frozen=True)
class ExampleMetrics:
    """Answer-level metrics (positive = unsupported). None where undefined (one class only)."""

    n: int
    positives: int
    tp: int
    fp: int
    tn: int
    fn: int
    precision: float
    recall: float
    f1: float
    accuracy: float
    balanced_accuracy: float
    auroc: float | None
    auprc: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


@dataclass(frozen=True)
class SpanMetrics:
    """Character-overlap span metrics, micro-averaged over the rows that were counted."""

    rows: int
    gold_chars: int
    predicted_chars: int
    overlap_chars: int
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class ThresholdChoice:
    """A support threshold and the F1 it gives (predicted unsupported: support < threshold)."""

    threshold: float
    f1: float
    precision: float
    recall: float


@dataclass(frozen=True)
class Calibration:
    """A reliability diagram of P(unsupported) = 1 - support, in equal-width bins."""

    bin_edges: list[float]
    mean_predicted: list[float | None]
    observed_rate: list[float | None]
    counts: list[int]
    ece: float


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


def _f1(precision: float, recall: float) -> float:
    return _ratio(2 * precision * recall, precision + recall)


def example_metrics(labels: ArrayLike, predicted: ArrayLike, scores: ArrayLike) -> ExampleMetrics:
    """Metrics of predicted labels and ranking scores against gold labels (1 = unsupported)."""
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(predicted, dtype=bool)
    tp, fp = int(np.sum(y & p)), int(np.sum(~y & p))
    fn, tn = int(np.sum(y & ~p)), int(np.sum(~y & ~p))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    specificity = _ratio(tn, tn + fp)
    both = bool(y.any() and (~y).any())
    return ExampleMetrics(
        n=len(y),
        positives=int(y.sum()),
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        accuracy=_ratio(tp + tn, len(y)),
        balanced_accuracy=(recall + specificity) / 2,
        auroc=auroc(y, scores) if both else None,
        auprc=average_precision(y, scores) if y.any() else None,
    )


def auroc(labels: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve: the Mann-Whitney U statistic with tied ranks averaged."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    # average rank of each run of ties (1-based)
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(s)]
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _counts_by_threshold(
    labels: ArrayLike, scores: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Distinct scores (descending) and the tp/fp counts when predicting score >= each."""
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(scores, dtype=np.float64)
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tps = np.cumsum(y)[last].astype(np.float64)
    fps = (last + 1 - tps).astype(np.float64)
    return s[last], tps, fps


def roc_curve(labels: ArrayLike, scores: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """(false positive rate, true positive rate, thresholds), starting at (0, 0)."""
    thresholds, tps, fps = _counts_by_threshold(labels, scores)
    tps, fps = np.r_[0.0, tps], np.r_[0.0, fps]
    fpr = fps / fps[-1] if fps[-1] else np.zeros_like(fps)
    tpr = tps / tps[-1] if tps[-1] else np.zeros_like(tps)
    return fpr, tpr, np.r_[np.inf, thresholds]


def pr_curve(labels: ArrayLike, scores: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """(precision, recall, thresholds) for predicting `score >= threshold`, recall ascending."""
    thresholds, tps, fps = _counts_by_threshold(labels, scores)
    precision = tps / (tps + fps)
    recall = tps / tps[-1] if tps[-1] else np.zeros_like(tps)
    return precision, recall, thresholds


def average_precision(labels: ArrayLike, scores: ArrayLike) -> float:
    """Step-wise area under the PR curve: sum of (R_k - R_{k-1}) * P_k, as scikit-learn."""
    precision, recall, _ = pr_curve(labels, scores)
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def best_f1_threshold(labels: ArrayLike, support: ArrayLike) -> ThresholdChoice:
    """The support threshold t that maximises F1 of `support < t`, among t in [0, 1].

    Candidates are the distinct support values (each makes every lower score unsupported)
    and 1.0; ties go to the lower threshold.
    """
    y = np.asarray(labels, dtype=bool)
    s = np.asarray(support, dtype=np.float64)
    candidates = np.unique(np.r_[s, 1.0])
    candidates = candidates[(candidates >= 0.0) & (candidates <= 1.0)]
    order = np.argsort(s, kind="mergesort")
    sorted_support, sorted_y = s[order], y[order]
    below = np.searchsorted(sorted_support, candidates, side="left")  # rows with support < t
    cum_pos = np.r_[0, np.cumsum(sorted_y)]
    tp = cum_pos[below].astype(np.float64)
    predicted = below.astype(np.float64)
    positives = float(y.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = tp / positives if positives else np.zeros_like(tp)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(f1))
    return ThresholdChoice(
        threshold=float(candidates[best]),
        f1=float(f1[best]),
        precision=float(precision[best]),
        recall=float(recall[best]),
    )


def span_metrics(gold: Iterable[Spans], predicted: Iterable[Spans]) -> SpanMetrics:
    """Character-overlap precision/recall/F1, micro-averaged over the rows given."""
    rows = gold_total = predicted_total = overlap_total = 0
    for gold_spans, predicted_spans in zip(gold, predicted, strict=True):
        gold_chars, predicted_chars = _characters(gold_spans), _characters(predicted_spans)
        rows += 1
        gold_total += len(gold_chars)
        predicted_total += len(predicted_chars)
        overlap_total += len(gold_chars & predicted_chars)
    precision = _ratio(overlap_total, predicted_total)
    recall = _ratio(overlap_total, gold_total)
    return SpanMetrics(
        rows=rows,
        gold_chars=gold_total,
        predicted_chars=predicted_total,
        overlap_chars=overlap_total,
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
    )


def _characters(spans: Spans) -> set[int]:
    chars: set[int] = set()
    for start, end in spans:
        chars.update(range(start, end))
    return chars


def calibration(labels: ArrayLike, probability: ArrayLike, bins: int = 10) -> Calibration:
    """Observed unsupported rate against mean predicted probability per bin, and the ECE."""
    y = np.asarray(labels, dtype=np.float64)
    p = np.clip(np.asarray(probability, dtype=np.float64), 0.0, 1.0)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, bins - 1)
    counts = np.bincount(which, minlength=bins)
    sum_p = np.bincount(which, weights=p, minlength=bins)
    sum_y = np.bincount(which, weights=y, minlength=bins)
    mean_p = [float(a / c) if c else None for a, c in zip(sum_p, counts, strict=True)]
    rate = [float(a / c) if c else None for a, c in zip(sum_y, counts, strict=True)]
    ece = float(np.sum(np.abs(sum_p - sum_y)) / len(y)) if len(y) else 0.0
    return Calibration(
        bin_edges=[float(e) for e in edges],
        mean_predicted=mean_p,
        observed_rate=rate,
        counts=[int(c) for c in counts],
        ece=ece,
    )
