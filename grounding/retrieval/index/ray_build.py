"""Building an index on Ray: workers load, chunk and embed; this process writes to the store.

The plan (which files are new, changed or gone, by content hash) is made here, as
for an in-process build. Then two fan-outs over the same workers:

1. the files to load, cut into contiguous batches of about equal size: each worker
   runs `load_files` (the load and chunk stages an in-process build runs);
2. the new chunks' texts, in exactly the batches an in-process `embed_texts` would
   encode together (`embedding_batches`): each worker runs `embed` on one batch at a
   time. Same batches, same vectors, even on a backend whose results depend on the
   batch; and many small items keep two workers evenly busy.

The chunks and vectors are then written to the index in file order, so it ends up
as an in-process build leaves it. Workers read the files by path: on a multi-node
cluster the paths must be reachable from every node (a shared volume).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grounding.backends.embedding_model import embed
from grounding.backends.ray_cluster import RayPool, batches, ray_workers
from grounding.retrieval.embedding import embedding_batches
from grounding.retrieval.index.building import (
    BuildReport,
    finish_update,
    load_files,
    plan_update,
    start_update,
)
from grounding.retrieval.index.loaders import SourceFile
from grounding.schema import Chunk

if TYPE_CHECKING:
    from grounding.retrieval.stores.base import Index

__all__ = ["update_with_ray"]

_BATCHES_PER_WORKER = 4  # file batches: small enough to balance uneven files


def update_with_ray(
    index: Index,
    paths: Sequence[str | Path],
    tags: tuple[str, ...] = (),
    progress: bool | None = None,
    address: str | None = None,
    workers: int | None = None,
) -> BuildReport:
    """`update_from_files`, with loading, chunking and embedding on Ray workers."""
    plan = plan_update(index, paths, tags)
    files = list(plan.to_load)
    if not files:
        start_update(index, plan)
        return finish_update(index, plan, 0)
    show = sys.stderr.isatty() if progress is None else progress
    with ray_workers(address, workers) as pool:  # fails here, before the index is touched
        loaded = _load(pool, files, plan.tags, index, show)
        chunks = [chunk for _, _, doc_chunks in loaded for chunk in doc_chunks]
        vectors = _embed(pool, [chunk.text for chunk in chunks], index, show)
    start_update(index, plan)
    index.remove([doc_id for doc_id, _, _ in loaded])
    for doc_id, record, _ in loaded:
        index.files[doc_id] = record
    if chunks:
        index.add(chunks, vectors=vectors)
    return finish_update(index, plan, len(chunks))


def _load(
    pool: RayPool,
    files: list[tuple[SourceFile, str]],
    tags: tuple[str, ...],
    index: Index,
    show: bool,
) -> list[tuple[str, Any, list[Chunk]]]:
    from tqdm.auto import tqdm

    sizes = [max(1, _size(source)) for source, _ in files]
    parts = [[files[i] for i in cut] for cut in batches(sizes, pool.workers * _BATCHES_PER_WORKER)]
    chunking = (index.settings.chunk_size, index.settings.chunk_overlap)
    loaded: list[tuple[str, Any, list[Chunk]]] = []
    with tqdm(total=len(files), unit="file", desc="loading", disable=not show) as bar:
        for done in pool.map(_loader, (tags, chunking), parts):
            loaded += done
            bar.update(len(done))
    return loaded


def _embed(pool: RayPool, texts: list[str], index: Index, show: bool) -> np.ndarray:
    from tqdm.auto import tqdm

    model, backend = index.settings.embedding_model, index.settings.embedding_backend
    # many small groups: the workers stay evenly busy
    calls = embedding_batches(texts, model_name=model, backend=backend)
    vectors: np.ndarray | None = None
    with tqdm(total=len(texts), unit="chunk", desc="embedding", disable=not show) as bar:
        groups = [[texts[i] for i in rows] for rows in calls]
        for rows, found in zip(calls, pool.map(_embedder, (model, backend), groups), strict=True):
            if vectors is None:
                vectors = np.empty((len(texts), found.shape[1]), dtype=np.float32)
            vectors[rows] = found
            bar.update(len(rows))
    return vectors if vectors is not None else np.empty((0, 0), dtype=np.float32)


def _size(source: SourceFile) -> int:
    try:
        return source.path.stat().st_size
    except OSError:
        return 1


def _loader(tags: tuple[str, ...], chunking: tuple[int, int]) -> Callable[[Any], Any]:
    """What a worker runs on each batch of files."""

    def load(files: list[tuple[SourceFile, str]]) -> Any:
        return load_files(files, tags, chunking)

    return load


def _embedder(model: str, backend: str) -> Callable[[Any], Any]:
    """What a worker runs on each group of texts (the model loads once per worker)."""

    def run(texts: list[str]) -> Any:
        return embed(texts, model, backend)

    return run
