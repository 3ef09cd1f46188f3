"""A local sequence-pair classifier, the one class the cross-encoder scorer and the
cross-encoder reranker both run (as sentence-transformers has one `CrossEncoder`).

It loads a Hugging Face sequence-classification checkpoint (which is also what a
sentence-transformers `CrossEncoder` saves) from a local folder, never from a hub, and only
its `.safetensors` weights: a pickled `.bin` checkpoint is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grounding.errors import ConfigError, ModelError

__all__ = ["PairClassifier"]


class PairClassifier:
    """The classifier in `folder`, in eval mode, run `batch_size` pairs at a time.

    `what` names its user in errors ("the cross-encoder scorer"), and `variable` the setting
    that names the folder when none is passed."""

    def __init__(
        self,
        folder: str | Path | None,
        what: str,
        variable: str,
        batch_size: int = 16,
        max_length: int = 512,
        truncation: bool | str = True,
    ) -> None:
        if not folder:
            raise ConfigError(
                f"{what} needs a local model folder: pass model=PATH or set {variable}"
            )
        if not Path(folder).is_dir():
            raise ModelError(
                f"the model {str(folder)!r} of {what} is not a local folder; download the "
                "checkpoint first (models are never fetched at run time)"
            )
        self.folder = Path(folder)
        self.what = what
        self.batch_size = batch_size
        self.max_length = max_length
        self.truncation = truncation
        self.tokenizer, self.model = _load(self.folder, what)

    @property
    def config(self) -> Any:
        """The model's Hugging Face config (`num_labels`, `id2label`)."""
        return self.model.config

    @property
    def num_labels(self) -> int:
        return int(self.model.config.num_labels)

    def logits(self, pairs: Sequence[tuple[str, str]]) -> Any:
        """Float logits, one row per (first, second) text pair (a torch tensor, shape
        (len(pairs), num_labels))."""
        import torch

        rows = []
        for begin in range(0, len(pairs), self.batch_size):
            batch = pairs[begin : begin + self.batch_size]
            try:
                encoded = self.tokenizer(
                    [first for first, _ in batch], [second for _, second in batch], padding=True,
                    truncation=self.truncation, max_length=self.max_length, return_tensors="pt",
                )  # fmt: skip
                with torch.inference_mode():
                    rows.append(self.model(**encoded).logits.float())
            except Exception as exc:  # tokenizers and models raise many types
                raise ModelError(f"{self.what} failed on a batch: {exc}") from exc
        return torch.cat(rows) if rows else torch.empty((0, self.num_labels))

    def probabilities(self, pairs: Sequence[tuple[str, str]], label: int = 0) -> list[float]:
        """P(`label`) of each pair: the sigmoid of the one logit of a single-output model (as
        `CrossEncoder.predict` gives it), else the softmax's `label` column."""
        import torch

        logits = self.logits(pairs)
        if self.num_labels == 1:
            probs = torch.sigmoid(logits[:, 0])
        else:
            probs = torch.softmax(logits, dim=-1)[:, label]
        return [float(p) for p in probs]


def _load(folder: Path, what: str) -> tuple[Any, Any]:
    """(tokenizer, model) of the checkpoint in `folder`, in eval mode."""
    try:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        if not any(folder.glob("*.safetensors")):  # .bin weights are pickles: never loaded
            raise ModelError(
                f"{folder} has no .safetensors weights; {what} loads only those "
                "(convert a .bin checkpoint with save_pretrained(safe_serialization=True))"
            )
        model = AutoModelForSequenceClassification.from_pretrained(
            str(folder), local_files_only=True, use_safetensors=True
        )
    except ImportError as exc:
        raise ModelError(f"{what} needs: pip install transformers") from exc
    except ModelError:
        raise
    except Exception as exc:  # transformers raises many types for a bad folder
        raise ModelError(
            f"cannot load a sequence-classification model from {folder}: {exc}"
        ) from exc
    model.eval()
    return tokenizer, model
