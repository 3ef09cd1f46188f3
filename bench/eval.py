"""How much the eval harness adds to the checker's own time.

Baseline: `check_many` over the same rows in a plain loop (the checker as a library user
runs it: claim splitting plus the scorer). Harness: `evaluate()` on the same rows and the
same, already loaded scorer (reading and validating rows, fingerprints, writing
predictions.jsonl), with the metrics and report rendering (plots, HTML, Markdown; once
per run, not per row) timed apart.
Each is timed `--repeat` times and the fastest kept. Goal: harness / baseline <= 1.10.

    python bench/eval.py [DATA.jsonl] [--scorer NAME] [--limit N] [--repeat 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from grounding.checking import check_many, get_scorer
from grounding.evaluation.data import read_rows
from grounding.evaluation.evaluate import evaluate
from grounding.evaluation.runner import TimedScorer

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "eval" / "data" / "ragtruth-holdout.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--scorer", default=None, help="scorer name (default: the default scorer)")
    parser.add_argument("--limit", type=int, default=0, help="use the first N rows only")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "rows.jsonl"
        lines = args.data.read_text(encoding="utf-8").splitlines(keepends=True)
        data.write_text("".join(lines[: args.limit] if args.limit else lines), encoding="utf-8")
        scorer = TimedScorer(get_scorer(args.scorer))
        rows = read_rows(data).rows
        check_many([(rows[0].answer, rows[0].sources)], scorer=scorer)  # warm up (model load)
        baseline, harness, report = [], [], []
        for attempt in range(args.repeat):
            started = time.perf_counter()
            check_many([(row.answer, row.sources) for row in rows], scorer=scorer)
            baseline.append(time.perf_counter() - started)
            scorer.seconds = 0.0
            started = time.perf_counter()
            result = evaluate(
                data, Path(folder) / f"out{attempt}", scorers=(scorer,), progress=False
            )
            total = time.perf_counter() - started
            inside = scorer.seconds
            harness.append(total - result.report_seconds)
            report.append(result.report_seconds)
    best_baseline, best_harness, best_report = min(baseline), min(harness), min(report)
    print(f"data: {args.data} ({len(rows)} rows), scorer: {scorer.name}")
    print(
        f"baseline check_many loop : {best_baseline:8.3f} s  (inside Scorer.score: {inside:.3f} s)"
    )
    print(f"evaluate() without report: {best_harness:8.3f} s")
    print(f"metrics + report         : {best_report:8.3f} s  (plots, HTML, Markdown; once per run)")
    print(f"harness / checker ratio  : {best_harness / best_baseline:8.3f}  (goal <= 1.10)")
    print(f"with report / checker    : {(best_harness + best_report) / best_baseline:8.3f}")


if __name__ == "__main__":
    main()
