"""The keyword half of the local index: BM25 (bm25s) over the same chunks as the vectors.

Catches what embeddings blur: names, codes, rare words. bm25s builds the index
(Lucene BM25, English stopwords, no stemming) and its own format is what is saved
(JSON and .npy arrays, pickle disabled). Searching needs only numpy: bm25s stores
each chunk's score for each word (a sparse column per word), so a query's scores
are the sums of its words' columns, and loading reads the arrays directly. This
keeps bm25s and scipy (about a third of a second of imports) off the ask path.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grounding.errors import IndexStoreError

__all__ = ["KeywordIndex"]

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s.tokenize's default pattern, on lower-cased text
_ARRAYS = {"data": "data.csc.index.npy", "indices": "indices.csc.index.npy",
           "indptr": "indptr.csc.index.npy"}  # fmt: skip
_VOCAB = "vocab.index.json"
_PARAMS = "params.index.json"


@dataclass
class KeywordIndex:
    """BM25 scores of chunks for a query; rows match the chunk table."""

    count: int
    arrays: dict[str, np.ndarray] = field(default_factory=dict)  # empty: nothing to search
    vocab: dict[str, int] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, texts: Sequence[str]) -> KeywordIndex:
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        if not texts:
            return cls(0)
        tokens = bm25s.tokenize(list(texts), stopwords="en", show_progress=False)
        if not tokens.vocab:
            return cls(len(texts))  # no searchable word in any chunk
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        arrays = {name: np.asarray(retriever.scores[name]) for name in _ARRAYS}
        params = {key: getattr(retriever, key) for key in ("k1", "b", "delta", "method")}
        params |= {"idf_method": retriever.idf_method, "dtype": retriever.dtype,
                   "int_dtype": retriever.int_dtype, "num_docs": len(texts),
                   "version": bm25s.__version__, "backend": "numpy"}  # fmt: skip
        return cls(len(texts), arrays, dict(retriever.vocab_dict), params)

    @classmethod
    def load(cls, folder: Path, count: int) -> KeywordIndex:
        if count and not folder.is_dir():  # not a silent fall-back to dense-only search
            raise IndexStoreError(
                f"the keyword index {folder} is missing; "
                "rebuild it with `grounding index build PATH... --force`"
            )
        if count == 0 or not (folder / _VOCAB).exists():
            return cls(count)  # saved without a vocabulary: nothing to search
        try:
            arrays = {
                name: np.load(folder / file, allow_pickle=False) for name, file in _ARRAYS.items()
            }
            vocab = json.loads((folder / _VOCAB).read_text(encoding="utf-8"))
            params = json.loads((folder / _PARAMS).read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError) as exc:
            raise IndexStoreError(
                f"cannot read the keyword index in {folder}: {exc}; "
                "rebuild it with `grounding index build --force`"
            ) from exc
        if params.get("method", "lucene") != "lucene":
            raise IndexStoreError(
                f"the keyword index in {folder} is not one grounding wrote; rebuild it with "
                "`grounding index build --force`"
            )
        columns = len(arrays["indptr"]) - 1  # bm25s's vocabulary may name an empty token too
        return cls(count, arrays, {w: i for w, i in vocab.items() if i < columns}, params)

    def save(self, folder: Path) -> None:
        """bm25s's own file layout, so `bm25s.BM25.load(folder)` reads it too."""
        folder.mkdir(parents=True, exist_ok=True)
        if not self.arrays:
            return
        for name, file in _ARRAYS.items():
            np.save(folder / file, self.arrays[name], allow_pickle=False)
        (folder / _VOCAB).write_text(json.dumps(self.vocab, ensure_ascii=False), "utf-8")
        (folder / _PARAMS).write_text(json.dumps(self.params, indent=4), "utf-8")

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every row for `query` (bm25s's `get_scores`)."""
        ids = [self.vocab[word] for word in _TOKEN.findall(query.lower()) if word in self.vocab]
        scores = np.zeros(self.count, dtype=np.float32)
        data, indices, indptr = (self.arrays[name] for name in _ARRAYS)
        for token in ids:
            start, end = indptr[token], indptr[token + 1]
            np.add.at(scores, indices[start:end], data[start:end])
        return scores

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) of the best `k` chunks that share a word with `query`, best first.

        `mask` (one 0/1 weight per row) leaves out the rows a filter excludes.
        """
        if not self.arrays or k <= 0:
            return []
        scores = self.scores(query)
        if mask is not None:
            scores *= mask.astype(np.float32)
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return [(int(row), float(scores[row])) for row in order if scores[row] > 0]
