"""Embedding work that survives an interrupted build: vectors staged next to the index.

A build embeds its new chunks call by call (`embedding.embedding_calls`, 256
chunks each) and writes each call's vectors to a staging folder beside the
index (`.NAME.staging/`, so `index list` does not show it) as soon as the call
ends. A build that is killed or fails leaves the index as it was and the
staged vectors behind; the next build of the same index takes every vector
it finds there (keyed by the embedding model, the backend and the chunk's
text) and embeds only the rest. A build that saves removes the folder.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from grounding.core.progress import progress_bar
from grounding.retrieval.embedding import embed_texts, embedding_calls

__all__ = ["StagedEmbeddings", "clear_staging", "staging_dir"]


def staging_dir(index_dir: Path) -> Path:
    """Where a build of the index at `index_dir` stages its vectors."""
    return index_dir.parent / f".{index_dir.name}.staging"


def clear_staging(index_dir: Path) -> None:
    """Drop the vectors staged for the index at `index_dir`: call once it is saved with them."""
    shutil.rmtree(staging_dir(index_dir), ignore_errors=True)


class StagedEmbeddings:
    """Vectors for chunk texts: from the staging folder where a build left them, else embedded."""

    def __init__(self, index_dir: Path, model: str, backend: str) -> None:
        self.folder = staging_dir(index_dir)
        self.model = model
        self.backend = backend
        self.reused = 0  # chunks whose vectors an earlier, interrupted build left
        self.embedded = 0  # chunks embedded by this build

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model}\0{self.backend}\0{text}".encode()).hexdigest()

    def _staged(self) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for path in sorted(self.folder.glob("*.npz")) if self.folder.is_dir() else []:
            try:
                with np.load(path) as data:
                    found.update(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                continue  # a file cut short by the interruption: its chunks are embedded again
        return found

    def vectors(
        self, texts: Sequence[str], progress: bool | None = None, files: int = 0
    ) -> np.ndarray:
        """Unit vectors for `texts`, shape (len(texts), dim): staged ones reused, the rest made.

        `progress`: a bar on a terminal, else lines every few seconds (`grounding.core.progress`);
        `files` is how many files the texts come from, for those lines.
        """
        keys = [self._key(text) for text in texts]
        staged = self._staged()
        missing = [row for row, key in enumerate(keys) if key not in staged]
        self.reused = len(texts) - len(missing)
        self.embedded = len(missing)
        rows: dict[int, np.ndarray] = {row: staged[key] for row, key in enumerate(keys)
                                       if key in staged}  # fmt: skip
        if missing:
            self.folder.mkdir(parents=True, exist_ok=True)
        detail = (lambda: f" from {files:,} files") if files else None
        with progress_bar(len(missing), "embedding", "chunk", progress, detail) as bar:
            calls = embedding_calls(
                [texts[row] for row in missing], model_name=self.model, backend=self.backend
            )
            for number, call in enumerate(calls):
                chosen = [missing[i] for i in call]
                made = embed_texts(
                    [texts[row] for row in chosen], self.model, progress=False, backend=self.backend
                )
                self._write(number, [keys[row] for row in chosen], made)
                rows.update(zip(chosen, made, strict=True))
                bar.update(len(chosen))
        if not texts:
            return np.empty((0, 0), dtype=np.float32)
        return np.stack([rows[row] for row in range(len(texts))]).astype(np.float32)

    def _write(self, number: int, keys: list[str], vectors: np.ndarray) -> None:
        """One call's vectors, written whole or not at all (a temporary file, then a rename)."""
        target = self.folder / f"{os.getpid()}-{number:06d}.npz"
        partial = target.with_suffix(".part")
        with partial.open("wb") as handle:
            np.savez(handle, keys=np.asarray(keys), vectors=vectors)
        partial.replace(target)
