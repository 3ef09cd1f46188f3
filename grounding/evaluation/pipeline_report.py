"""report.html and report.md of a pipeline run: correctness first, then support,
citations, latency, answers."""

from __future__ import annotations

import html
from typing import Any

from grounding.evaluation.html_report import page, table_html
from grounding.evaluation.markdown_report import table_markdown
from grounding.evaluation.pipeline_results import PipelineResult, headline_figures
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
            "answered and supported",
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
                fmt(m["answered_supported_rate"]),
                fmt(m["mean_support"]),
                fmt(c["precision"]),
                fmt(c["recall"]),
                fmt(e["match_rate"]) if e["questions"] else "–",
            ]
        ],
    )


def _figures(m: dict[str, Any]) -> Table:
    """The five figures the run is judged by (`headline_figures`), one column each."""
    figures = headline_figures(m["correctness"])
    return Table([name for name, _ in figures], [[value for _, value in figures]])


def _correctness(m: dict[str, Any]) -> Table:
    """Right answers first: matches against the expected answers, documents, refusals."""
    c = m["correctness"]
    answerable, unanswerable = c["answerable"], c["unanswerable"]
    return Table(
        [
            "questions",
            "answerable",
            "contains expected",
            "exact",
            "token F1",
            "right document",
            "refused unanswerable",
            "false refusals",
            "wrong but shown supported",
        ],
        [
            [
                str(c["questions"]),
                str(answerable),
                fmt(c["contains"]) if answerable else "–",
                fmt(c["exact"]) if answerable else "–",
                fmt(c["token_f1"]) if answerable else "–",
                fmt(c["right_document"]) if answerable else "–",
                fmt(c["refusal_rate"]) if unanswerable else "–",
                fmt(c["false_refusal_rate"]) if answerable else "–",
                f"{c['wrong_but_shown_right']} ({fmt(c['wrong_but_shown_right_rate'])})",
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
        "First: answerable questions answered with the expected answer in them, and citing "
        "the expected file; unanswerable questions refused; answerable questions answered "
        "wrongly yet shown as supported and relevant, and answerable questions refused "
        "although the expected file was retrieved (counts, and shares of the answerable). "
        "Correctness: answers containing the expected answer (normalised), exactly equal to it, "
        "token F1; answerable questions whose cited sources include the expected document; "
        "unanswerable questions refused, answerable ones refused; answers that are wrong yet "
        "shown as supported and relevant. "
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
        + "<h2>Right answers</h2>"
        + table_html(_figures(m))
        + "<h2>Correctness</h2>"
        + table_html(_correctness(m))
        + "<h2>Support and citations</h2>"
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
            "## Right answers",
            table_markdown(_figures(m)),
            "## Correctness",
            table_markdown(_correctness(m)),
            "## Support and citations",
            table_markdown(_headline(m)),
            "## Citations by origin",
            table_markdown(_origins(m)),
            "## Latency per stage",
            table_markdown(_latency(m)),
        ]
    )
    (result.out_dir / "report.md").write_text(markdown + "\n", "utf-8")
