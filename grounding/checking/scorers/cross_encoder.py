"""A scorer over any local sequence-pair classifier: an NLI or hallucination-detection model.

Loads a Hugging Face sequence-classification checkpoint (which is also what a
sentence-transformers `CrossEncoder` saves) from a local folder, never from a hub. Each claim
is paired with windows of every source (premise = source window, hypothesis = claim); the
claim's support is the best window's probability of the *supported* label.

    get_scorer("cross-encoder", model="/models/nli-deberta", label="entailment")

The model folder may also come from GROUNDING_CROSS_ENCODER.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grounding.checking.base import ClaimScore, Scorer
from grounding.config import Settings, setting
from grounding.errors import ConfigError, ModelError
from grounding.models import pair_classifier, pair_logits

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
        folder = model or setting("cross_encoder", settings)
        if not folder:
            raise ConfigError(
                "the cross-encoder scorer needs a local model folder: pass model=PATH "
                "or set GROUNDING_CROSS_ENCODER"
            )
        if not Path(folder).is_dir():
            raise ModelError(
                f"cross-encoder model {str(folder)!r} is not a local folder; download the "
                "checkpoint first (models are never fetched at run time)"
            )
        self.tokenizer, self.model = pair_classifier(Path(folder), "the cross-encoder scorer")
        self.label_index, self.single_logit = _support_index(self.model.config, label)
        self.batch_size = batch_size
        self.max_length = max_length
        self.threshold = threshold

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        """One verdict per claim; an unsupported claim is unsupported as a whole."""
        windows = [(i, w) for i, source in enumerate(sources) for w in _windows(source)]
        pairs = [(window, claim) for claim in claims for _, window in windows]
        probs = self._predict(pairs)
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

    def _predict(self, pairs: list[tuple[str, str]]) -> list[float]:
        import torch

        logits = pair_logits(
            self.tokenizer, self.model, pairs, self.batch_size, self.max_length,
            truncation="only_first", what="the cross-encoder",
        )  # fmt: skip
        if self.single_logit:
            probs = torch.sigmoid(logits[:, 0])
        else:
            probs = torch.softmax(logits, dim=-1)[:, self.label_index]
        return [float(p) for p in probs]


def _support_index(config: Any, label: int | str | None) -> tuple[int, bool]:
    """(index of the 'supported' output, whether the model has a single logit)."""
    names = {int(i): str(n) for i, n in (getattr(config, "id2label", None) or {}).items()}
    count = int(getattr(config, "num_labels", len(names) or 1))
    if count == 1:
        return 0, True
    if isinstance(label, int) or (isinstance(label, str) and label.isdigit()):
        index = int(label)
        if not 0 <= index < count:
            raise ConfigError(f"label {index} is out of range: the model has {count} labels")
        return index, False
    if isinstance(label, str):
        for index, name in names.items():
            if name.lower() == label.lower():
                return index, False
        raise ConfigError(
            f"label {label!r} is not one of the model's labels {sorted(names.values())}"
        )
    for index, name in sorted(names.items()):
        if any(word in name.lower() for word in _SUPPORT_NAMES) and "not" not in name.lower():
            return index, False
    if count == 2:
        return 1, False
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
