"""Comparing two earlier runs on the rows they share, with a paired bootstrap on F1.

Each run folder holds metrics.json (which scorer and threshold) and predictions.jsonl.
Rows are paired by id; the bootstrap resamples row indices (the same indices for both
runs) and reports the 95% percentile interval of F1(B) - F1(A), and of AUROC(B) - AUROC(A)
on the same resamples. A difference is called significant when its interval excludes 0.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from grounding.errors import InputError
from grounding.evaluation import plots
from grounding.evaluation.html_report import page, table_html
from grounding.evaluation.markdown_report import table_markdown
from grounding.evaluation.metrics import ExampleMetrics, auroc, example_metrics
from grounding.evaluation.runner import Prediction, read_predictions
from grounding.evaluation.summary import write_json
from grounding.evaluation.tables import Table, fmt

__all__ = ["Comparison", "Side", "compare_runs", "paired_bootstrap_auroc", "paired_bootstrap_f1"]


@dataclass(frozen=True)
class Side:
    """One run, restricted to the shared rows."""

    name: str
    folder: str
    scorer: str
    threshold: float
    metrics: ExampleMetrics


@dataclass(frozen=True)
class Comparison:
    a: Side
    b: Side
    n: int  # shared rows
    only_a: int
    only_b: int
    f1_difference: float  # F1(B) - F1(A)
    ci_low: float
    ci_high: float
    p_value: float  # two-sided, from the bootstrap distribution
    resamples: int
    auroc_difference: float | None = None  # AUROC(B) - AUROC(A), same resamples
    auroc_ci: tuple[float, float] | None = None

    @property
    def significant(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0

    def summary_line(self) -> str:
        verdict = "significant" if self.significant else "not significant"
        return (
            f"F1 {self.a.name} {self.a.metrics.f1:.3f} -> {self.b.name} {self.b.metrics.f1:.3f}: "
            f"difference {self.f1_difference:+.3f}, 95% CI [{self.ci_low:+.3f}, "
            f"{self.ci_high:+.3f}] over {self.n} shared rows ({verdict})"
            + (
                f"; AUROC difference {self.auroc_difference:+.3f}, 95% CI "
                f"[{self.auroc_ci[0]:+.3f}, {self.auroc_ci[1]:+.3f}]"
                if self.auroc_difference is not None and self.auroc_ci
                else ""
            )
        )

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "significant": self.significant}


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    f1: np.ndarray = np.divide(
        2 * tp, denominator, out=np.zeros_like(tp, dtype=float), where=denominator > 0
    )
    return f1


def paired_bootstrap_f1(
    labels: np.ndarray,
    predicted_a: np.ndarray,
    predicted_b: np.ndarray,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float, float]:
    """(F1(B) - F1(A), CI low, CI high, two-sided p) from a paired bootstrap over rows."""
    y = np.asarray(labels, dtype=bool)
    a, b = np.asarray(predicted_a, dtype=bool), np.asarray(predicted_b, dtype=bool)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(y), size=(resamples, len(y)))
    ys = y[index]

    def f1s(predicted: np.ndarray) -> np.ndarray:
        p = predicted[index]
        return _f1((ys & p).sum(1), (~ys & p).sum(1), (ys & ~p).sum(1))

    differences = f1s(b) - f1s(a)
    observed = example_metrics(y, b, b).f1 - example_metrics(y, a, a).f1
    low, high = np.percentile(differences, [2.5, 97.5])
    p_value = min(1.0, 2 * min(np.mean(differences <= 0), np.mean(differences >= 0)))
    return observed, float(low), float(high), float(p_value)


def paired_bootstrap_auroc(
    labels: np.ndarray,
    scores_a: np.ndarray,
    scores_b: np.ndarray,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float] | None:
    """(AUROC(B) - AUROC(A), CI low, CI high) on the same resamples; None with one class."""
    y = np.asarray(labels, dtype=bool)
    if y.all() or not y.any():
        return None
    rng = np.random.default_rng(seed)
    differences = []
    for index in rng.integers(0, len(y), size=(resamples, len(y))):
        ys = y[index]
        if ys.all() or not ys.any():
            continue
        differences.append(auroc(ys, scores_b[index]) - auroc(ys, scores_a[index]))
    low, high = np.percentile(differences, [2.5, 97.5])
    return auroc(y, scores_b) - auroc(y, scores_a), float(low), float(high)


def _load(folder: Path) -> tuple[str, float, dict[str, Prediction]]:
    metrics_path = folder / "metrics.json"
    if not metrics_path.is_file():
        raise InputError(f"{folder} holds no metrics.json: give a folder `grounding eval` wrote")
    metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    scorer, threshold = str(metrics["checker"]), float(metrics["threshold"])
    predictions = {
        p.id: p
        for p in read_predictions(folder / "predictions.jsonl")
        if p.scorer == scorer and p.threshold == threshold
    }
    if not predictions:
        raise InputError(f"{folder}/predictions.jsonl has no predictions of {scorer!r}")
    return scorer, threshold, predictions


def compare_runs(
    folder_a: str | Path, folder_b: str | Path, out_dir: str | Path, resamples: int = 2000
) -> Comparison:
    """Compare run A with run B and write comparison.json, report.html and report.md."""
    folder_a, folder_b, out = Path(folder_a), Path(folder_b), Path(out_dir)
    scorer_a, threshold_a, preds_a = _load(folder_a)
    scorer_b, threshold_b, preds_b = _load(folder_b)
    shared = sorted(
        i for i in preds_a.keys() & preds_b.keys() if preds_a[i].label == preds_b[i].label
    )
    if not shared:
        raise InputError(
            "the two runs share no rows (by id and label): were they on the same data?"
        )
    labels = np.array([preds_a[i].label for i in shared])
    columns = {}
    for key, preds in (("a", preds_a), ("b", preds_b)):
        columns[key] = (
            np.array([preds[i].predicted for i in shared]),
            np.array([preds[i].score for i in shared]),
        )
    name_a, name_b = (
        (f"A: {scorer_a}", f"B: {scorer_b}")
        if scorer_a != scorer_b
        else (f"A: {folder_a.name}", f"B: {folder_b.name}")
    )
    side_a = Side(
        name_a, str(folder_a), scorer_a, threshold_a, example_metrics(labels, *columns["a"])
    )
    side_b = Side(
        name_b, str(folder_b), scorer_b, threshold_b, example_metrics(labels, *columns["b"])
    )
    difference, low, high, p_value = paired_bootstrap_f1(
        labels, columns["a"][0], columns["b"][0], resamples
    )
    ranking = paired_bootstrap_auroc(labels, columns["a"][1], columns["b"][1], resamples)
    result = Comparison(
        side_a,
        side_b,
        len(shared),
        len(preds_a) - len(shared),
        len(preds_b) - len(shared),
        difference,
        low,
        high,
        p_value,
        resamples,
        ranking[0] if ranking else None,
        (ranking[1], ranking[2]) if ranking else None,
    )
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "comparison.json", result.as_dict())
    curves = [
        plots.Curve(side.name, labels, columns[key][1])
        for key, side in (("a", side_a), ("b", side_b))
    ]
    (out / "report.html").write_text(_html(result, curves), encoding="utf-8")
    (out / "report.md").write_text(_markdown(result), encoding="utf-8")
    return result


def _table(result: Comparison) -> Table:
    headers = ["run", "scorer", "threshold", "precision", "recall", "F1", "balanced acc.", "AUROC"]
    rows = [
        [
            s.name,
            s.scorer,
            fmt(s.threshold, 2),
            fmt(s.metrics.precision),
            fmt(s.metrics.recall),
            fmt(s.metrics.f1),
            fmt(s.metrics.balanced_accuracy),
            fmt(s.metrics.auroc),
        ]
        for s in (result.a, result.b)
    ]
    return Table(headers, rows)


def _significance(result: Comparison) -> Table:
    rows = [
        [
            "F1 at each run's threshold",
            str(result.n),
            f"{result.f1_difference:+.3f}",
            f"[{result.ci_low:+.3f}, {result.ci_high:+.3f}]",
            fmt(result.p_value),
            "yes" if result.significant else "no",
        ]
    ]
    if result.auroc_difference is not None and result.auroc_ci is not None:
        low, high = result.auroc_ci
        rows.append(
            [
                "AUROC (ranking)",
                str(result.n),
                f"{result.auroc_difference:+.3f}",
                f"[{low:+.3f}, {high:+.3f}]",
                "–",
                "yes" if low > 0 or high < 0 else "no",
            ]
        )
    return Table(["metric", "shared rows", "B - A", "95% CI", "p (two-sided)", "significant"], rows)


def _html(result: Comparison, curves: list[plots.Curve]) -> str:
    images = "".join(
        f"<img src='{uri}' alt='{alt}'>"
        for uri, alt in (
            (plots.pr_plot(curves), "precision-recall"),
            (plots.roc_plot(curves), "ROC"),
        )
    )
    body = (
        "<h1>Run comparison</h1>"
        f"<p class='meta'>A: {result.a.folder}<br>B: {result.b.folder}<br>"
        f"Rows only in A: {result.only_a}; only in B: {result.only_b}.</p>"
        + table_html(_table(result))
        + f"<h2>Paired bootstrap ({result.resamples} resamples)</h2>"
        + table_html(_significance(result))
        + "<h2>Curves on the shared rows</h2><div class='plots'>"
        + images
        + "</div>"
    )
    return page("Run comparison", body)


def _markdown(result: Comparison) -> str:
    return (
        f"# Run comparison\n\nA: `{result.a.folder}`  \nB: `{result.b.folder}`\n\n"
        + table_markdown(_table(result))
        + f"\n\n## Paired bootstrap ({result.resamples} resamples)\n\n"
        + table_markdown(_significance(result))
        + "\n"
    )
