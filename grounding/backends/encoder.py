"""Transformer encoders on ONNX Runtime: the light, torch-free inference path.

Inference needs only onnxruntime, tokenizers and numpy; neither torch nor
transformers is imported here. The ONNX file comes from `ensure_onnx`, which
exports a model folder once (int8 by default, see `grounding/backends/onnx_export.py`)
and caches it under `$GROUNDING_HOME/models/onnx/` (or `$GROUNDING_MODEL_CACHE`).

Any BERT-style (MiniLM-style) model folder works: a Hugging Face folder with
`config.json`, weights and `tokenizer.json`, or a sentence-transformers folder
(its `modules.json`, `sentence_bert_config.json` and `1_Pooling/` are read for
the maximum length and the pooling). A model with a head (token or sequence
classification) is exported with that head, and its output is the logits.

    encoder = OnnxEncoder.from_folder(folder)          # exports on first use, then cached
    vectors = encoder.embed(["a sentence", "another"])  # pooled unit vectors, (n, dim)
    rows = encoder.outputs(claims, pairs=sources)       # one array per input, padding removed:
                                                        # (tokens, dim) hidden states, or
                                                        # (tokens, labels) / (labels,) logits
    batch = encoder.run_batch(texts, pairs)             # one padded batch, with the
                                                        # tokenizers Encodings (offsets, word ids)

`OnnxEncoder(onnx_path, tokenizer_folder)` opens a file made elsewhere. Inputs are
tokenised once, sorted by their length in word pieces and batched so each batch pads
little; results come back in input order.
One encoder may be used from many threads at once (ONNX Runtime sessions and the
tokenizer are thread-safe; nothing here changes after construction).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grounding.errors import ModelError

__all__ = ["EncoderBatch", "OnnxEncoder", "ensure_onnx"]

_DEFAULT_MAX_LENGTH = 512


@dataclass(frozen=True)
class EncoderBatch:
    """One padded batch: the model's first output and what produced it."""

    output: np.ndarray  # (batch, tokens, dim) hidden states, or (batch, [tokens,] labels) logits
    attention_mask: np.ndarray  # (batch, tokens), 1 for real tokens
    encodings: list[Any]  # tokenizers.Encoding per row: ids, offsets, word_ids, sequence_ids


def ensure_onnx(folder: str | Path, quantize: bool = True) -> Path:
    """The cached ONNX file for the model in `folder`, exported (offline) on first use."""
    from grounding.backends.onnx_export import cached_export

    return cached_export(Path(folder), quantize=quantize)


class OnnxEncoder:
    """A transformer encoder run by ONNX Runtime on the CPU."""

    def __init__(
        self,
        onnx_path: str | Path,
        tokenizer_folder: str | Path,
        max_length: int | None = None,
        threads: int | None = None,
        optimized: bool = False,
    ) -> None:
        """`optimized`: the file already holds ONNX Runtime's graph optimisations (as
        `ensure_onnx` writes it), so opening it skips them."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(tokenizer_folder)
        self.folder = folder
        self.onnx_path = Path(onnx_path)
        try:
            self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # tokenizers raises its own exception type
            raise ModelError(f"cannot read {folder / 'tokenizer.json'}: {exc}") from exc
        self.max_length = max_length or _max_length(folder)
        self._tokenizer.enable_truncation(max_length=self.max_length)
        self._tokenizer.no_padding()
        self._pad_id = _pad_id(folder, self._tokenizer)
        self.pooling, self.normalize = _pooling(folder)
        options = ort.SessionOptions()
        options.graph_optimization_level = (
            ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            if optimized
            else ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        )
        # idle threads sleep instead of spinning: on shared cores spinning costs a third
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if threads:
            options.intra_op_num_threads = threads
        try:
            self._session = ort.InferenceSession(
                str(self.onnx_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"cannot open ONNX model {self.onnx_path}: {exc}") from exc
        self._inputs = [item.name for item in self._session.get_inputs()]

    @classmethod
    def from_folder(
        cls,
        folder: str | Path,
        quantize: bool = True,
        max_length: int | None = None,
        threads: int | None = None,
    ) -> OnnxEncoder:
        """The encoder for a model folder, its ONNX file exported once and cached."""
        return cls(ensure_onnx(folder, quantize), folder, max_length, threads, optimized=True)

    @property
    def dimension(self) -> int:
        """The width of the last axis of the model's output (hidden size or labels)."""
        width = self._session.get_outputs()[0].shape[-1]
        if not isinstance(width, int):
            raise ModelError(f"{self.onnx_path} does not declare its output width")
        return width

    def tokenize(self, texts: Sequence[str], pairs: Sequence[str] | None = None) -> list[Any]:
        """The tokenizers Encodings the model sees (truncated to `max_length`): ids, offsets,
        word_ids, sequence_ids."""
        if pairs is not None and len(pairs) != len(texts):
            raise ModelError(f"{len(texts)} texts but {len(pairs)} pairs")
        items: list[Any] = list(texts) if pairs is None else list(zip(texts, pairs, strict=True))
        return list(self._tokenizer.encode_batch(items, add_special_tokens=True))

    def run_batch(self, texts: Sequence[str], pairs: Sequence[str] | None = None) -> EncoderBatch:
        """Tokenise `texts` (with `pairs` as second segments) and run them as one batch."""
        return self._run(self.tokenize(texts, pairs))

    def _run(self, encodings: Sequence[Any]) -> EncoderBatch:
        """Run already tokenised inputs as one batch, padded to the longest."""
        width = max((len(e.ids) for e in encodings), default=0)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            count = len(encoding.ids)
            ids[row, :count] = encoding.ids
            mask[row, :count] = 1
            types[row, :count] = encoding.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        output = self._session.run(None, {name: feed[name] for name in self._inputs})[0]
        return EncoderBatch(
            output=np.asarray(output), attention_mask=mask, encodings=list(encodings)
        )

    def outputs(
        self, texts: Sequence[str], pairs: Sequence[str] | None = None, batch_size: int = 32
    ) -> list[np.ndarray]:
        """The model's output for each input in order: token-level rows lose their padding."""
        results: list[np.ndarray] = [np.empty(0)] * len(texts)
        for rows, batch in self._batches(texts, pairs, batch_size):
            token_level = batch.output.ndim == 3
            for position, row in enumerate(rows):
                value = batch.output[position]
                if token_level:
                    value = value[: int(batch.attention_mask[position].sum())]
                results[row] = value
        return results

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Pooled sentence embeddings, shape (len(texts), dim), float32; unit rows when the
        model's sentence-transformers config normalises."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for rows, batch in self._batches(texts, None, batch_size):
            if batch.output.ndim != 3:
                raise ModelError(f"{self.onnx_path} has no token-level output to pool")
            vectors[rows] = _pool(batch.output, batch.attention_mask, self.pooling)
        if self.normalize:
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors /= np.maximum(norms, 1e-12)
        return vectors

    def _batches(
        self, texts: Sequence[str], pairs: Sequence[str] | None, batch_size: int
    ) -> list[tuple[list[int], EncoderBatch]]:
        """Tokenised once, then run longest first (in word pieces; ties in input order), so
        each batch pads little."""
        encodings = self.tokenize(texts, pairs)
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))
        done = []
        for begin in range(0, len(order), batch_size):
            rows = order[begin : begin + batch_size]
            done.append((rows, self._run([encodings[i] for i in rows])))
        return done


def _pool(hidden: np.ndarray, mask: np.ndarray, how: str) -> np.ndarray:
    if how == "cls":
        return hidden[:, 0]
    weights = mask[:, :, None].astype(np.float32)
    pooled: np.ndarray
    if how == "max":
        pooled = np.where(weights > 0, hidden, -1e9).max(axis=1)
    else:
        summed = (hidden * weights).sum(axis=1)
        pooled = summed / np.maximum(weights.sum(axis=1), 1e-9)
    return pooled


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def _max_length(folder: Path) -> int:
    """sentence-transformers' max_seq_length, else the model's position limit."""
    configured = _read_json(folder / "sentence_bert_config.json").get("max_seq_length")
    if configured:
        return int(configured)
    positions = _read_json(folder / "config.json").get("max_position_embeddings")
    return min(int(positions or _DEFAULT_MAX_LENGTH), _DEFAULT_MAX_LENGTH)


def _pad_id(folder: Path, tokenizer: Any) -> int:
    configured = _read_json(folder / "config.json").get("pad_token_id")
    if configured is not None:
        return int(configured)
    found = tokenizer.token_to_id("[PAD]")
    return int(found) if found is not None else 0


def _pooling(folder: Path) -> tuple[str, bool]:
    """(mean | cls | max, normalise?) from a sentence-transformers folder; (mean, False) else."""
    modules = _read_json_list(folder / "modules.json")
    normalize = any(str(m.get("type", "")).endswith("Normalize") for m in modules)
    how = "mean"
    for module in modules:
        if str(module.get("type", "")).endswith("Pooling"):
            config = _read_json(folder / str(module.get("path", "")) / "config.json")
            if config.get("pooling_mode_cls_token"):
                how = "cls"
            elif config.get("pooling_mode_max_tokens"):
                how = "max"
    return how, normalize


def _read_json_list(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
