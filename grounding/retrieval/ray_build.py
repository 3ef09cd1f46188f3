"""Building an index on Ray: workers load, chunk and embed; this process writes to the store.

The plan (which files are new, changed or gone, by content hash) is made here, as
for an in-process build. The files to load are cut into contiguous batches of
about equal size; each Ray worker runs `prepare_files` on a batch (the same load,
chunk and embed stages an in-process build runs), and the results are written to
the index in file order as they arrive, so the index ends up with the same chunks,
in the same order, as an in-process build. Workers read the files by path: on a
multi-node cluster the paths must be reachable from every node (a shared volume).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from grounding.ray_support import batches, ray_workers
from grounding.retrieval.building import (
    BuildReport,
    finish_update,
    plan_update,
    prepare_files,
    start_update,
)
from grounding.retrieval.loaders import SourceFile

if TYPE_CHECKING:
    from grounding.retrieval.stores import Index

__all__ = ["update_with_ray"]

_BATCHES_PER_WORKER = 4  # small enough to balance uneven files, large enough to batch embedding


def update_with_ray(
    index: Index,
    paths: Sequence[str | Path],
    tags: tuple[str, ...] = (),
    progress: bool | None = None,
    address: str | None = None,
    workers: int | None = None,
) -> BuildReport:
    """`update_from_files`, with loading, chunking and embedding on Ray workers."""
    from tqdm.auto import tqdm

    plan = plan_update(index, paths, tags)
    files = list(plan.to_load)
    if not files:
        start_update(index, plan)
        return finish_update(index, plan, 0)
    settings = (
        index.settings.chunk_size,
        index.settings.chunk_overlap,
        index.settings.embedding_model,
    )
    show = sys.stderr.isatty() if progress is None else progress
    embedded = 0
    with ray_workers(address, workers) as pool:  # fails here, before the index is touched
        start_update(index, plan)
        sizes = [max(1, _size(source)) for source, _ in files]
        parts = [
            [files[i] for i in part] for part in batches(sizes, pool.workers * _BATCHES_PER_WORKER)
        ]
        with tqdm(total=len(files), unit="file", desc="indexing", disable=not show) as bar:
            for prepared in pool.map(_preparer, (plan.tags, settings), parts):
                embedded += _write(index, prepared)
                bar.update(len(prepared))
    return finish_update(index, plan, embedded)


def _size(source: SourceFile) -> int:
    try:
        return source.path.stat().st_size
    except OSError:
        return 1


def _preparer(tags: tuple[str, ...], settings: tuple[int, int, str]) -> Callable[[Any], Any]:
    """What a worker runs on each batch (made once per worker, so the model stays loaded)."""

    def prepare(files: list[tuple[SourceFile, str]]) -> Any:
        return prepare_files(files, tags, settings)

    return prepare


def _write(index: Index, prepared: list[Any]) -> int:
    """Put one batch's documents into the index; returns the chunks written."""
    index.remove([doc_id for doc_id, _, _, _ in prepared])
    chunks = []
    for doc_id, record, doc_chunks, _ in prepared:
        index.files[doc_id] = record
        chunks += doc_chunks
    if chunks:
        vectors = np.concatenate([vectors for _, _, c, vectors in prepared if c])
        index.add(chunks, vectors=vectors)
    return len(chunks)
