"""The keyword half of the local index: BM25 (bm25s) over the same chunks as the vectors.

Catches what embeddings blur: names, codes, rare words. Saved with bm25s's own
format (JSON and .npy arrays, pickle disabled).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grounding.errors import IndexStoreError

__all__ = ["KeywordIndex"]


def _tokenize(texts: Sequence[str], return_ids: bool) -> object:
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", return_ids=return_ids, show_progress=False)


@dataclass
class KeywordIndex:
    """BM25 scores of chunks for a query; rows match the chunk table."""

    retriever: object | None  # bm25s.BM25, or None when there are no chunks
    count: int

    @classmethod
    def build(cls, texts: Sequence[str]) -> KeywordIndex:
        import bm25s

        if not texts:
            return cls(None, 0)
        tokens = _tokenize(texts, return_ids=True)
        if not tokens.vocab:  # type: ignore[attr-defined]
            return cls(None, len(texts))  # no searchable word in any chunk
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        return cls(retriever, len(texts))

    @classmethod
    def load(cls, folder: Path, count: int) -> KeywordIndex:
        import bm25s

        if count and not folder.is_dir():  # not a silent fall-back to dense-only search
            raise IndexStoreError(
                f"the keyword index {folder} is missing; "
                "rebuild it with `grounding index build PATH... --force`"
            )
        if count == 0 or not any(folder.glob("*.json")):
            return cls(None, count)  # saved without a vocabulary: nothing to search
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        try:
            retriever = bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False)
        except (OSError, ValueError, KeyError) as exc:
            raise IndexStoreError(
                f"cannot read the keyword index in {folder}: {exc}; "
                "rebuild it with `grounding index build --force`"
            ) from exc
        return cls(retriever, count)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.retriever is not None:
            self.retriever.save(str(folder), allow_pickle=False, show_progress=False)  # type: ignore[attr-defined]

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) of the best `k` chunks that share a word with `query`, best first.

        `mask` (one 0/1 weight per row) leaves out the rows a filter excludes.
        """
        if self.retriever is None or k <= 0:
            return []
        tokens = _tokenize([query], return_ids=False)
        if not tokens or not tokens[0]:  # type: ignore[index]
            return []
        rows, scores = self.retriever.retrieve(  # type: ignore[attr-defined]
            tokens,
            k=min(k, self.count),
            show_progress=False,
            n_threads=0,
            weight_mask=None if mask is None else mask.astype(np.float32),
        )
        return [
            (int(row), float(score))
            for row, score in zip(rows[0], scores[0], strict=True)
            if score > 0
        ]
