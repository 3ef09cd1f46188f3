"""`evaluate()`: labelled JSONL in, metrics.json + report.html + report.md + predictions out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grounding.checking import Scorer
from grounding.errors import InputError
from grounding.evaluation.data import RowError, read_rows
from grounding.evaluation.html_report import render_html
from grounding.evaluation.markdown_report import render_markdown
from grounding.evaluation.runner import ScorerRun, run_scorer
from grounding.evaluation.summary import (
    ScorerSummary,
    build_metrics,
    data_info,
    summarise,
    write_json,
)

__all__ = ["EvalResult", "evaluate"]


@dataclass
class EvalResult:
    """What an evaluation wrote and measured."""

    out_dir: Path
    summaries: list[ScorerSummary]
    runs: list[ScorerRun]
    skipped: list[RowError]
    metrics: dict[str, object] = field(repr=False, default_factory=dict)
    report_seconds: float = 0.0  # rendering metrics.json, report.html and report.md


def evaluate(
    data_path: str | Path,
    out_dir: str | Path,
    scorers: Sequence[str | Scorer] = ("",),
    threshold: float | None = None,
    resume: bool = True,
    progress: bool | None = None,
    report: bool = True,
    ray: bool | str = False,
    workers: int | None = None,
) -> EvalResult:
    """Score every row of `data_path` with each scorer and write the report into `out_dir`.

    An empty scorer name means the default scorer; `threshold=None` uses each
    scorer's own recommended threshold. Malformed rows are left out and listed
    (with line numbers) in the result, metrics.json and the reports. `ray` scores
    rows on Ray workers (True: a local Ray for the run; or an address), `workers` of them.
    """
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise InputError(f"threshold {threshold} is outside [0, 1]: pick e.g. 0.5")
    data = read_rows(data_path)
    if not data.rows:
        problems = "; ".join(str(e) for e in data.errors[:3])
        raise InputError(f"no usable rows in {data_path}" + (f" ({problems})" if problems else ""))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs = [
        run_scorer(
            data.rows,
            scorer or None,
            out / "predictions.jsonl",
            threshold,
            resume,
            progress,
            data.lines,
            ray,
            workers,
        )
        for scorer in scorers
    ]
    skipped = data.errors + [e for run in runs for e in run.errors]
    summaries = [summarise(run.predictions, run.scorer, run.threshold) for run in runs]
    started = time.perf_counter()
    info = data_info(data.path, data.rows, skipped)
    metrics = build_metrics(summaries, info)
    result = EvalResult(out, summaries, runs, skipped, metrics)
    write_json(out / "metrics.json", metrics)
    if report:
        by_id = {row.id: row for row in data.rows}
        (out / "report.html").write_text(render_html(summaries, info, by_id), encoding="utf-8")
        (out / "report.md").write_text(render_markdown(summaries, info), encoding="utf-8")
    result.report_seconds = time.perf_counter() - started
    return result
