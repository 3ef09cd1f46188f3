"""The report's plots as PNG data URIs (matplotlib's Agg canvas: no display, no files).

Each function takes plain arrays and returns `data:image/png;base64,...`, so the HTML
report stays one self-contained file.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grounding.errors import ConfigError
from grounding.evaluation.metrics import Calibration, ExampleMetrics, pr_curve, roc_curve

__all__ = ["Curve", "confusion_plot", "histogram_plot", "pr_plot", "reliability_plot", "roc_plot"]

_COLOURS = ("#1f6fb4", "#d9822b", "#2a9d5c", "#a23b72", "#5c5c5c")


@dataclass(frozen=True)
class Curve:
    """One scorer's labels and ranking scores (1 = unsupported; higher = less supported)."""

    name: str
    labels: np.ndarray
    scores: np.ndarray
    roc_marker: tuple[float, float] | None = None  # (FPR, TPR) at the configured threshold
    pr_marker: tuple[float, float] | None = None  # (recall, precision) there


def _figure(width: float = 4.6, height: float = 3.6) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ModuleNotFoundError as exc:
        raise ConfigError("plots need matplotlib: pip install 'grounding[eval]'") from exc
    figure = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def _encode(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def pr_plot(curves: Sequence[Curve]) -> str:
    """Precision-recall curves of every scorer, with the positive rate as the chance line."""
    figure = _figure()
    axes = figure.add_subplot()
    for colour, curve in zip(_COLOURS, curves, strict=False):
        precision, recall, _ = pr_curve(curve.labels, curve.scores)
        axes.step(
            np.r_[0.0, recall],
            np.r_[precision[0], precision],
            where="post",
            color=colour,
            label=curve.name,
        )
        if curve.pr_marker:
            axes.plot(*curve.pr_marker, "o", color=colour, markersize=6)
    if curves:
        axes.axhline(float(np.mean(curves[0].labels)), color="#999", ls=":", label="chance")
    axes.set(
        xlabel="recall (unsupported)",
        ylabel="precision",
        xlim=(0, 1),
        ylim=(0, 1.02),
        title="Precision-recall",
    )
    axes.legend(loc="lower left", fontsize=8)
    return _encode(figure)


def roc_plot(curves: Sequence[Curve]) -> str:
    """ROC curves of every scorer; the dot is the configured threshold."""
    figure = _figure()
    axes = figure.add_subplot()
    for colour, curve in zip(_COLOURS, curves, strict=False):
        fpr, tpr, _ = roc_curve(curve.labels, curve.scores)
        axes.plot(fpr, tpr, color=colour, label=curve.name)
        if curve.roc_marker:
            axes.plot(*curve.roc_marker, "o", color=colour, markersize=6)
    axes.plot([0, 1], [0, 1], color="#999", ls=":", label="chance")
    axes.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        xlim=(0, 1),
        ylim=(0, 1.02),
        title="ROC",
    )
    axes.legend(loc="lower right", fontsize=8)
    return _encode(figure)


def reliability_plot(calibrations: Sequence[tuple[str, Calibration]]) -> str:
    """Observed unsupported rate against predicted P(unsupported) = 1 - support, per bin."""
    figure = _figure()
    axes = figure.add_subplot()
    axes.plot([0, 1], [0, 1], color="#999", ls=":", label="perfect")
    for colour, (name, cal) in zip(_COLOURS, calibrations, strict=False):
        points = [
            (p, r, c)
            for p, r, c in zip(cal.mean_predicted, cal.observed_rate, cal.counts, strict=True)
            if p is not None and r is not None
        ]
        if points:
            xs, ys, _ = zip(*points, strict=True)
            axes.plot(xs, ys, "-o", color=colour, markersize=4, label=f"{name} (ECE {cal.ece:.3f})")
    axes.set(
        xlabel="predicted P(unsupported) = 1 - support",
        ylabel="observed unsupported rate",
        xlim=(0, 1),
        ylim=(0, 1.02),
        title="Reliability",
    )
    axes.legend(loc="upper left", fontsize=8)
    return _encode(figure)


def histogram_plot(name: str, labels: np.ndarray, support: np.ndarray, threshold: float) -> str:
    """Support scores split by gold label (side-by-side bars), with the threshold as a line."""
    figure = _figure(4.6, 3.0)
    axes = figure.add_subplot()
    bins = np.linspace(0.0, 1.0, 21)
    axes.hist(
        [support[labels == 0], support[labels == 1]],
        bins=bins,
        color=["#2a9d5c", "#c0392b"],
        label=["supported (0)", "unsupported (1)"],
    )
    axes.axvline(threshold, color="#333", ls="--", label=f"threshold {threshold:g}")
    axes.set(xlabel="support score", ylabel="answers", title=f"{name}: support by label")
    axes.legend(fontsize=8)
    return _encode(figure)


def confusion_plot(name: str, metrics: ExampleMetrics) -> str:
    """The 2x2 confusion matrix (rows gold, columns predicted) with counts."""
    figure = _figure(3.4, 3.0)
    axes = figure.add_subplot()
    matrix = np.array([[metrics.tn, metrics.fp], [metrics.fn, metrics.tp]])
    axes.imshow(matrix, cmap="Blues")
    for (i, j), value in np.ndenumerate(matrix):
        dark = value > matrix.max() / 2
        axes.text(j, i, str(value), ha="center", va="center", color="white" if dark else "black")
    axes.set_xticks([0, 1], ["supported", "unsupported"])
    axes.set_yticks([0, 1], ["supported", "unsupported"])
    axes.set(xlabel="predicted", ylabel="gold", title=f"{name}: confusion")
    return _encode(figure)
