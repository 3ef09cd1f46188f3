"""The dense half of the local index: a FAISS inner-product index over unit vectors.

Small indexes use an exact scan (IndexFlatIP); once an index holds
`HNSW_THRESHOLD` vectors or more, a graph index (IndexHNSWFlat, M=32) answers
in well under a millisecond, with its search breadth (efSearch) tuned at build
time to reach `TARGET_RECALL` against the exact scan on a sample. When even the
widest search falls short of `AUTO_MIN_RECALL` (vectors with no cluster
structure, such as random ones), "auto" keeps the exact index instead.
Row i of the FAISS index is row i of the chunk table; nothing is pickled.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from grounding.errors import IndexStoreError

__all__ = [
    "HNSW_THRESHOLD",
    "IndexType",
    "VectorStore",
    "choose_index_type",
]

IndexType = Literal["auto", "flat", "hnsw"]
HNSW_THRESHOLD = 30_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
TARGET_RECALL = 0.97
AUTO_MIN_RECALL = 0.9  # below this at the largest efSearch, "auto" keeps the exact index
_EF_CHOICES = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
_TUNE_QUERIES = 200
_BATCH_QUERIES = 20  # from here on faiss uses BLAS and threads pay off


def choose_index_type(requested: str, count: int) -> Literal["flat", "hnsw"]:
    """`flat` or `hnsw`: what was asked for, or by size when `auto`."""
    if requested == "auto":
        return "hnsw" if count >= HNSW_THRESHOLD else "flat"
    if requested == "flat":
        return "flat"
    if requested == "hnsw":
        return "hnsw"
    raise IndexStoreError(f"unknown index type {requested!r}: use 'auto', 'flat' or 'hnsw'")


@dataclass
class VectorStore:
    """A FAISS index and how to search it."""

    index: Any  # a faiss.Index: IndexFlatIP or IndexHNSWFlat
    kind: Literal["flat", "hnsw"]
    ef_search: int = 0

    @classmethod
    def build(cls, vectors: np.ndarray, index_type: str = "auto") -> VectorStore:
        """An index over `vectors` (unit rows, float32), of the type asked or chosen by size."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        kind = choose_index_type(index_type, len(vectors))
        dimension = vectors.shape[1]
        if kind == "flat":
            flat = faiss.IndexFlatIP(dimension)
            flat.add(vectors)
            return cls(flat, "flat")
        graph = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        if len(vectors):
            graph.add(vectors)
        store = cls(graph, "hnsw", ef_search=64)
        recall = store.tune_ef_search(vectors)
        if index_type == "auto" and recall < AUTO_MIN_RECALL:
            # Vectors without cluster structure (near-random) defeat the graph; stay exact.
            return cls.build(vectors, "flat")
        return store

    @classmethod
    def read(cls, path: Path, kind: str, ef_search: int = 0) -> VectorStore:
        import faiss

        try:
            index = faiss.read_index(str(path))
        except RuntimeError as exc:
            raise IndexStoreError(
                f"cannot read {path}: {exc}; rebuild it with `grounding index build`"
            ) from exc
        store = cls(index, "hnsw" if kind == "hnsw" else "flat", ef_search)
        if store.kind == "hnsw":
            store.index.hnsw.efSearch = ef_search or 64
        return store

    def write(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self.index.d)

    def vectors(self) -> np.ndarray:
        """All stored vectors, in row order (to keep them across an incremental rebuild)."""
        if self.count == 0:
            return np.empty((0, self.dimension), dtype=np.float32)
        return np.asarray(self.index.reconstruct_n(0, self.count), dtype=np.float32)

    def search(
        self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, rows) of the `k` nearest rows per query; rows are -1 where fewer exist.

        `allowed` (row numbers) restricts the search to those rows.
        """
        import faiss

        queries = np.ascontiguousarray(queries, dtype=np.float32)
        k = max(1, min(k, self.count))
        selector = None if allowed is None else faiss.IDSelectorBatch(allowed.astype(np.int64))
        if self.kind == "hnsw":
            # faiss's stubs leave SearchParametersHNSW out; the module has it
            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = max(self.ef_search, k)
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        found: tuple[np.ndarray, np.ndarray]
        if len(queries) >= _BATCH_QUERIES:
            found = self.index.search(queries, k, params=params)
            return found
        # A few queries gain nothing from OpenMP threads and lose much when the cores are
        # busy (measured: 10k flat scan, 2 busy cores, 2 ms with one thread, 20-30 ms with
        # two). The setting is per calling thread, so other threads are not affected.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            found = self.index.search(queries, k, params=params)
            return found
        finally:
            faiss.omp_set_num_threads(threads)

    def tune_ef_search(self, vectors: np.ndarray, k: int = 10, seed: int = 0) -> float:
        """Set the smallest efSearch whose recall@k against an exact scan reaches TARGET_RECALL.

        Queries are stored vectors moved by noise of the same size, so they sit
        between the points as real queries do, not on top of them. Returns the
        recall reached (below the target when even the largest efSearch falls short).
        """
        if len(vectors) <= k:
            self.ef_search = max(16, k)
            return 1.0
        rng = np.random.default_rng(seed)
        picks = rng.choice(len(vectors), size=min(_TUNE_QUERIES, len(vectors)), replace=False)
        noise = rng.standard_normal((len(picks), vectors.shape[1])).astype(np.float32)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        queries = vectors[picks] + noise
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        scores = queries @ vectors.T
        exact = np.argpartition(-scores, k, axis=1)[:, :k]
        recall = 0.0
        for ef in _EF_CHOICES:
            self.ef_search = ef
            _, found = self.search(queries, k)
            hits = sum(len(set(a) & set(b)) for a, b in zip(exact, found, strict=True))
            recall = hits / exact.size
            if recall >= TARGET_RECALL:
                break
        self.index.hnsw.efSearch = self.ef_search
        return recall
