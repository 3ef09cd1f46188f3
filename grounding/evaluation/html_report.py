"""report.html: one self-contained page (inline CSS, plots as PNG data URIs, no scripts).

Nothing on the page is fetched: it opens the same with the network off.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np

from grounding.core.text import printable
from grounding.evaluation import plots
from grounding.evaluation.data import EvalRow
from grounding.evaluation.examples import WorkedExample, segments, worst_examples
from grounding.evaluation.summary import DataInfo, ScorerSummary
from grounding.evaluation.tables import (
    Table,
    citation_lines,
    headline_table,
    span_table,
    task_table,
    threshold_table,
    thresholds_text,
)

__all__ = ["CSS", "page", "render_html", "table_html"]

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1100px;
 padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0}th,td{padding:.25em .6em;border:1px solid #ddd;
 text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:.5em}.plots img{border:1px solid #eee;max-width:100%}
.example{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}
.answer{white-space:pre-wrap;background:#fafafa;padding:.5em;border-radius:4px}
.gold{background:#ffd8a8}.pred{text-decoration:underline 3px #1f6fb4;text-underline-offset:3px}
.gold.pred{background:#ffd8a8}.legend span{padding:0 .3em;margin-right:1em}
.claims td,.claims th{text-align:left;vertical-align:top}.bad{color:#b0281a}.good{color:#1e7b45}
.meta{color:#666;font-size:.9em}blockquote{margin:.2em 0 .2em 1em;color:#444}
"""


def table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, body: str) -> str:
    """A complete HTML document with the report's inline style; no control characters
    (terminal escapes in titles or data, say) survive into it."""
    return printable(
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def _img(uri: str, alt: str) -> str:
    return f"<img src='{uri}' alt='{html.escape(alt)}'>"


def _plots(summaries: Sequence[ScorerSummary]) -> str:
    curves = []
    for s in summaries:
        labels = np.array([p.label for p in s.predictions])
        scores = np.array([p.score for p in s.predictions])
        m = s.example
        fpr = m.fp / (m.fp + m.tn) if m.fp + m.tn else 0.0
        curves.append(
            plots.Curve(s.scorer, labels, scores, (fpr, m.recall), (m.recall, m.precision))
        )
    parts = [
        _img(plots.pr_plot(curves), "precision-recall curves"),
        _img(plots.roc_plot(curves), "ROC curves"),
        _img(
            plots.reliability_plot([(s.scorer, s.calibration) for s in summaries]),
            "reliability diagram",
        ),
    ]
    for s, curve in zip(summaries, curves, strict=True):
        parts.append(
            _img(
                plots.histogram_plot(s.scorer, curve.labels, 1.0 - curve.scores, s.threshold),
                f"{s.scorer} score histogram",
            )
        )
        parts.append(_img(plots.confusion_plot(s.scorer, s.example), f"{s.scorer} confusion"))
    return "<div class='plots'>" + "".join(parts) + "</div>"


def _highlighted(example: WorkedExample) -> str:
    pieces = segments(
        example.row.answer, example.prediction.gold_spans, example.prediction.predicted_spans
    )
    out = []
    for text, gold, predicted in pieces:
        classes = " ".join(name for name, on in (("gold", gold), ("pred", predicted)) if on)
        escaped = html.escape(text)
        out.append(f"<span class='{classes}'>{escaped}</span>" if classes else escaped)
    return "".join(out)


def _example_html(example: WorkedExample) -> str:
    p, row = example.prediction, example.row
    question = f"<p><b>Question:</b> {html.escape(row.question)}</p>" if row.question else ""
    claims = "".join(
        f"<tr><td>{html.escape(e.claim)}</td>"
        f"<td class='{'good' if e.supported else 'bad'}'>{e.score:.2f}</td><td>"
        + (
            "".join(
                f"<blockquote>[{i}] {html.escape(snippet)}</blockquote>"
                for i, snippet in e.snippets
            )
            or "<i>no supporting citation</i>"
        )
        + "</td></tr>"
        for e in example.evidence
    )
    return (
        f"<div class='example'><h4>{html.escape(example.kind)}: {html.escape(row.id)} "
        f"<span class='meta'>task {html.escape(row.task)}, support {1 - p.score:.3f}, "
        f"gold label {row.label}</span></h4>{question}"
        f"<div class='answer'>{_highlighted(example)}</div>"
        "<table class='claims'><thead><tr><th>claim</th><th>support</th>"
        f"<th>evidence (cited source, best matching sentence)</th></tr></thead>{claims}</table>"
        "</div>"
    )


def _examples(summaries: Sequence[ScorerSummary], rows: Mapping[str, EvalRow]) -> str:
    legend = (
        "<p class='legend'><span class='gold'>gold unsupported span</span>"
        "<span class='pred'>predicted unsupported span</span></p>"
    )
    parts = [legend]
    for s in summaries:
        chosen = worst_examples(s.predictions, rows)
        body = "".join(_example_html(e) for e in chosen) or "<p>No mistakes to show.</p>"
        parts.append(f"<h3>{html.escape(s.scorer)}</h3>{body}")
    return "".join(parts)


def _data_section(data: DataInfo) -> str:
    cites = "".join(
        f"<li><b>{html.escape(name)}</b> ({count} rows): {html.escape(text)}. "
        f"<span class='meta'>{html.escape(url)}</span></li>"
        for name, count, text, url in citation_lines(data)
    )
    skipped = ""
    if data.skipped:
        items = "".join(f"<li>{html.escape(str(e))}</li>" for e in data.skipped[:50])
        more = f"<li>… {len(data.skipped) - 50} more</li>" if len(data.skipped) > 50 else ""
        skipped = f"<p>{len(data.skipped)} row(s) left out:</p><ul>{items}{more}</ul>"
    return (
        f"<p class='meta'>Data: {html.escape(data.path)}, {data.rows} rows.</p>"
        + (f"<p>Data sets:</p><ul>{cites}</ul>" if cites else "")
        + skipped
    )


def render_html(
    summaries: Sequence[ScorerSummary], data: DataInfo, rows: Mapping[str, EvalRow]
) -> str:
    """The whole evaluation report as one HTML document."""
    threshold = thresholds_text(summaries)
    body = (
        f"<h1>Checker evaluation: {html.escape(', '.join(s.scorer for s in summaries))}</h1>"
        + _data_section(data)
        + f"<h2>Headline (threshold {threshold})</h2>"
        "<p class='meta'>Positive class: unsupported (label 1). An answer is predicted "
        "unsupported when its support score is below the threshold; curves rank by "
        "1 - support.</p>"
        + table_html(headline_table(summaries))
        + "<h2>Threshold</h2>"
        + table_html(threshold_table(summaries))
        + "<h2>Plots</h2>"
        + _plots(summaries)
        + "<h2>By task</h2>"
        + table_html(task_table(summaries))
        + "<h2>Unsupported spans</h2><p class='meta'>Character overlap, micro-averaged over "
        "characters of the rows that have gold spans; 'all rows' also counts predicted "
        "spans on supported answers.</p>"
        + table_html(span_table(summaries))
        + "<h2>Worked examples</h2>"
        + _examples(summaries, rows)
    )
    return page("Checker evaluation", body)
