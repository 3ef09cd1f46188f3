"""Fit the default checker's per-kind calibration and threshold (params/stack.json).

    python bench/split_data.py                                       # once
    python train/train_checker.py --oof train/out/v1_oof.jsonl       # v1 trees + out-of-fold scores
    python train/train_stack.py [--oof train/out/v1_oof.jsonl]       # a few minutes
    python train/train_stack.py --in-sample      # what shipped: v1's own scores of the tune rows

Inputs per answer: v1's out-of-fold P(unsupported) (never from a model that saw the answer's
source) and, for records, the number of claimed values no field holds. One logistic
calibration per input kind (passages, document, record), fitted on the tune split (RAGTruth
and QAGS); its own out-of-fold predictions (grouped by source) choose the threshold: the best
answer F1 on RAGTruth tune among thresholds that flag at most MAX_FLAGGED of its supported
answers. Deterministic. The holdout files are never read.

v1's scores should be out of fold (`--oof` of train_checker.py). Where that run is too slow,
scores of the shipped v1 on its own tune rows also work (in sample, so over-confident: the
calibration comes out too steep); `v1_scores` in stack.json records which file was used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grounding.checking.claims import claim_texts  # noqa: E402
from grounding.checking.scorers.learned.model import PARAMS_DIR  # noqa: E402
from grounding.checking.scorers.learned.records import flatten_record, is_record, unmatched_values  # noqa: E402
from grounding.checking.scorers.learned.scorer import (  # noqa: E402
    KINDS,
    SWAP_P,
    input_kind,
    number_swaps,
    stack_inputs,
)
from grounding.checking.scorers.learned.source_index import build_evidence  # noqa: E402

DATA = ROOT / "eval" / "data"
MAX_FLAGGED = 0.25
FOLDS = 5


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line]


def row_inputs(row: dict) -> tuple[str, int, bool]:
    """(kind, unmatched record values, any number swap) of one labelled row."""
    _, claims = claim_texts(row["answer"])
    facts = [f for s in row["sources"] if is_record(s) for f in flatten_record(s)]
    mismatches = sum(len(unmatched_values(c, facts)) for c in claims) if facts else 0
    evidence = build_evidence(row["sources"])
    swapped = any(number_swaps(c, evidence) for c in claims)
    return input_kind(row["sources"]), mismatches, swapped


def fit(x: np.ndarray, y: np.ndarray) -> tuple[StandardScaler, LogisticRegression]:
    scaler = StandardScaler().fit(x)
    scaler.scale_[scaler.scale_ == 0] = 1.0
    return scaler, LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(x), y)


def choose_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(P(unsupported) cut, F1, share of supported flagged): best F1 within MAX_FLAGGED."""
    best = (0.0, 0.5, 1.0)
    for t in np.unique(np.round(p, 3)):
        pred = p >= t
        flagged = float(pred[y == 0].mean())
        tp = int((pred & (y == 1)).sum())
        f1 = 2 * tp / (pred.sum() + y.sum()) if tp else 0.0
        if flagged <= MAX_FLAGGED and f1 > best[0]:
            best = (f1, float(t), flagged)
    return best[1], best[0], best[2]


def build_stack(rows: list[dict], v1: dict[str, float]) -> tuple[dict, np.ndarray]:
    """The stack.json content and the out-of-fold P(unsupported) of `rows` (those in `v1`)."""
    inputs = [row_inputs(r) for r in rows]
    x = np.asarray(
        [stack_inputs(v1[r["id"]], m) for r, (_, m, _) in zip(rows, inputs, strict=True)]
    )
    y = np.asarray([r["label"] for r in rows])
    kinds = np.asarray([k for k, _, _ in inputs])
    swapped = np.asarray([s for _, _, s in inputs])
    groups = np.asarray([json.dumps(r["sources"])[:2000] for r in rows])
    oof = np.zeros(len(rows))
    stack: dict = {"version": 2, "max_flagged": MAX_FLAGGED, "kinds": {}}
    for kind in KINDS:
        index = np.flatnonzero(kinds == kind)
        folds = min(FOLDS, len(set(groups[index])))
        for train, test in GroupKFold(folds).split(index, groups=groups[index]):
            scaler, model = fit(x[index[train]], y[index[train]])
            oof[index[test]] = model.predict_proba(scaler.transform(x[index[test]]))[:, 1]
        scaler, model = fit(x[index], y[index])
        stack["kinds"][kind] = {
            "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "coef": model.coef_[0].tolist(),
            "intercept": float(model.intercept_[0]),
            "n": len(index),
        }
    oof = np.where(swapped, np.maximum(oof, SWAP_P), oof)
    ragtruth = np.asarray([not r["id"].startswith("qags") for r in rows])
    cut, f1, flagged = choose_threshold(oof[ragtruth], y[ragtruth])
    stack["threshold"] = round(1.0 - cut, 6)
    stack["oof"] = {"f1": round(f1, 4), "supported_flagged": round(flagged, 4)}
    return stack, oof


def write_in_sample(rows: list[dict], path: Path) -> None:
    """The shipped learned-v1's P(unsupported) of each row, as JSONL (id, p_unsupported)."""
    from grounding.checking import check_many

    reports = check_many([(r["answer"], r["sources"]) for r in rows], scorer="learned-v1")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for row, report in zip(rows, reports, strict=True):
            out.write(json.dumps({"id": row["id"], "p_unsupported": 1 - report.score}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oof", type=Path, default=ROOT / "train" / "out" / "v1_oof.jsonl")
    parser.add_argument("--out", type=Path, default=PARAMS_DIR)
    parser.add_argument(
        "--in-sample", action="store_true", help="score the tune rows with the shipped v1 instead"
    )
    args = parser.parse_args()
    rows = load("ragtruth-tune.jsonl") + load("qags-tune.jsonl")
    if args.in_sample:
        args.oof = ROOT / "train" / "out" / "v1_insample.jsonl"
        write_in_sample(rows, args.oof)
    v1 = {r["id"]: r["p_unsupported"] for r in map(json.loads, args.oof.read_text().splitlines())}
    rows = [r for r in rows if r["id"] in v1]
    stack, oof = build_stack(rows, v1)
    stack["v1_scores"] = args.oof.name
    y = np.asarray([r["label"] for r in rows])
    cut = 1.0 - stack["threshold"]
    print(f"threshold: support < {stack['threshold']:.3f}; RAGTruth tune out of fold "
          f"F1 {stack['oof']['f1']:.3f}, {stack['oof']['supported_flagged']:.0%} of supported "
          "flagged")  # fmt: skip
    for kind in (*KINDS, "qags"):
        index = [
            i for i, r in enumerate(rows)
            if (r["id"].startswith("qags") if kind == "qags"
                else not r["id"].startswith("qags") and input_kind(r["sources"]) == kind)
        ]  # fmt: skip
        pred = oof[index] >= cut
        tp = int((pred & (y[index] == 1)).sum())
        print(f"  {kind}: F1 {2 * tp / (pred.sum() + y[index].sum()):.3f}, "
              f"supported flagged {pred[y[index] == 0].mean():.0%}")  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "stack.json").write_text(json.dumps(stack, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'stack.json'}")


if __name__ == "__main__":
    main()
