"""report.html and report.md of a pipeline run: support, citations, latency, answers."""

from __future__ import annotations

import html
from typing import Any

from grounding.evaluation.html_report import page, table_html
from grounding.evaluation.markdown_report import table_markdown
from grounding.evaluation.pipeline_results import PipelineResult
from grounding.evaluation.tables import Table, fmt

__all__ = ["write_pipeline_reports"]


def _headline(m: dict[str, Any]) -> Table:
    c, e = m["citation"], m["expected"]
    return Table(
        [
            "questions",
            "index",
            "decoder",
            "checker",
            "fully supported",
            "mean support",
            "citation precision",
            "citation recall",
            "expected-answer match",
        ],
        [
            [
                str(m["n"]),
                m["index"],
                m["decoder"],
                m["checker"],
                fmt(m["fully_supported_rate"]),
                fmt(m["mean_support"]),
                fmt(c["precision"]),
                fmt(c["recall"]),
                fmt(e["match_rate"]) if e["questions"] else "–",
            ]
        ],
    )


def _origins(m: dict[str, Any]) -> Table:
    rows = [
        [origin, str(v["citations"]), fmt(v["precision"])]
        for origin, v in m["citation"]["by_origin"].items()
    ]
    return Table(["citation made by", "citations", "precision"], rows)


def _latency(m: dict[str, Any]) -> Table:
    rows = [
        [stage, fmt(v["mean"]), fmt(v["p50"]), fmt(v["p95"])] for stage, v in m["latency"].items()
    ]
    return Table(["stage", "mean s", "median s", "p95 s"], rows)


def _answers(result: PipelineResult) -> Table:
    rows = []
    for r in result.results:
        precision = fmt(r.supporting_citations / r.citations) if r.citations else "–"
        rows.append(
            [
                r.id,
                r.question,
                r.answer.answer[:160],
                fmt(r.answer.support.score),
                "yes" if r.answer.support.supported else "no",
                precision,
                fmt(r.expected_recall),
            ]
        )
    return Table(
        [
            "id",
            "question",
            "answer",
            "support",
            "supported",
            "citation precision",
            "expected recall",
        ],
        rows,
    )


def write_pipeline_reports(result: PipelineResult) -> None:
    """Write report.html and report.md of `result` into its folder."""
    m = result.metrics
    definitions = (
        "Citation precision: cited sources the scorer finds supporting their segment. "
        "Citation recall: claims covered by a supporting citation. The scorer is the judge."
    )
    skipped = "".join(
        f"<li>{html.escape(s['message'])} (line {s['line']})</li>"
        for s in m.get("skipped_rows", [])
    )
    body = (
        "<h1>Pipeline evaluation</h1>"
        + f"<p class='meta'>{html.escape(definitions)}</p>"
        + table_html(_headline(m))
        + "<h2>Citations by origin</h2>"
        + table_html(_origins(m))
        + "<h2>Latency per stage</h2>"
        + table_html(_latency(m))
        + "<h2>Answers</h2>"
        + table_html(_answers(result))
        + (f"<h2>Left out</h2><ul>{skipped}</ul>" if skipped else "")
    )
    (result.out_dir / "report.html").write_text(page("Pipeline evaluation", body), "utf-8")
    markdown = "\n\n".join(
        [
            "# Pipeline evaluation",
            definitions,
            table_markdown(_headline(m)),
            "## Citations by origin",
            table_markdown(_origins(m)),
            "## Latency per stage",
            table_markdown(_latency(m)),
        ]
    )
    (result.out_dir / "report.md").write_text(markdown + "\n", "utf-8")
