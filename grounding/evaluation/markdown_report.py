"""report.md: the report's numbers as Markdown tables, for pull requests."""

from __future__ import annotations

from collections.abc import Sequence

from grounding.evaluation.summary import DataInfo, ScorerSummary
from grounding.evaluation.tables import (
    Table,
    citation_lines,
    confusion_table,
    headline_table,
    span_table,
    task_table,
    threshold_table,
    thresholds_text,
)

__all__ = ["render_markdown", "table_markdown"]


def table_markdown(table: Table) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    align = ["---"] + ["---:"] * (len(table.headers) - 1)
    return "\n".join([line(table.headers), "|" + "|".join(align) + "|", *map(line, table.rows)])


def render_markdown(summaries: Sequence[ScorerSummary], data: DataInfo) -> str:
    """The whole report's numbers; the worked examples and plots live in report.html."""
    threshold = thresholds_text(summaries)
    parts = [
        f"# Checker evaluation: {', '.join(s.scorer for s in summaries)}",
        f"Data: `{data.path}`, {data.rows} rows"
        + (f", {len(data.skipped)} malformed row(s) left out." if data.skipped else "."),
    ]
    for name, count, text, url in citation_lines(data):
        parts.append(f"- {name} ({count} rows): {text}. <{url}>")
    parts += [
        f"## Headline (threshold {threshold})",
        "Positive class: unsupported (label 1); predicted unsupported when support < threshold.",
        table_markdown(headline_table(summaries)),
        "## Threshold",
        table_markdown(threshold_table(summaries)),
        "## By task",
        table_markdown(task_table(summaries)),
        "## Unsupported spans",
        "Character overlap, micro-averaged over characters of the rows that have gold spans.",
        table_markdown(span_table(summaries)),
        "## Confusion",
    ]
    for s in summaries:
        parts += [f"**{s.scorer}**", table_markdown(confusion_table(s))]
    return "\n\n".join(parts) + "\n"
