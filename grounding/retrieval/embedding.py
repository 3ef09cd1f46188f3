"""Text to unit vectors, batched, with a progress bar on a terminal.

Vectors are L2-normalised, so cosine similarity is the inner product that the
FAISS index computes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from grounding.backends.embedding_model import (
    DEFAULT_EMBEDDING_MODEL,
    configured_embedding_backend,
    embed,
    embedder,
)
from grounding.config import Settings, setting
from grounding.errors import ModelError

__all__ = [
    "EMBEDDING_MODEL_ENV",
    "configured_embedding_model",
    "embed_query",
    "embed_texts",
    "embedding_batches",
    "embedding_calls",
    "embedding_dimension",
    "text_lengths",
]

EMBEDDING_MODEL_ENV = "GROUNDING_EMBEDDING_MODEL"
_BATCH = 32
_CALL = 8 * _BATCH  # texts per encode() call: one progress step, little per-call overhead


def configured_embedding_model(settings: Settings | None = None) -> str:
    """The embedding model of `settings` (without them `$GROUNDING_EMBEDDING_MODEL` alone),
    else all-MiniLM-L6-v2."""
    return setting("embedding_model", settings) or DEFAULT_EMBEDDING_MODEL


def embedding_dimension(model_name: str, backend: str | None = None) -> int:
    """The width of the model's vectors."""
    if (backend or configured_embedding_backend()) == "onnx":
        from grounding.backends.embedding_model import onnx_embedder

        return onnx_embedder(model_name).dimension
    model = embedder(model_name)
    read = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dimension = read()
    if not dimension:
        raise ModelError(f"embedding model {model_name!r} does not say its vector size")
    return int(dimension)


def embed_texts(
    texts: Sequence[str],
    model_name: str = DEFAULT_EMBEDDING_MODEL,
    batch_size: int = _BATCH,
    progress: bool | None = None,
    backend: str | None = None,
) -> np.ndarray:
    """Unit vectors for `texts`, shape (len(texts), dim), float32.

    Texts are encoded longest first (`text_lengths`) so each batch pads little, then put
    back in order. `progress=None` shows a bar only when stderr is a terminal. `backend`
    (onnx or torch) defaults to `$GROUNDING_EMBEDDING_BACKEND`, else onnx.
    """
    from tqdm.auto import tqdm

    backend = backend or configured_embedding_backend()
    dimension = embedding_dimension(model_name, backend)
    vectors = np.empty((len(texts), dimension), dtype=np.float32)
    if not texts:
        return vectors
    show = sys.stderr.isatty() if progress is None else progress
    with tqdm(total=len(texts), unit="chunk", desc="embedding", disable=not show) as bar:
        one_call = len(texts) <= _call_size(batch_size)  # the encoder orders a call itself
        calls = (
            [list(range(len(texts)))]
            if one_call
            else embedding_calls(texts, batch_size, model_name, backend)
        )
        for rows in calls:
            vectors[rows] = embed([texts[i] for i in rows], model_name, backend, batch_size)
            bar.update(len(rows))
    return vectors


def embedding_calls(
    texts: Sequence[str],
    batch_size: int = _BATCH,
    model_name: str = DEFAULT_EMBEDDING_MODEL,
    backend: str | None = None,
) -> list[list[int]]:
    """The rows of `texts` that `embed_texts` encodes together, call by call, longest first.

    Vectors can depend on which texts share a batch (int8 ONNX quantises each batch's
    activations on the fly), so a job spread over workers (Ray) sends each worker
    these same groups to get the same vectors as one process.
    """
    lengths = text_lengths(texts, model_name, backend)
    order = sorted(range(len(texts)), key=lambda i: -lengths[i])
    step = _call_size(batch_size)
    return [order[begin : begin + step] for begin in range(0, len(order), step)]


def _call_size(batch_size: int) -> int:
    """Texts per encode() call: whole batches, about `_CALL`."""
    return max(batch_size, _CALL - _CALL % batch_size)


def embedding_batches(
    texts: Sequence[str],
    batch_size: int = _BATCH,
    model_name: str = DEFAULT_EMBEDDING_MODEL,
    backend: str | None = None,
) -> list[list[int]]:
    """The rows of `texts` that share one model batch in `embed_texts`: each call's rows
    (already longest first) in slices of `batch_size`, as the encoders cut them. The finest
    split of the work that still gives every text the same vectors as one process."""
    return [
        rows[begin : begin + batch_size]
        for rows in embedding_calls(texts, batch_size, model_name, backend)
        for begin in range(0, len(rows), batch_size)
    ]


def text_lengths(
    texts: Sequence[str], model_name: str = DEFAULT_EMBEDDING_MODEL, backend: str | None = None
) -> list[int]:
    """The length by which each backend orders its batches: word pieces on onnx (as the
    model sees them, truncated), characters on torch (as sentence-transformers sorts)."""
    if (backend or configured_embedding_backend()) == "onnx":
        from grounding.backends.embedding_model import onnx_embedder

        return [len(encoding.ids) for encoding in onnx_embedder(model_name).tokenize(texts)]
    return [len(text) for text in texts]


def embed_query(
    query: str, model_name: str = DEFAULT_EMBEDDING_MODEL, backend: str | None = None
) -> np.ndarray:
    """One query's unit vector, shape (1, dim)."""
    return embed([query], model_name, backend)
