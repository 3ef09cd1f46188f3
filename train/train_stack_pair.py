"""Fit the default checker's stack (params/stack3.json): the pair model on v2, per input kind.

    python bench/split_data.py                 # once
    python train/train_stack_pair.py           # a few minutes: every tune claim through both

For each tune answer (RAGTruth and QAGS tune splits; the holdout is never read) every claim gets
v2's support and the packaged pair model's P(supported) (`LearnedScorer.claim_inputs`). An
answer's inputs are, per column, the largest of its claims' log-odds of being unsupported
(`stack_features`); one logistic regression per input kind (passages, document, record) maps
them to P(unsupported), and the scorer applies the same weights to each claim. The threshold is
the best answer F1 on RAGTruth tune, out of fold (grouped by source), among those that flag at
most MAX_FLAGGED of its supported answers. Deterministic.

The pair model trained on sentences of these tune answers (`train/pair_data.py`), so its scores
here are in sample and the stack leans on it more than out-of-sample data would justify; the
holdout figures (`bench/checker.py`) are the honest measure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))

from train_stack import MAX_FLAGGED, choose_threshold, fit, load  # noqa: E402

from grounding.checking.claims import claim_texts  # noqa: E402
from grounding.checking.learned import PARAMS_DIR  # noqa: E402
from grounding.checking.scorers.learned import KINDS, input_kind  # noqa: E402
from grounding.checking.scorers.pair import LearnedScorer, stack_features  # noqa: E402

FOLDS = 5


def answer_features(scorer: LearnedScorer, rows: list[dict]) -> np.ndarray:
    out = []
    for n, row in enumerate(rows):
        _, claims = claim_texts(row["answer"])
        if not claims:
            out.append([0.0, 0.0])
            continue
        v2, pair = scorer.claim_inputs(claims, row["sources"])
        x = stack_features(np.asarray([v.support for v in v2]), pair)
        out.append(x.max(axis=0).tolist())
        if n % 200 == 0:
            print(f"{n}/{len(rows)} answers", flush=True)
    return np.asarray(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PARAMS_DIR)
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    rows = load("ragtruth-tune.jsonl") + load("qags-tune.jsonl")
    if args.limit:
        rows = rows[:: max(1, len(rows) // args.limit)]
    scorer = LearnedScorer.__new__(LearnedScorer)  # the stack is what this script writes
    from grounding.backends.pair import pair_model
    from grounding.checking.scorers.learned import LearnedV2Scorer

    scorer.v2, scorer.model = LearnedV2Scorer(), pair_model()
    x = answer_features(scorer, rows)
    y = np.asarray([r["label"] for r in rows])
    kinds = np.asarray([input_kind(r["sources"]) for r in rows])
    groups = np.asarray([json.dumps(r["sources"])[:2000] for r in rows])
    oof = np.zeros(len(rows))
    stack: dict = {"version": 3, "model": scorer.model.version, "max_flagged": MAX_FLAGGED,
                   "inputs": ["v2 log-odds unsupported", "pair log-odds unsupported"],
                   "kinds": {}}  # fmt: skip
    for kind in KINDS:
        index = np.flatnonzero(kinds == kind)
        folds = min(FOLDS, len(set(groups[index])))
        for train, test in GroupKFold(folds).split(index, groups=groups[index]):
            scaler, model = fit(x[index[train]], y[index[train]])
            oof[index[test]] = model.predict_proba(scaler.transform(x[index[test]]))[:, 1]
        scaler, model = fit(x[index], y[index])
        stack["kinds"][kind] = {
            "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
            "coef": model.coef_[0].tolist(), "intercept": float(model.intercept_[0]),
            "n": len(index),
        }  # fmt: skip
        print(f"{kind}: coef {np.round(model.coef_[0], 3).tolist()} (n {len(index)})")
    ragtruth = np.asarray([not r["id"].startswith("qags") for r in rows])
    cut, f1, flagged = choose_threshold(oof[ragtruth], y[ragtruth])
    stack["threshold"] = round(1.0 - cut, 6)
    stack["oof"] = {"f1": round(f1, 4), "supported_flagged": round(flagged, 4)}
    print(f"threshold: support < {stack['threshold']:.3f}; RAGTruth tune out of fold F1 "
          f"{f1:.3f}, {flagged:.0%} of supported flagged")  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "stack3.json").write_text(json.dumps(stack, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'stack3.json'}")


if __name__ == "__main__":
    main()
