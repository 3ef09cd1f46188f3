"""Train the learned checker on the tune split and write grounding/checking/scorers/learned/params/.

    python bench/split_data.py          # once: eval/data/*-{tune,holdout}.jsonl
    python train/train_checker.py [--embed] [--oof FILE] \
        [--out grounding/checking/scorers/learned/params]

Run it with OMP_NUM_THREADS=1 on a shared machine: with other work on the two cores, the
trees' OpenMP threads spin and the same run took over 25 minutes instead of about 4.
`--oof FILE` writes, per tune row, the out-of-fold answer score and the claim-stage and word
scores (`claim_p`, `token_p`, in claim and word order) for calibration and span experiments;
with `--out train/out/v1` the shipped parameters stay as they are.

Deterministic (fixed seeds, grouped folds by source). Out-of-fold predictions feed the
second stage, the calibration and the thresholds, so nothing is chosen on rows a model saw.
The holdout files are never read here.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))

from checker_data import Example, char_f1, load_rows, prepare  # noqa: E402
from synthetic import perturb_rows  # noqa: E402

from grounding.checking.scorers.learned.features import TOKEN_FEATURES  # noqa: E402
from grounding.checking.scorers.learned.forest import Forest, Isotonic, Linear  # noqa: E402
from grounding.checking.scorers.learned.model import (  # noqa: E402
    PARAMS_DIR,
    LearnedModel,
    answer_features,
    claim_features,
    claim_supports,
    context_features,
    token_spans,
)
from grounding.core.text import STOPWORDS  # noqa: E402

DATA = ROOT / "eval" / "data"
SYNTHETIC = "-synthetic"
FOLDS = 5
PRIOR_MIN_COUNT = 4
PRIOR_M = 10.0


def word_prior(examples: list[Example]) -> dict[str, float]:
    """Smoothed log-odds that a content word lies in an unsupported span, vs the base rate."""
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for ex in examples:
        if ex.row["id"].endswith(SYNTHETIC):
            continue  # perturbations would teach the prior their own vocabulary ("not")
        for word, y in zip(ex.words, ex.y_token, strict=True):
            if word not in STOPWORDS and not word.isdigit():
                hits[word][0] += int(y)
                hits[word][1] += 1
    positives = sum(h[0] for h in hits.values())
    total = sum(h[1] for h in hits.values()) or 1
    base = positives / total
    prior = {}
    for word, (a, n) in hits.items():
        if n >= PRIOR_MIN_COUNT:
            rate = (a + PRIOR_M * base) / (n + PRIOR_M)
            prior[word] = math.log(rate / (1 - rate)) - math.log(base / (1 - base))
    return prior


def _set_prior(examples: list[Example], prior: dict[str, float]) -> None:
    for ex in examples:
        column = TOKEN_FEATURES.index("word_prior")
        ex.x[:, column] = [prior.get(w, 0.0) for w in ex.words]


def token_model(seed: int = 0) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=250, learning_rate=0.06, max_leaf_nodes=31, min_samples_leaf=40,
        l2_regularization=1.0, early_stopping=False, random_state=seed,
    )  # fmt: skip


def claim_model(seed: int = 0) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=20,
        l2_regularization=1.0, early_stopping=False, random_state=seed,
    )  # fmt: skip


def fit_tokens(examples: list[Example]) -> Forest:
    prior = word_prior(examples)
    _set_prior(examples, prior)
    x = np.concatenate([ex.x for ex in examples]).astype(np.float64)
    y = np.concatenate([ex.y_token for ex in examples])
    return Forest.from_sklearn(token_model().fit(x, y))


def claim_rows(ex: Example, token_p: np.ndarray) -> np.ndarray:
    table = _table(ex)
    return claim_features(table, token_p, len(ex.claim_spans))


def _table(ex: Example):  # noqa: ANN202
    from grounding.checking.scorers.learned.features import TokenTable

    return TokenTable(ex.claim_index, [(0, 0)] * len(ex.words), ex.words, ex.x)


def oof_token_p(examples: list[Example]) -> list[np.ndarray]:
    """Stage-1 scores of every word from a model that did not see its source."""
    out: list[np.ndarray] = [np.zeros(0)] * len(examples)
    groups = [ex.group for ex in examples]
    for train_idx, test_idx in GroupKFold(FOLDS).split(examples, groups=groups):
        train = [examples[i] for i in train_idx]
        test = [examples[i] for i in test_idx]
        forest = fit_tokens(train)
        prior = word_prior(train)
        _set_prior(test, prior)
        for i, ex in zip(test_idx, test, strict=True):
            out[i] = forest.predict(ex.x) if len(ex.x) else np.zeros(0)
    return out


def context_model(seed: int = 0) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_leaf_nodes=31, min_samples_leaf=40,
        l2_regularization=1.0, early_stopping=False, random_state=seed,
    )  # fmt: skip


def oof_context_p(
    examples: list[Example], token_p: list[np.ndarray]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Second word-level stage out of fold; also returns its input rows for the final fit."""
    rows = [context_features(_table(ex), p) for ex, p in zip(examples, token_p, strict=True)]
    out: list[np.ndarray] = [np.zeros(0)] * len(examples)
    groups = [ex.group for ex in examples]
    for train_idx, test_idx in GroupKFold(FOLDS).split(examples, groups=groups):
        x = np.concatenate([rows[i] for i in train_idx])
        y = np.concatenate([examples[i].y_token for i in train_idx])
        model = context_model().fit(x, y)
        for i in test_idx:
            out[i] = model.predict_proba(rows[i])[:, 1] if len(rows[i]) else np.zeros(0)
    return out, rows


def oof_claim_p(examples: list[Example], token_p: list[np.ndarray]) -> list[np.ndarray]:
    out: list[np.ndarray] = [np.zeros(0)] * len(examples)
    groups = [ex.group for ex in examples]
    rows = [claim_rows(ex, p) for ex, p in zip(examples, token_p, strict=True)]
    for train_idx, test_idx in GroupKFold(FOLDS).split(examples, groups=groups):
        x = np.concatenate([rows[i] for i in train_idx])
        y = np.concatenate([examples[i].y_claim for i in train_idx])
        model = claim_model().fit(x, y)
        for i in test_idx:
            out[i] = model.predict_proba(rows[i])[:, 1] if len(rows[i]) else np.zeros(0)
    return out


def best_f1_threshold(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    best = (0.0, 0.5)
    for t in np.unique(np.round(p, 3)):
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        f1 = 2 * tp / (pred.sum() + (y == 1).sum()) if tp else 0.0
        best = max(best, (f1, float(t)))
    return best


def tune_spans(
    examples: list[Example], token_p: list[np.ndarray], claim_unsup: list[np.ndarray], t: float
) -> tuple[float, int, float]:
    best = (0.0, 0.5, 1)
    gold = [ex.row.get("spans") or [] for ex in examples]
    for threshold in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3):
        for gap in (1, 3, 6):
            pred = []
            for ex, p, c in zip(examples, token_p, claim_unsup, strict=True):
                spans = []
                table = _table_with_spans(ex)
                for k in np.flatnonzero(c < t):
                    start = ex.claim_spans[k][0]
                    spans += [
                        (start + s, start + e)
                        for s, e in token_spans(table, p, int(k), threshold, gap)
                    ]
                pred.append(spans)
            f1 = char_f1(pred, gold)[2]
            best = max(best, (f1, threshold, gap))
    return best[1], best[2], best[0]


def _table_with_spans(ex: Example):  # noqa: ANN202
    from grounding.checking.scorers.learned.features import TokenTable

    spans = [
        (s - ex.claim_spans[k][0], e - ex.claim_spans[k][0])
        for k, (s, e) in zip(ex.claim_index, ex.token_spans, strict=True)
    ]
    return TokenTable(ex.claim_index, spans, ex.words, ex.x)


def oof_answer_p(rows: list[np.ndarray], examples: list[Example]) -> np.ndarray:
    out = np.zeros(len(examples))
    groups = [ex.group for ex in examples]
    labels = np.asarray([ex.label for ex in examples])
    x = np.concatenate(rows)
    for train_idx, test_idx in GroupKFold(FOLDS).split(examples, groups=groups):
        out[test_idx] = fit_answer(x[train_idx], labels[train_idx]).predict(x[test_idx])
    return out


def fit_answer(x: np.ndarray, y: np.ndarray) -> Linear:
    """Answer stage: standardised logistic regression (beat boosted trees out of fold)."""
    scaler = StandardScaler().fit(x)
    scaler.scale_[scaler.scale_ == 0] = 1.0
    model = LogisticRegression(C=0.3, max_iter=2000).fit(scaler.transform(x), y)
    return Linear.from_sklearn(scaler, model)


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    edges = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum(abs(p[edges == b].mean() - y[edges == b].mean()) * (edges == b).sum()
                     for b in range(bins) if (edges == b).any()) / len(p))  # fmt: skip


def _task_f1(examples: list[Example], p: np.ndarray, labels: np.ndarray, t: float) -> str:
    parts = []
    for task in ("qa", "summary", "data2txt"):
        idx = [i for i, ex in enumerate(examples) if ex.row["task"] == task]
        pred = p[idx] >= t
        tp = int((pred & (labels[idx] == 1)).sum())
        parts.append(f"{task} {2 * tp / (pred.sum() + labels[idx].sum()):.3f}")
    return ", ".join(parts)


def _final_token_p(examples: list[Example], token: Forest, context: Forest) -> list[np.ndarray]:
    """Word scores from the final word-level stages, for rows they never saw (QAGS)."""
    out = []
    for ex in examples:
        first = token.predict(ex.x) if len(ex.x) else np.zeros(0)
        out.append(context.predict(context_features(_table(ex), first)) if len(first) else first)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PARAMS_DIR)
    parser.add_argument("--no-qags", action="store_true", help="leave qags-tune out")
    parser.add_argument(
        "--synthetic", action="store_true", help="add perturbed answers to the word stages"
    )
    parser.add_argument(
        "--oof", type=Path, default=None, help="also write out-of-fold answer scores (JSONL)"
    )
    args = parser.parse_args()
    started = time.time()
    examples = [prepare(row) for row in load_rows(DATA / "ragtruth-tune.jsonl")]
    print(f"prepared {len(examples)} rows in {time.time() - started:.1f}s")
    rows_in = load_rows(DATA / "ragtruth-tune.jsonl")
    synthetic = [prepare(row) for row in perturb_rows(rows_in)] if args.synthetic else []
    word_level = examples + synthetic  # synthetic rows train the word stages only
    first_p = oof_token_p(word_level)
    token_p, context_rows = oof_context_p(word_level, first_p)
    token_p = token_p[: len(examples)]
    token_forest = fit_tokens(word_level)  # also writes the in-sample prior into the rows
    prior = word_prior(examples)
    context_forest = Forest.from_sklearn(
        context_model().fit(
            np.concatenate(context_rows), np.concatenate([ex.y_token for ex in word_level])
        )
    )
    # QAGS rows (answer labels only) join the claim and answer stages: short one-sentence
    # answers that RAGTruth lacks. Their word scores come from the final word-level stages.
    extra = [] if args.no_qags else [prepare(r) for r in load_rows(DATA / "qags-tune.jsonl")]
    _set_prior(extra, prior)
    both = examples + extra
    both_token_p = token_p + _final_token_p(extra, token_forest, context_forest)
    claim_p = oof_claim_p(both, both_token_p)
    rows = [
        answer_features(_table(ex), tp, cp)
        for ex, tp, cp in zip(both, both_token_p, claim_p, strict=True)
    ]
    answer_p = oof_answer_p(rows, both)
    labels = np.asarray([ex.label for ex in both])
    iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(answer_p, labels)
    calibrated = iso.predict(answer_p)
    n = len(examples)
    if args.oof:  # answer, claim-stage and word scores, for train_stack.py
        with args.oof.open("w", encoding="utf-8") as out:
            for ex, p, cp, tp in zip(both, calibrated, claim_p, both_token_p, strict=True):
                out.write(json.dumps({
                    "id": ex.row["id"], "p_unsupported": float(p),
                    "claim_p": [round(float(v), 6) for v in cp],
                    "token_p": [round(float(v), 6) for v in tp],
                }) + "\n")  # fmt: skip
    f1, t = best_f1_threshold(calibrated[:n], labels[:n])
    print(f"oof RAGTruth answer F1 {f1:.3f} at P(unsupported) >= {t:.3f}")
    print("  " + _task_f1(examples, calibrated[:n], labels[:n], t))
    if extra:
        pred = calibrated[n:] >= t
        hits = int((pred & (labels[n:] == 1)).sum())
        print(f"oof QAGS answer F1 {2 * hits / (pred.sum() + labels[n:].sum()):.3f}")
    supports = [
        claim_supports(cp, a) if len(cp) else cp
        for cp, a in zip(claim_p[:n], calibrated[:n], strict=True)
    ]
    token_threshold, gap, span_f1 = tune_spans(examples, token_p, supports, 1.0 - t)
    print(f"oof span F1 {span_f1:.3f} (token threshold {token_threshold}, gap {gap})")

    claim_x = np.concatenate([claim_rows(ex, p) for ex, p in zip(both, both_token_p, strict=True)])
    y_claim = np.concatenate([ex.y_claim for ex in both])
    claim_forest = Forest.from_sklearn(claim_model().fit(claim_x, y_claim))
    model = LearnedModel(
        token=token_forest,
        context=context_forest,
        claim=claim_forest,
        answer=fit_answer(np.concatenate(rows), labels),
        calibration=Isotonic.from_sklearn(iso),
        word_prior=prior,
        threshold=1.0 - t,
        token_threshold=token_threshold,
        span_gap=gap,
        info={
            "trained_on": "ragtruth-tune"
            + ("" if args.no_qags else " + qags-tune")
            + " (bench/split_data.py)",
            "oof_f1": round(f1, 4),
            "oof_span_f1": round(span_f1, 4),
        },
    )
    model.save(args.out)
    print(f"wrote {args.out} in {time.time() - started:.1f}s")


if __name__ == "__main__":
    main()
