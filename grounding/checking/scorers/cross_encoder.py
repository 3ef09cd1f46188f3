"""A scorer over any local sequence-pair classifier: an NLI or hallucination-detection model.

Runs a Hugging Face sequence-classification checkpoint (which is also what a
sentence-transformers `CrossEncoder` saves) from a local folder, never from a hub, as the
`PairClassifier` of `grounding/backends/pair_classifier.py`, which the reranker runs too. Each claim
is paired with windows of every source (premise = source window, hypothesis = claim); the
claim's support is the best window's probability of the *supported* label.

    get_scorer("cross-encoder", model="/models/nli-deberta", label="entailment")

The model folder may also come from GROUNDING_CROSS_ENCODER.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grounding.backends.pair_classifier import PairClassifier
from grounding.checking.base import ClaimScore, Scorer
from grounding.config import Settings, setting
from grounding.errors import ConfigError

__all__ = ["CrossEncoderScorer"]

_SUPPORT_NAMES = ("entail", "support", "consistent", "factual", "faithful", "true")
WINDOW_WORDS = 200
STRIDE_WORDS = 150


class CrossEncoderScorer(Scorer):
    """Support = P(label) of a local pair classifier, maximised over source windows."""

    name = "cross-encoder"
    description = (
        "any local NLI / hallucination pair classifier (model=PATH or GROUNDING_CROSS_ENCODER)"
    )
    uses_settings = True

    def __init__(
        self,
        model: str | Path | None = None,
        label: int | str | None = None,
        batch_size: int = 16,
        max_length: int = 512,
        threshold: float = 0.5,
        settings: Settings | None = None,
    ) -> None:
        self.classifier = PairClassifier(
            model or setting("cross_encoder", settings), "the cross-encoder scorer",
            "GROUNDING_CROSS_ENCODER", batch_size, max_length, truncation="only_first",
        )  # fmt: skip
        self.label_index = _support_index(self.classifier.config, label)
        self.threshold = threshold

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        """One verdict per claim; an unsupported claim is unsupported as a whole."""
        windows = [(i, w) for i, source in enumerate(sources) for w in _windows(source)]
        pairs = [(window, claim) for claim in claims for _, window in windows]
        probs = self.classifier.probabilities(pairs, self.label_index)
        out: list[ClaimScore] = []
        for k, claim in enumerate(claims):
            per_source: dict[int, float] = {}
            for j, (source, _) in enumerate(windows):
                p = probs[k * len(windows) + j]
                per_source[source] = max(per_source.get(source, 0.0), p)
            best = max(per_source.values(), default=0.0)
            cited = sorted(
                (s for s, p in per_source.items() if p >= self.threshold),
                key=lambda s: -per_source[s],
            )
            out.append(
                ClaimScore(
                    support=best,
                    citations=tuple(s + 1 for s in cited[:3]),
                    unsupported=((0, len(claim.rstrip())),) if claim.strip() else (),
                )
            )
        return out


def _support_index(config: Any, label: int | str | None) -> int:
    """The index of the 'supported' output (0 for a single-logit model)."""
    names = {int(i): str(n) for i, n in (getattr(config, "id2label", None) or {}).items()}
    count = int(getattr(config, "num_labels", len(names) or 1))
    if count == 1:
        return 0
    if isinstance(label, int) or (isinstance(label, str) and label.isdigit()):
        index = int(label)
        if not 0 <= index < count:
            raise ConfigError(f"label {index} is out of range: the model has {count} labels")
        return index
    if isinstance(label, str):
        for index, name in names.items():
            if name.lower() == label.lower():
                return index
        raise ConfigError(
            f"label {label!r} is not one of the model's labels {sorted(names.values())}"
        )
    for index, name in sorted(names.items()):
        if any(word in name.lower() for word in _SUPPORT_NAMES) and "not" not in name.lower():
            return index
    if count == 2:
        return 1
    raise ConfigError(
        f"cannot tell which of the labels {sorted(names.values())} means 'supported': "
        "pass label=NAME_OR_INDEX"
    )


def _windows(source: str) -> list[str]:
    """Overlapping windows of words, so a long source is read whole, not truncated."""
    words = source.split()
    if len(words) <= WINDOW_WORDS:
        return [source] if words else []
    return [
        " ".join(words[i : i + WINDOW_WORDS])
        for i in range(0, max(len(words) - WINDOW_WORDS, 0) + STRIDE_WORDS, STRIDE_WORDS)
        if words[i : i + WINDOW_WORDS]
    ]
