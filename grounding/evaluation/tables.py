"""The report's tables as plain rows of strings, shared by the HTML and Markdown reports.

Building the numbers once keeps report.html and report.md saying the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grounding.evaluation.metrics import ExampleMetrics
from grounding.evaluation.summary import DataInfo, ScorerSummary

__all__ = [
    "Table",
    "citation_lines",
    "confusion_table",
    "fmt",
    "fmt_threshold",
    "headline_table",
    "span_table",
    "task_table",
    "threshold_table",
    "thresholds_text",
]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]


def fmt(value: float | int | None, digits: int = 3) -> str:
    """A number for a table; '–' where a metric is undefined."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def fmt_threshold(value: float) -> str:
    """A threshold as the reports write it, in headers and tables alike: two decimals, or
    three where the third is not zero (0.50, 0.554), so a header never says 0.554 where the
    table says 0.55."""
    text = f"{value:.3f}"
    return text[:-1] if text.endswith("0") else text


def thresholds_text(summaries: Sequence[ScorerSummary]) -> str:
    """The scorers' thresholds for a report header: "0.5, 0.554"."""
    return ", ".join(sorted({fmt_threshold(s.threshold) for s in summaries}, key=float))


def headline_table(summaries: Sequence[ScorerSummary]) -> Table:
    """One row per scorer: answer-level metrics at the configured threshold and speed."""
    headers = [
        "scorer",
        "threshold",
        "n",
        "precision",
        "recall",
        "F1",
        "balanced acc.",
        "AUROC",
        "AUPRC",
        "span F1",
        "examples/s",
    ]
    rows = [
        [
            s.scorer,
            fmt_threshold(s.threshold),
            str(s.n),
            fmt(s.example.precision),
            fmt(s.example.recall),
            fmt(s.example.f1),
            fmt(s.example.balanced_accuracy),
            fmt(s.example.auroc),
            fmt(s.example.auprc),
            fmt(s.span.f1),
            fmt(s.examples_per_second, 1),
        ]
        for s in summaries
    ]
    return Table(headers, rows)


def threshold_table(summaries: Sequence[ScorerSummary]) -> Table:
    """The configured threshold next to the one that maximises F1 on this data."""
    headers = [
        "scorer",
        "configured threshold",
        "F1",
        "F1-optimal threshold",
        "F1 there",
        "precision there",
        "recall there",
    ]
    rows = [
        [
            s.scorer,
            fmt_threshold(s.threshold),
            fmt(s.example.f1),
            fmt(s.best.threshold),
            fmt(s.best.f1),
            fmt(s.best.precision),
            fmt(s.best.recall),
        ]
        for s in summaries
    ]
    return Table(headers, rows)


def span_table(summaries: Sequence[ScorerSummary]) -> Table:
    """Character-overlap span scores: rows with gold spans, and every row."""
    headers = [
        "scorer",
        "rows with gold spans",
        "precision",
        "recall",
        "F1",
        "precision (all rows)",
        "F1 (all rows)",
    ]
    rows = [
        [
            s.scorer,
            str(s.span.rows),
            fmt(s.span.precision),
            fmt(s.span.recall),
            fmt(s.span.f1),
            fmt(s.span_all_rows.precision),
            fmt(s.span_all_rows.f1),
        ]
        for s in summaries
    ]
    return Table(headers, rows)


def _task_row(task: str, scorer: str, m: ExampleMetrics) -> list[str]:
    return [
        task,
        scorer,
        str(m.n),
        str(m.positives),
        fmt(m.precision),
        fmt(m.recall),
        fmt(m.f1),
        fmt(m.balanced_accuracy),
        fmt(m.auroc),
    ]


def task_table(summaries: Sequence[ScorerSummary]) -> Table:
    """Answer-level metrics per task, one row per (task, scorer)."""
    headers = [
        "task",
        "scorer",
        "n",
        "unsupported",
        "precision",
        "recall",
        "F1",
        "balanced acc.",
        "AUROC",
    ]
    tasks = sorted({task for s in summaries for task in s.by_task})
    rows = [
        _task_row(task, s.scorer, s.by_task[task])
        for task in tasks
        for s in summaries
        if task in s.by_task
    ]
    return Table(headers, rows)


def confusion_table(summary: ScorerSummary) -> Table:
    m = summary.example
    return Table(
        ["gold \\ predicted", "supported", "unsupported"],
        [["supported", str(m.tn), str(m.fp)], ["unsupported", str(m.fn), str(m.tp)]],
    )


def citation_lines(data: DataInfo) -> list[tuple[str, int, str, str]]:
    """(data set, rows, citation, URL) for each cited data set in the rows."""
    return [(name, data.datasets[name], *data.citations[name]) for name in sorted(data.citations)]
