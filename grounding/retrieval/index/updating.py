"""Bringing an index up to date: in this process (`building`), or on Ray (`ray_build`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from grounding.errors import EmbeddingMismatchError, InputError
from grounding.retrieval.embedding import embed_texts
from grounding.retrieval.index.building import document_chunks, update_from_files
from grounding.retrieval.index.loaders import Document
from grounding.retrieval.index.storage import FileRecord
from grounding.retrieval.stores.base import BuildReport, Index, IndexSettings
from grounding.schema import Chunk

__all__ = ["Updatable", "update"]


def update(
    index: Index,
    paths: Sequence[str | Path],
    tags: tuple[str, ...] = (),
    progress: bool | None = None,
    ray: bool | str = False,
    workers: int | None = None,
) -> BuildReport:
    """`update_from_files` in this process, or on Ray (`ray`: True = a local Ray, or an address)."""
    if ray is False:
        return update_from_files(index, paths, tags, progress)
    from grounding.retrieval.index.ray_build import update_with_ray

    address = None if ray is True else ray
    return update_with_ray(index, paths, tags, progress, address or None, workers)


class Updatable:
    """What LocalIndex and MilvusIndex share: `update`, and the embedding half of `add`."""

    name: str
    settings: IndexSettings
    files: dict[str, FileRecord]
    built_backend: str
    _dimension: int

    def __len__(self) -> int:
        raise NotImplementedError

    def remove(self, doc_ids: Iterable[str]) -> int:
        raise NotImplementedError

    def _embedded(
        self,
        items: Iterable[Document | Chunk],
        progress: bool | None,
        vectors: np.ndarray | None,
        dimension: int,
    ) -> tuple[list[Chunk], np.ndarray]:
        """The chunks `add` must store and their unit vectors (embedded unless given).

        A document replaces any earlier version of it (its old chunks are removed
        and its file record replaced). `dimension` is the stored vectors' (0: none).
        """
        items = list(items)
        if vectors is not None and (
            len(vectors) != len(items) or any(isinstance(item, Document) for item in items)
        ):
            raise InputError("with `vectors`, pass chunks (not documents), one vector per chunk")
        new_chunks: list[Chunk] = []
        for item in items:
            if isinstance(item, Document):
                self.remove([item.doc_id])
                record, chunks = document_chunks(
                    item, self.settings.chunk_size, self.settings.chunk_overlap
                )
                self.files[item.doc_id] = record
                new_chunks += chunks
            else:
                new_chunks.append(item)
        if not new_chunks:  # nothing to embed: do not even load the model
            return new_chunks, np.empty((0, dimension), dtype=np.float32)
        backend = self.settings.embedding_backend
        if len(self) and self.built_backend != backend:
            raise EmbeddingMismatchError(
                f"index {self.name!r} holds vectors from the {self.built_backend} backend; "
                f"adding {backend} vectors would mix them. Set GROUNDING_EMBEDDING_BACKEND="
                f"{self.built_backend} or rebuild it with `grounding index build PATH... --force`"
            )
        if vectors is None:
            texts = [chunk.text for chunk in new_chunks]
            vectors = embed_texts(
                texts, self.settings.embedding_model, progress=progress, backend=backend
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        if dimension and vectors.shape[1] != dimension:
            raise EmbeddingMismatchError(
                f"{vectors.shape[1]}-d vectors do not fit index {self.name!r} ({dimension}-d)"
            )
        self._dimension = vectors.shape[1]
        self.built_backend = backend
        return new_chunks, vectors

    def update(
        self,
        paths: Sequence[str | Path],
        tags: Iterable[str] = (),
        progress: bool | None = None,
        ray: bool | str = False,
        workers: int | None = None,
    ) -> BuildReport:
        """Make this index hold exactly the files under `paths`; embeds only what changed.

        Returns what was added, changed, removed and embedded. Call `save()` to keep it.
        """
        index: Index = self  # type: ignore[assignment]  # the class using this meets Index
        return update(index, paths, tuple(tags), progress, ray, workers)
