"""Benchmark the default checker against the previous one and word overlap, in one run.

    python bench/split_data.py     # once
    python bench/checker.py [--scorers learned,learned-v1,overlap] [--data eval/data] [--limit N]

Prints, per scorer and per task (qa, summary, data2txt) of the RAGTruth holdout: answer-level
precision / recall / F1 on the *unsupported* class, the share of supported answers flagged,
character-overlap span F1 (micro), expected calibration error of P(unsupported) = 1 - score
(10 bins), AUROC and throughput in examples per second (model loading excluded); then the
same answer-level scores on the QAGS holdout. Each scorer's threshold is chosen on the tune
split only (the learned scorers ship their own; overlap's is swept here on tune).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from grounding.checking import check_many, get_scorer
from grounding.schema import SupportReport

DATA = Path(__file__).resolve().parent.parent / "eval" / "data"
TASKS = ("qa", "summary", "data2txt")


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float
    flagged: float  # share of supported answers flagged as unsupported
    span_f1: float
    ece: float
    auroc: float
    n: int


def load(path: Path, limit: int | None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return rows[:limit] if limit else rows


def f1_at(p_unsup: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float, float]:
    pred = p_unsup > 1.0 - threshold  # unsupported when support < threshold
    tp = int((pred & (labels == 1)).sum())
    precision = tp / pred.sum() if pred.sum() else 0.0
    recall = tp / labels.sum() if labels.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    which = np.minimum((p * bins).astype(int), bins - 1)
    total = sum(
        abs(p[which == b].mean() - y[which == b].mean()) * (which == b).sum()
        for b in range(bins)
        if (which == b).any()
    )
    return float(total / len(p))


def span_f1(reports: list[SupportReport], rows: list[dict]) -> float:
    tp = fp = fn = 0
    for report, row in zip(reports, rows, strict=True):
        pred = {i for s in report.unsupported_spans for i in range(s.start, s.end)}
        gold = {i for s in row.get("spans") or [] for i in range(s["start"], s["end"])}
        tp, fp, fn = tp + len(pred & gold), fp + len(pred - gold), fn + len(gold - pred)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def run(name: str, rows: list[dict], threshold: float | None) -> tuple[list[SupportReport], float]:
    scorer = get_scorer(name)
    items = [(row["answer"], row["sources"]) for row in rows]
    check_many(items[:3], scorer=scorer, threshold=threshold)  # warm-up (lazy loads)
    started = time.perf_counter()
    reports = check_many(items, scorer=scorer, threshold=threshold)
    return reports, len(rows) / (time.perf_counter() - started)


def tuned_threshold(name: str, tune: list[dict]) -> float:
    """The support threshold with the best answer-level F1 on the tune rows."""
    reports, _ = run(name, tune, 0.5)
    p = 1.0 - np.asarray([r.score for r in reports])
    labels = np.asarray([row["label"] for row in tune])
    candidates = np.unique(np.round(1.0 - p, 3))
    return float(max(candidates, key=lambda t: f1_at(p, labels, float(t) + 1e-9)[2])) + 1e-9


def measure(reports: list[SupportReport], rows: list[dict], threshold: float) -> Scores:
    p = 1.0 - np.asarray([r.score for r in reports])
    labels = np.asarray([row["label"] for row in rows])
    precision, recall, f1 = f1_at(p, labels, threshold)
    flagged = float((p[labels == 0] > 1.0 - threshold).mean()) if (labels == 0).any() else 0.0
    auroc = roc_auc_score(labels, p) if 0 < labels.sum() < len(labels) else float("nan")
    return Scores(
        precision, recall, f1, flagged, span_f1(reports, rows), ece(p, labels), auroc, len(rows)
    )


def _line(name: str, task: str, s: Scores) -> str:
    return (
        f"{name:<11} {task:<9} {s.n:>4} {s.precision:>6.3f} {s.recall:>6.3f} {s.f1:>6.3f} "
        f"{s.flagged:>8.1%} {s.span_f1:>7.3f} {s.ece:>6.3f} {s.auroc:>6.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scorers", default="learned,learned-v1,overlap")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    holdout = load(args.data / "ragtruth-holdout.jsonl", args.limit)
    qags = load(args.data / "qags-holdout.jsonl", args.limit)
    tune = load(args.data / "ragtruth-tune.jsonl", args.limit)
    print(f"ragtruth-holdout: {len(holdout)} rows, qags-holdout: {len(qags)} rows")
    header = (
        f"{'scorer':<11} {'task':<9} {'n':>4} {'P':>6} {'R':>6} {'F1':>6} {'flagged':>8} "
        f"{'spanF1':>7} {'ECE':>6} {'AUROC':>6}"
    )
    lines = []
    for name in args.scorers.split(","):
        own = getattr(get_scorer(name), "threshold", None)
        threshold = get_scorer(name).threshold if own else tuned_threshold(name, tune)
        reports, speed = run(name, holdout, threshold)
        lines.append(f"{name}: threshold {threshold:.3f}, {speed:.1f} RAGTruth examples/s")
        groups = {"all": list(range(len(holdout)))}
        groups |= {t: [i for i, r in enumerate(holdout) if r["task"] == t] for t in TASKS}
        for task, index in groups.items():
            if index:
                s = measure([reports[i] for i in index], [holdout[i] for i in index], threshold)
                lines.append(_line(name, task, s))
        if qags:
            lines.append(
                _line(name, "qags", measure(run(name, qags, threshold)[0], qags, threshold))
            )
    print(header)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
