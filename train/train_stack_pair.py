"""Fit the default checker's stack (params/stack3.json): the pair model on v2, per input kind.

    python bench/split_data.py                 # once
    python train/train_stack_pair.py           # a few minutes: every tune claim through both

For each tune answer (RAGTruth and QAGS tune splits; the holdout is never read) every claim gets
v2's support and the packaged pair model's P(supported) (`scorers.pair.claim_inputs`). An
answer's inputs are, per column, the largest of its claims' log-odds of being unsupported
(`stack_features`); one logistic regression per input kind (passages, document, record) maps
them to P(unsupported), and the scorer applies the same weights to each claim. The threshold is
the best answer F1 on RAGTruth tune, out of fold (grouped by source), among those that flag at
most MAX_FLAGGED of its supported answers. Deterministic.

Both inputs are in sample on these rows: v2's trees were fitted on them (`train_checker.py`),
and the pair model trained on their sentences (`train/pair_data.py`). Weights fitted here
measure which of the two memorised the rows better, not which generalises, so by default
(`--weights equal`) the two standardised inputs weigh the same and only each kind's scale and
intercept are fitted; `--weights fitted` fits both weights. The holdout figures
(`bench/checker.py`) are the honest measure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))

from train_stack import MAX_FLAGGED, choose_threshold, fit, load  # noqa: E402

from grounding.backends.pair import PairModel, pair_model  # noqa: E402
from grounding.checking.claims import claim_texts  # noqa: E402
from grounding.checking.scorers.learned.model import PARAMS_DIR  # noqa: E402
from grounding.checking.scorers.learned.scorer import (  # noqa: E402
    KINDS,
    LearnedV2Scorer,
    input_kind,
)
from grounding.checking.scorers.pair import (  # noqa: E402
    claim_inputs,
    stack_features,
    stack_unsupported,
)

FOLDS = 5


def answer_features(v2: LearnedV2Scorer, model: PairModel, rows: list[dict]) -> np.ndarray:
    out = []
    for n, row in enumerate(rows):
        _, claims = claim_texts(row["answer"])
        if not claims:
            out.append([0.0, 0.0])
            continue
        verdicts, pair = claim_inputs(v2, model, claims, row["sources"])
        x = stack_features(np.asarray([v.support for v in verdicts]), pair)
        out.append(x.max(axis=0).tolist())
        if n % 200 == 0:
            print(f"{n}/{len(rows)} answers", flush=True)
    return np.asarray(out)


def _fit(x: np.ndarray, y: np.ndarray, weights: str) -> dict:
    """Standardised inputs -> logistic P(unsupported). `equal`: the two inputs weigh the same
    and only the scale and the intercept are fitted (see the module docstring)."""
    scaler, model = fit(x, y)
    if weights == "equal":
        z = scaler.transform(x).mean(axis=1, keepdims=True)
        one = LogisticRegression(C=1.0, max_iter=1000).fit(z, y)
        coef = [float(one.coef_[0][0]) / x.shape[1]] * x.shape[1]
        intercept = float(one.intercept_[0])
    else:
        coef, intercept = model.coef_[0].tolist(), float(model.intercept_[0])
    return {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(), "coef": coef,
            "intercept": intercept}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PARAMS_DIR)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--weights", choices=("equal", "fitted"), default="equal")
    args = parser.parse_args()
    rows = load("ragtruth-tune.jsonl") + load("qags-tune.jsonl")
    if args.limit:
        rows = rows[:: max(1, len(rows) // args.limit)]
    model = pair_model()
    x = answer_features(LearnedV2Scorer(), model, rows)
    y = np.asarray([r["label"] for r in rows])
    kinds = np.asarray([input_kind(r["sources"]) for r in rows])
    groups = np.asarray([json.dumps(r["sources"])[:2000] for r in rows])
    oof = np.zeros(len(rows))
    stack: dict = {"version": 3, "model": model.version, "max_flagged": MAX_FLAGGED,
                   "weights": args.weights,
                   "inputs": ["v2 log-odds unsupported", "pair log-odds unsupported"],
                   "kinds": {}}  # fmt: skip
    for kind in KINDS:
        index = np.flatnonzero(kinds == kind)
        folds = min(FOLDS, len(set(groups[index])))
        for train, test in GroupKFold(folds).split(index, groups=groups[index]):
            weights = _fit(x[index[train]], y[index[train]], args.weights)
            oof[index[test]] = stack_unsupported(weights, x[index[test]])
        stack["kinds"][kind] = {**_fit(x[index], y[index], args.weights), "n": len(index)}
        print(f"{kind}: coef {np.round(stack['kinds'][kind]['coef'], 3).tolist()} "
              f"(n {len(index)})")  # fmt: skip
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
