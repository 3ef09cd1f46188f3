"""The default scorer (`learned`, version 2, also named `learned-v2`) and the previous one
(`learned-v1`); `learned-v3` stacks the pair model on v2 (`grounding/checking/scorers/pair.py`).

Both run offline on CPU with numpy only: no model download, no embedding pass, no torch.

`learned-v1`: word-level evidence features -> boosted trees -> calibrated answer model
(`grounding.checking.scorers.learned.model`, parameters in `params/learned.*`).

`learned-v2` stands on v1 and adds, per input kind (`input_kind`: passages, one document,
a record):
- a calibration of v1's answer score per kind, with a record's unmatched values
  (`records.py`, beside it) as a second input, fitted on the tune split out of fold
  (`train/train_stack.py`, parameters in `params/stack.json`);
- number swaps: a claimed number absent from the sources whose neighbouring words surround
  another number there ("as much as 900 cycles" against "as much as 200 cycles") makes its
  claim unsupported, with the number as the unsupported span;
- a default threshold chosen on the tune split to flag at most a quarter of supported answers.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from grounding.checking.base import ClaimScore, Scorer
from grounding.checking.scorers.learned.features import token_features
from grounding.checking.scorers.learned.model import (
    PARAMS_DIR,
    LearnedModel,
    claim_supports,
    token_spans,
)
from grounding.checking.scorers.learned.records import flatten_record, is_record, unmatched_values
from grounding.checking.scorers.learned.source_index import (
    Evidence,
    as_in_sources,
    build_evidence,
    citations,
    normalize_number,
)
from grounding.core.text import word_spans
from grounding.errors import ModelError

__all__ = [
    "KINDS",
    "LearnedV1Scorer",
    "LearnedV2Scorer",
    "input_kind",
    "number_swaps",
    "stack_params",
]

KINDS = ("passages", "document", "record")
VERSION = "2"
SWAP_P = 0.9  # P(unsupported) of a claim holding a swapped number


@functools.cache
def _model(directory: str) -> LearnedModel:
    return LearnedModel.load(Path(directory))


@functools.cache
def stack_params(
    directory: str, name: str = "stack.json", recipe: str = "train_stack.py"
) -> dict[str, Any]:
    """A calibration or stack file of the params folder, read once; `recipe` rebuilds it."""
    path = Path(directory) / name
    try:
        stack: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(
            f"cannot read the checker's parameters {path}: {exc}; "
            f"rebuild them with `python train/{recipe}`"
        ) from exc
    return stack


def input_kind(sources: Sequence[str]) -> str:
    """ "record" (a JSON object), "passages" (several sources) or "document" (one)."""
    if any(is_record(source) for source in sources):
        return "record"
    return "passages" if len(sources) > 1 else "document"


def _is_number(word: str) -> bool:
    return any(c.isdigit() for c in word) and normalize_number(word) is not None


@functools.lru_cache(maxsize=64)
def _number_contexts(words: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    return frozenset(
        (words[j - 1] if j else "", words[j + 1] if j + 1 < len(words) else "")
        for j, word in enumerate(words)
        if _is_number(word)
    )


def number_swaps(claim: str, evidence: Evidence) -> list[tuple[int, int]]:
    """Offsets of numbers in `claim` that the sources hold a different number in place of.

    A number counts as swapped when its value is nowhere in the sources but the word before
    and the word after it surround a number in the sources.
    """
    contexts = _number_contexts(tuple(evidence.words))
    spans = word_spans(claim)
    words = [as_in_sources(claim[s:e].lower(), evidence) for s, e in spans]
    out = []
    for i, word in enumerate(words):
        if not _is_number(word) or normalize_number(word) in evidence.numbers:
            continue
        around = (words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else "")
        if around in contexts:
            out.append(spans[i])
    return out


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def stack_inputs(p_v1: float, mismatches: int) -> list[float]:
    """The per-kind calibration's inputs: v1's answer logit and a record's unmatched values."""
    return [_logit(p_v1), float(min(mismatches, 3))]


def _merge(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return tuple((s, e) for s, e in merged)


class LearnedV1Scorer(Scorer):
    """The previous default (v1): word evidence features + boosted trees, one calibration."""

    name = "learned-v1"
    description = "the previous default (v1): word evidence features + trees learned on RAGTruth"

    def __init__(self, params: str | Path | None = None) -> None:
        self.model = _model(str(params or PARAMS_DIR))
        self.threshold = self.model.threshold

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        """One verdict per claim; `unsupported` offsets are the words the model doubts."""
        if not claims:
            return []
        evidence = build_evidence(sources)
        table = token_features(claims, evidence)
        supports, token_p = self.model.predict(table, len(claims))
        return [
            ClaimScore(
                support=float(supports[k]),
                citations=citations(claim, evidence),
                unsupported=tuple(
                    token_spans(table, token_p, k, self.model.token_threshold, self.model.span_gap)
                ),
            )
            for k, claim in enumerate(claims)
        ]


class LearnedV2Scorer(Scorer):
    """v1's trees calibrated per input kind, with record-value and number-swap checks (v2)."""

    name = "learned"  # reports say "learned@2"
    version = VERSION
    description = (
        "word evidence features + trees learned on RAGTruth, calibrated per input kind, "
        "with record and number checks (v2, offline)"
    )

    def __init__(self, params: str | Path | None = None) -> None:
        directory = str(params or PARAMS_DIR)
        self.model = _model(directory)
        self.stack = stack_params(directory)
        self.threshold = float(self.stack["threshold"])

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        """One verdict per claim; the weakest claim carries the answer's calibrated support."""
        if not claims:
            return []
        evidence = build_evidence(sources)
        table = token_features(claims, evidence)
        supports_v1, token_p = self.model.predict(table, len(claims))
        kind = input_kind(sources)
        facts = [f for s in sources if is_record(s) for f in flatten_record(s)]
        extra = [unmatched_values(c, facts) if facts else [] for c in claims]
        swaps = [number_swaps(c, evidence) for c in claims]
        p_v1 = 1.0 - float(supports_v1.min())
        p = self.calibrate(kind, p_v1, sum(len(e) for e in extra))
        claim_p = 1.0 - supports_v1
        for k, swapped in enumerate(swaps):
            if swapped:
                claim_p[k] = max(claim_p[k], SWAP_P)
                p = max(p, SWAP_P)
        supports = claim_supports(claim_p, p)
        out = []
        for k, claim in enumerate(claims):
            spans = token_spans(table, token_p, k, self.model.token_threshold, self.model.span_gap)
            out.append(
                ClaimScore(
                    support=float(supports[k]),
                    citations=citations(claim, evidence),
                    unsupported=_merge(spans + swaps[k] + extra[k]),
                )
            )
        return out

    def calibrate(self, kind: str, p_v1: float, mismatches: int) -> float:
        """P(unsupported) for the answer: the kind's logistic calibration of v1's score."""
        weights = self.stack["kinds"][kind]
        x = np.asarray(stack_inputs(p_v1, mismatches))
        z = float((x - weights["mean"]) / weights["scale"] @ np.asarray(weights["coef"]))
        return 1.0 / (1.0 + math.exp(-(z + weights["intercept"])))
