"""`learned-v3` ("learned@3"): the pair model's entailment stacked on v2. Not the default:
on the RAGTruth holdout it ranks answers worse than v2 (`python bench/checker.py --scorers
learned,learned@3`: AUROC 0.738 against 0.779, data2txt 0.527 against 0.706; QAGS 0.783
against 0.761), and on the tune split its out-of-fold F1 was lower too (0.699 against 0.761).

For each claim the pair model (`grounding.backends.pair`, trained here on entailment data)
reads the evidence units that share the most rare words with it (`select_evidence`, as in
training) and gives P(the claim follows). v2 (`learned-v2`: word evidence features, trees,
number-swap and record checks) gives its own per-claim support. Per input kind (passages,
one document, a record) a logistic stack turns the two log-odds into P(unsupported) for each
claim; the answer's score is its weakest claim's. Weights and the threshold come from
`train/train_stack_pair.py` (params/stack3.json), fitted on the tune split; the threshold
flags at most a quarter of the tune split's supported answers.

An unsupported claim's spans are v2's doubted words; when v2 doubts none, the whole claim.
Runs on ONNX Runtime and numpy: no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grounding.backends.evidence import select_evidence, sentences_of
from grounding.backends.pair import PairModel, pair_model
from grounding.checking.base import ClaimScore, Scorer
from grounding.checking.scorers.learned.model import PARAMS_DIR
from grounding.checking.scorers.learned.records import flatten_record, is_record
from grounding.checking.scorers.learned.scorer import LearnedV2Scorer, input_kind, stack_params

__all__ = [
    "LearnedV3Scorer",
    "claim_inputs",
    "evidence_units",
    "stack_features",
    "stack_unsupported",
]

VERSION = "3"


def evidence_units(sources: Sequence[str]) -> list[str]:
    """Sentences of the sources, and a record's "field: value" facts, in order."""
    units: list[str] = []
    for source in sources:
        units.extend(flatten_record(source) if is_record(source) else sentences_of(source))
    return units


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    logit: np.ndarray = np.log(p / (1 - p))
    return logit


def stack_features(v2_support: np.ndarray, pair_support: np.ndarray) -> np.ndarray:
    """Per claim: the log-odds that it is unsupported by v2 and by the pair model."""
    return np.stack([_logit(1 - v2_support), _logit(1 - pair_support)], axis=1)


def stack_unsupported(weights: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """P(unsupported) per row of `stack_features`, by one kind's stack weights."""
    z = (x - weights["mean"]) / weights["scale"] @ np.asarray(weights["coef"])
    return np.asarray(1.0 / (1.0 + np.exp(-(z + weights["intercept"]))))


def claim_inputs(
    v2: LearnedV2Scorer, model: PairModel, claims: Sequence[str], sources: Sequence[str]
) -> tuple[list[ClaimScore], np.ndarray]:
    """v2's verdicts and the pair model's P(supported), one per claim."""
    units = evidence_units(sources)
    pairs = [(select_evidence(units, claim), claim) for claim in claims]
    return v2.score(claims, sources), model.support(pairs)


class LearnedV3Scorer(Scorer):
    """The pair model's per-claim entailment stacked on v2's features (v3, opt-in)."""

    name = "learned"
    version = VERSION
    description = (
        "a MiniLM pair model trained here on entailment data, stacked on word evidence "
        "features + trees learned on RAGTruth (v3, offline, no torch)"
    )

    def __init__(self, params: str | Path | None = None) -> None:
        directory = str(params or PARAMS_DIR)
        self.v2 = LearnedV2Scorer(params)
        self.stack = stack_params(directory, "stack3.json", "train_stack_pair.py")
        self.threshold = float(self.stack["threshold"])
        self.model = pair_model()
        self.model_version = self.model.version

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        """One verdict per claim: P(supported) from the kind's stack."""
        if not claims:
            return []
        v2, pair = claim_inputs(self.v2, self.model, claims, sources)
        x = stack_features(np.asarray([v.support for v in v2]), pair)
        unsupported = stack_unsupported(self.stack["kinds"][input_kind(sources)], x)
        out = []
        for k, (claim, verdict) in enumerate(zip(claims, v2, strict=True)):
            spans = verdict.unsupported or ((0, len(claim)),)
            out.append(ClaimScore(support=float(1.0 - unsupported[k]),
                                  citations=verdict.citations, unsupported=spans))  # fmt: skip
        return out
