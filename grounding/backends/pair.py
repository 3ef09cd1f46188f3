"""The pair model: a MiniLM cross-encoder trained here (`train/train_pair.py`), shipped in the
package as int8 ONNX with its tokenizer, and run by ONNX Runtime (no torch, no network).

It reads `[CLS] a [SEP] b [SEP]` and gives two probabilities:
- `support(pairs)`: claim b follows from evidence a (entailment);
- `answers(pairs)`: passage or sentence a answers question b.

Evidence for a claim or a question is chosen by `grounding.backends.evidence.select_evidence`,
as in training. The model is opened once per process (`pair_model()`); `version` names it in
every report that uses it.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from grounding.backends.evidence import select_evidence, sentences_of
from grounding.backends.runtime import thread_limit
from grounding.errors import ModelError

__all__ = ["MODEL_DIR", "PairModel", "pair_model"]

MODEL_DIR = Path(__file__).resolve().parent / "pair_model"
_LOCK = threading.Lock()


class PairModel:
    """Support and answer probabilities for (a, b) text pairs."""

    def __init__(self, folder: Path = MODEL_DIR, threads: int | None = None) -> None:
        from grounding.backends.encoder import OnnxEncoder

        try:
            meta = json.loads((folder / "pair.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"the pair model is missing or unreadable in {folder}: {exc}; reinstall grounding"
            ) from exc
        self.version: str = str(meta["version"])
        self.max_length = int(meta["max_length"])
        self._encoder = OnnxEncoder(folder / "model.onnx", folder, self.max_length, threads)

    def logits(self, pairs: Sequence[tuple[str, str]], batch_size: int = 32) -> np.ndarray:
        """Raw logits, shape (len(pairs), 2): support, answer."""
        if not pairs:
            return np.zeros((0, 2), dtype=np.float32)
        rows = self._encoder.outputs([a for a, _ in pairs], [b for _, b in pairs], batch_size)
        return np.asarray(rows, dtype=np.float32).reshape(len(pairs), 2)

    def support(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """P(claim b follows from evidence a), one per pair."""
        return _sigmoid(self.logits(pairs)[:, 0])

    def answers(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """P(passage a answers question b), one per pair."""
        return _sigmoid(self.logits(pairs)[:, 1])

    def answer_scores(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """P(each text answers `question`); a long text is read through its sentences that
        best match the question (`select_evidence`, as in training)."""
        pairs = [(select_evidence(sentences_of(text), question), question) for text in texts]
        return self.answers(pairs)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    p: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return p


def pair_model() -> PairModel:
    """The packaged pair model, opened once per process."""
    return _pair_model()


@functools.cache
def _pair_model() -> PairModel:
    with _LOCK:
        return PairModel(MODEL_DIR, threads=thread_limit())
