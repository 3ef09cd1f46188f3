"""The learned checker model: word-level trees -> claim-level trees -> answer-level regression.

Stage 1 scores every word of a claim for being part of an unsupported span (features from
`features.py`, beside it). A second word-level stage rescores each word from its
neighbours' scores (`context_features`). Stage 2 scores each claim from its words' scores and claim
features. Stage 3, a logistic regression over answer features, scores the whole answer, and
isotonic calibration (fitted out of fold) turns that into a probability of unsupported
content. Claim supports are the stage-2 scores shifted so that the weakest claim carries the
answer's calibrated support (`claim_supports`): the report's overall score, the minimum over
claims, is then the calibrated one. Parameters: `params/learned.npz` + `params/learned.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grounding.checking.scorers.learned.features import TOKEN_FEATURES, TokenTable
from grounding.checking.scorers.learned.forest import Forest, Isotonic, Linear
from grounding.errors import ModelError

__all__ = [
    "ANSWER_FEATURES",
    "CLAIM_FEATURES",
    "CONTEXT_FEATURES",
    "PARAMS_DIR",
    "LearnedModel",
    "answer_features",
    "apply_prior",
    "claim_features",
    "claim_supports",
    "context_features",
    "token_spans",
]

PARAMS_DIR = Path(__file__).resolve().parent / "params"
CLAIM_FEATURES: tuple[str, ...] = (
    "max_p", "mean_p", "top3_p", "frac_p30", "frac_p50", "log_not_any", "answer_max_p",
    "answer_mean_p", "n_words", "claim_cover", "claim_number_cover", "claim_missing",
    "json_source", "answer_claims",
    "answer_cover", "claim_position", "claim_is_first", "best_sentence_cover",
    "top3_sentence_cover",
)  # fmt: skip
_COPIED = ("claim_cover", "claim_number_cover", "claim_missing", "json_source",
           "answer_claims", "answer_cover",
           "claim_position", "claim_is_first", "best_sentence_cover",
           "top3_sentence_cover")  # fmt: skip
ANSWER_FEATURES: tuple[str, ...] = (
    "claim_max", "claim_second", "claim_mean", "token_max", "token_top5", "token_sum",
    "token_n50", "token_n30", "answer_cover", "json_source", "n_sources", "answer_claims",
    "n_words", "log_source_words", "min_best_sentence_cover", "mean_claim_cover",
    "min_number_cover", "missing", "missing_share",
)  # fmt: skip


CONTEXT_RADII = (1, 2, 4, 8)
CONTEXT_FEATURES: tuple[str, ...] = (
    "p", *(f"{kind}{r}" for r in CONTEXT_RADII for kind in ("mean", "max")),
    "max_before", "max_after", "claim_max", "claim_mean",
)  # fmt: skip


def context_features(table: TokenTable, token_p: np.ndarray) -> np.ndarray:
    """Stage-1 scores of each word's neighbours (CONTEXT_FEATURES) beside its own features.

    Unsupported spans are phrases, so a word whose neighbours look unsupported is likely
    unsupported too; the second word-level stage learns this smoothing.
    """
    rows = np.zeros((len(token_p), len(CONTEXT_FEATURES)))
    for k in np.unique(table.claim_index):
        index = np.flatnonzero(table.claim_index == k)
        q = token_p[index]
        n = len(q)
        sums = np.concatenate([[0.0], np.cumsum(q)])
        at = np.arange(n)
        columns = [q]
        widest, reached = q, 0  # widest[i]: the max of q within `reached` words of i
        for r in CONTEXT_RADII:
            lo, hi = np.maximum(at - r, 0), np.minimum(at + r + 1, n)
            while reached < r:  # radii double: each step widens by min(reached, r - reached)
                step = max(1, min(reached, r - reached))
                widest, reached = _shifted_max(widest, step), reached + step
            columns += [(sums[hi] - sums[lo]) / (hi - lo), widest]
        prefix_max = np.maximum.accumulate(q)
        suffix_max = np.maximum.accumulate(q[::-1])[::-1]
        columns.append(np.concatenate([[0.0], prefix_max[:-1]]))
        columns.append(np.concatenate([suffix_max[1:], [0.0]]))
        columns += [np.full(n, q.max()), np.full(n, q.mean())]
        rows[index] = np.stack(columns, axis=1)
    return np.hstack([rows, table.features.astype(np.float64)])


def _shifted_max(values: np.ndarray, step: int) -> np.ndarray:
    """max(values[i - step], values[i], values[i + step]), ignoring positions off either end."""
    out = values.copy()
    if step < len(values):
        np.maximum(out[step:], values[:-step], out=out[step:])
        np.maximum(out[:-step], values[step:], out=out[:-step])
    return out


def claim_features(table: TokenTable, token_p: np.ndarray, n_claims: int) -> np.ndarray:
    """One row of CLAIM_FEATURES per claim, from its words' stage-1 scores."""
    rows = np.zeros((n_claims, len(CLAIM_FEATURES)), dtype=np.float64)
    answer_max = float(token_p.max()) if len(token_p) else 0.0
    answer_mean = float(token_p.mean()) if len(token_p) else 0.0
    copied = [TOKEN_FEATURES.index(name) for name in _COPIED]
    for k in range(n_claims):
        mask = table.claim_index == k
        p = token_p[mask]
        if not len(p):
            continue
        top = np.sort(p)[::-1][:3]
        rows[k, :9] = (
            p.max(), p.mean(), top.mean(), (p > 0.3).mean(), (p > 0.5).mean(),
            np.log1p(-np.clip(p, 0, 0.999)).sum(), answer_max, answer_mean, len(p),
        )  # fmt: skip
        rows[k, 9:] = table.features[mask][0, copied]
    return rows


def answer_features(table: TokenTable, token_p: np.ndarray, claim_p: np.ndarray) -> np.ndarray:
    """One row of ANSWER_FEATURES for the whole answer."""
    f = table.features
    col = {name: i for i, name in enumerate(TOKEN_FEATURES)}
    if not len(token_p):
        return np.zeros((1, len(ANSWER_FEATURES)))
    claims = np.sort(claim_p)[::-1]
    first = np.unique(table.claim_index, return_index=True)[1]  # one row per claim
    content = f[:, col["is_stop"]] == 0
    missing = content & (f[:, col["in_source"]] == 0) & (f[:, col["stem_in_source"]] == 0)
    row = [
        claims[0], claims[1] if len(claims) > 1 else 0.0, claims.mean(), token_p.max(),
        np.sort(token_p)[::-1][:5].mean(), token_p.sum(), (token_p > 0.5).sum(),
        (token_p > 0.3).sum(), f[0, col["answer_cover"]], f[0, col["json_source"]],
        f[0, col["n_sources"]], f[0, col["answer_claims"]], len(token_p),
        f[0, col["log_source_words"]], f[first, col["best_sentence_cover"]].min(),
        f[first, col["claim_cover"]].mean(), f[first, col["claim_number_cover"]].min(),
        missing.sum(), missing.sum() / max(content.sum(), 1),
    ]  # fmt: skip
    return np.asarray([row], dtype=np.float64)


def claim_supports(claim_p: np.ndarray, answer_p: float) -> np.ndarray:
    """Per-claim support whose minimum is exactly 1 - answer_p, ordered as the claim scores.

    The claim stage ranks claims; the answer stage, calibrated, says how likely the answer
    holds unsupported content. Shifting all claims' log-odds by one constant keeps the
    ranking and makes the weakest claim carry the answer's calibrated probability.
    """
    eps = 1e-4
    logits = np.log(np.clip(1 - claim_p, eps, 1 - eps)) - np.log(np.clip(claim_p, eps, 1 - eps))
    target = np.log(max(1 - answer_p, eps)) - np.log(max(answer_p, eps))
    shifted: np.ndarray = 1 / (1 + np.exp(-(logits + target - logits.min())))
    shifted[int(np.argmin(logits))] = min(max(1 - answer_p, 0.0), 1.0)
    return shifted


def token_spans(
    table: TokenTable, token_p: np.ndarray, claim: int, threshold: float, gap: int
) -> list[tuple[int, int]]:
    """Offsets (within the claim) of runs of words scored above `threshold`.

    Runs separated by at most `gap` unselected words are joined, since annotated spans are
    phrases that include the small words between the unsupported ones.
    """
    index = np.flatnonzero(table.claim_index == claim)
    if not len(index):
        return []
    p = token_p[index]
    chosen = np.flatnonzero(p > threshold)
    if not len(chosen):
        chosen = np.flatnonzero(p >= 0.8 * p.max())
    runs: list[list[int]] = []
    for position in (int(c) for c in chosen):
        if runs and position - runs[-1][1] <= gap + 1:
            runs[-1][1] = position
        else:
            runs.append([position, position])
    return [(table.spans[index[a]][0], table.spans[index[b]][1]) for a, b in runs]


@dataclass
class LearnedModel:
    """Both stages, the calibration and the thresholds chosen on the tune split."""

    token: Forest
    context: Forest
    claim: Forest
    answer: Linear
    calibration: Isotonic
    word_prior: dict[str, float]
    threshold: float  # support threshold that maximised answer-level F1 on tune
    token_threshold: float
    span_gap: int
    info: dict[str, object] = field(default_factory=dict)

    def predict(self, table: TokenTable, n_claims: int) -> tuple[np.ndarray, np.ndarray]:
        """(support per claim, stage-1 unsupported score per word).

        The weakest claim's support is the calibrated probability that the whole answer
        is supported.
        """
        apply_prior(table, self.word_prior)
        x = table.features.astype(np.float64)
        if not len(x):
            return np.ones(n_claims), np.zeros(0)
        token_p = self.token.predict(x)
        token_p = self.context.predict(context_features(table, token_p))
        claim_p = self.claim.predict(claim_features(table, token_p, n_claims))
        raw = self.answer.predict(answer_features(table, token_p, claim_p))
        answer_p = float(self.calibration(raw)[0])
        return claim_supports(claim_p, answer_p), token_p

    def save(self, directory: Path = PARAMS_DIR) -> None:
        """Write `learned.npz` (arrays) and `learned.json` (everything else)."""
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {
            **self.token.to_arrays("token"),
            **self.context.to_arrays("context"),
            **self.claim.to_arrays("claim"),
            **self.answer.to_arrays("answer"),
        }
        arrays["calibration.x"] = self.calibration.x
        arrays["calibration.y"] = self.calibration.y
        np.savez_compressed(directory / "learned.npz", allow_pickle=False, **arrays)
        meta = {
            "token_features": list(TOKEN_FEATURES),
            "context_features": list(CONTEXT_FEATURES),
            "claim_features": list(CLAIM_FEATURES),
            "answer_features": list(ANSWER_FEATURES),
            "threshold": self.threshold,
            "token_threshold": self.token_threshold,
            "span_gap": self.span_gap,
            "info": self.info,
            "word_prior": {w: round(v, 4) for w, v in sorted(self.word_prior.items())},
        }
        (directory / "learned.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path = PARAMS_DIR) -> LearnedModel:
        """The committed parameters; refuses files written for other features."""
        try:
            meta = json.loads((directory / "learned.json").read_text(encoding="utf-8"))
            arrays = np.load(directory / "learned.npz", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"cannot read the learned checker parameters in {directory}: {exc}; "
                "rebuild them with `python train/train_checker.py`"
            ) from exc
        if (
            tuple(meta["token_features"]) != TOKEN_FEATURES
            or tuple(meta["claim_features"]) != CLAIM_FEATURES
            or tuple(meta.get("context_features", ())) != CONTEXT_FEATURES
            or tuple(meta.get("answer_features", ())) != ANSWER_FEATURES
        ):
            raise ModelError(
                "the learned checker parameters were trained on other features; "
                "rebuild them with `python train/train_checker.py`"
            )
        return cls(
            token=Forest.from_arrays(arrays, "token"),
            context=Forest.from_arrays(arrays, "context"),
            claim=Forest.from_arrays(arrays, "claim"),
            answer=Linear.from_arrays(arrays, "answer"),
            calibration=Isotonic(arrays["calibration.x"], arrays["calibration.y"]),
            word_prior=dict(meta["word_prior"]),
            threshold=float(meta["threshold"]),
            token_threshold=float(meta["token_threshold"]),
            span_gap=int(meta["span_gap"]),
            info=dict(meta.get("info", {})),
        )


def apply_prior(table: TokenTable, prior: dict[str, float]) -> None:
    """Fill the word-prior column in place (kept out of `token_features` for training folds)."""
    column = TOKEN_FEATURES.index("word_prior")
    table.features[:, column] = [prior.get(word, 0.0) for word in table.words]
