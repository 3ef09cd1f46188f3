"""The local index: chunks, their vectors (FAISS) and a BM25 index, searched together.

    index = LocalIndex.build(["./notes"], "notes")       # or stores.open_store("notes")
    hits = index.search("when was the lighthouse lit?", k=5, filters={"tags": ["history"]})

`LocalIndex` is a `Retriever`, so the pipeline does not know it from a web
retriever, local + web fused, or any other store put behind the same seam.

The manifest records the embedding backend (onnx or torch) that made the
vectors. Queries use the configured backend whatever built the index: the two
backends' vectors agree to a cosine of at least 0.98 (0.997 on average) and
recall@5 within 0.01 (bench/index.py). Vectors of two backends are never mixed in
one index: a build over an index made by the other backend embeds every chunk
again, and `add` refuses with EmbeddingMismatchError. An index made by the earlier
int8 export (before its recipe fused attention and kept some MatMuls float32) is
still `onnx`: its vectors agree with today's to a cosine of at least 0.98 (0.991 on
average), so it is searched as it is and a build over it embeds only changed files;
`grounding index build --force` embeds everything again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from grounding.config import Settings
from grounding.errors import EmbeddingMismatchError, IndexStoreError, InputError
from grounding.retrieval.base import Filter
from grounding.retrieval.embedding import embed_query
from grounding.retrieval.filters import as_filter
from grounding.retrieval.fusion import reciprocal_rank_fusion
from grounding.retrieval.index.bm25 import KeywordIndex
from grounding.retrieval.index.faiss_store import VectorStore
from grounding.retrieval.index.loaders import Document
from grounding.retrieval.index.locations import index_dir_for_write
from grounding.retrieval.index.storage import (
    BM25_DIR,
    CHUNKS,
    VECTORS,
    FileRecord,
    read_chunks,
    read_manifest,
    verify_files,
    write_chunks,
    write_manifest,
)
from grounding.retrieval.index.swap import reading, replace_atomically
from grounding.retrieval.index.updating import Updatable
from grounding.retrieval.stores.base import (
    IndexSettings,
    SearchMode,
    saved_settings,
)
from grounding.schema import Chunk, SearchHit

__all__ = ["LocalIndex"]
_DEPTH = 4  # candidates per ranking, as a multiple of k, before fusion


class LocalIndex(Updatable):
    """A searchable, saveable set of chunks. Build, load, add, search, save."""

    def __init__(self, directory: str | Path, settings: IndexSettings | None = None) -> None:
        """An empty index that will be saved to `directory` (a name or a path)."""
        self.directory = index_dir_for_write(directory)
        self.name = self.directory.name
        self.settings = settings or IndexSettings()
        self.files: dict[str, FileRecord] = {}
        self._chunks: list[Chunk] = []
        self._vectors: np.ndarray | None = None  # set while the store is out of date
        self._store: VectorStore | None = None
        self._keywords: KeywordIndex | None = None
        self._dimension = 0
        self.built_backend = self.settings.embedding_backend  # what made the stored vectors

    # ---- opening -----------------------------------------------------------------------

    @classmethod
    def open_saved(
        cls,
        folder: Path,
        shown_as: str,
        embedding_model: str | None = None,
        settings: Settings | None = None,
    ) -> LocalIndex:
        """The FAISS index saved in `folder` (`stores.open_store` finds it by name); refuses
        one built with another embedding model. `settings` say which model and backend
        queries use."""
        with reading(folder):  # no save swaps the folder while it is read, manifest included
            manifest = read_manifest(folder, shown_as)
            if manifest.store != "faiss":
                raise IndexStoreError(f"index {shown_as!r} is not kept in FAISS")
            verify_files(folder, manifest, shown_as)
            index = cls(folder, saved_settings(manifest, shown_as, embedding_model, settings))
            index.built_backend = manifest.embedding_backend
            index.name = folder.name if folder.name else shown_as
            index.files = dict(manifest.files)
            index._chunks = read_chunks(folder / CHUNKS)
            index._dimension = manifest.dimension
            if index._chunks:
                index._store = VectorStore.read(
                    folder / VECTORS, manifest.index_type, manifest.ef_search
                )
                if index._store.dimension != manifest.dimension:
                    raise EmbeddingMismatchError(
                        f"index {folder} stores {index._store.dimension}-d vectors but its "
                        f"manifest says {manifest.dimension}; rebuild it with --force"
                    )
                if manifest.hybrid:
                    index._keywords = KeywordIndex.load(folder / BM25_DIR, len(index._chunks))
        if len(index._chunks) != manifest.chunks or (
            index._store is not None and index._store.count != len(index._chunks)
        ):
            raise IndexStoreError(
                f"index {folder} is damaged ({index._store.count if index._store else 0} "
                f"vectors, {len(index._chunks)} chunks, {manifest.chunks} in its manifest); "
                "rebuild it with `grounding index build PATH... --force`"
            )
        return index

    @classmethod
    def open_for_update(
        cls, name_or_dir: str | Path, settings: IndexSettings, force: bool = False
    ) -> LocalIndex:
        """The saved index if it was built the same way (vectors carry over), else a fresh one."""
        reused = None if force else cls._reusable(name_or_dir, settings)
        return reused or cls(name_or_dir, settings)

    @classmethod
    def _reusable(cls, name_or_dir: str | Path, settings: IndexSettings) -> LocalIndex | None:
        """The saved index at the target, if it was built the same way (so vectors carry over)."""
        folder = index_dir_for_write(name_or_dir)
        try:  # kept in another store (IndexStoreError too): start afresh in FAISS
            old = cls.open_saved(folder, str(folder), settings.embedding_model)
        except IndexStoreError:
            return None
        same = (old.settings.chunk_size, old.settings.chunk_overlap) == (
            settings.chunk_size,
            settings.chunk_overlap,
        )
        if not same or old.built_backend != settings.embedding_backend:
            return None  # other chunks, or vectors from the other backend: embed everything
        old.settings = settings
        return old

    # ---- changing ----------------------------------------------------------------------

    def add(
        self,
        items: Iterable[Document | Chunk],
        progress: bool | None = None,
        vectors: np.ndarray | None = None,
    ) -> list[Chunk]:
        """Chunk (documents), embed and add; a document replaces one with the same id.

        `vectors` (unit rows, one per chunk) skips embedding, for chunks embedded
        elsewhere (a batch job, another machine) with the index's model.
        Returns the chunks added. Call `save()` to keep them.
        """
        known = self._dimension or (self._store.dimension if self._store is not None else 0)
        new_chunks, vectors = self._embedded(items, progress, vectors, known)
        if not new_chunks:
            return new_chunks
        self._vectors = np.concatenate([self.vectors(), vectors])
        self._chunks += new_chunks
        self._invalidate()
        return new_chunks

    def remove(self, doc_ids: Iterable[str]) -> int:
        """Drop every chunk of these documents; returns how many chunks went."""
        gone = set(doc_ids)
        for doc_id in gone:
            self.files.pop(doc_id, None)
        keep = [row for row, chunk in enumerate(self._chunks) if chunk.doc_id not in gone]
        removed = len(self._chunks) - len(keep)
        if removed:
            self._vectors = self.vectors()[keep]
            self._chunks = [self._chunks[row] for row in keep]
            self._invalidate()
        return removed

    def retag(self, doc_id: str, tags: tuple[str, ...]) -> None:
        """Give a document's chunks new tags without embedding them again."""
        self._chunks = [
            chunk.model_copy(update={"tags": tags}) if chunk.doc_id == doc_id else chunk
            for chunk in self._chunks
        ]
        self.files[doc_id] = self.files[doc_id].model_copy(update={"tags": tags})

    def save(self) -> None:
        """Write the index to its folder atomically (the old copy stays whole until the swap)."""
        store = self._dense()
        keywords = self._keyword_index() if self.settings.hybrid else None
        manifest = self._manifest(
            dimension=self._dimension or store.dimension,
            index_type=store.kind,
            chunks=len(self._chunks),
            documents=len({chunk.doc_id for chunk in self._chunks}),
            ef_search=store.ef_search,
        )

        def write(folder: Path) -> None:
            write_chunks(folder / CHUNKS, self._chunks)
            store.write(folder / VECTORS)
            if keywords is not None:
                keywords.save(folder / BM25_DIR)
            write_manifest(folder, manifest)

        replace_atomically(self.directory, write)

    # ---- reading -----------------------------------------------------------------------

    @property
    def chunks(self) -> list[Chunk]:
        """The chunks, in row order (a copy)."""
        return list(self._chunks)

    def __len__(self) -> int:
        return len(self._chunks)

    def vectors(self) -> np.ndarray:
        """All chunk vectors in row order, shape (len(self), dim)."""
        if self._vectors is not None:
            return self._vectors
        if self._store is not None:
            return self._store.vectors()
        return np.empty((0, self._dimension or 0), dtype=np.float32)

    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filter | Mapping[str, Any] | None = None,
        mode: SearchMode | None = None,
    ) -> list[SearchHit]:
        """The `k` chunks best matching `query`, best first.

        `mode` defaults to hybrid (dense and BM25 fused by reciprocal rank) when
        the index was built with it, else dense (cosine similarity).
        """
        mode = self._mode(query, mode)
        if not self._chunks or k <= 0:
            return []
        depth = k if mode == "dense" else max(k * _DEPTH, 20)
        rankings: list[list[SearchHit]] = []
        if mode in ("hybrid", "dense"):
            vector = embed_query(
                query, self.settings.embedding_model, self.settings.embedding_backend
            )
            rankings.append(self.search_by_vector(vector[0], depth, filters))
        if mode in ("hybrid", "keyword"):
            rankings.append(self._keyword_hits(query, depth, filters))
        if len(rankings) == 1:
            return rankings[0][:k]
        return reciprocal_rank_fusion(rankings, k=k)

    def search_by_vector(
        self, vector: np.ndarray, k: int = 5, filters: Filter | Mapping[str, Any] | None = None
    ) -> list[SearchHit]:
        """The `k` chunks nearest to a unit `vector` by inner product, best first."""
        store = self._dense()
        allowed = self._allowed_rows(as_filter(filters))
        if allowed is not None and not len(allowed):
            return []
        scores, rows = store.search(vector.reshape(1, -1), k, allowed)
        return [
            SearchHit(chunk=self._chunks[row], score=float(score), retriever=f"local:{self.name}")
            for score, row in zip(scores[0], rows[0], strict=True)
            if row >= 0
        ]

    def _keyword_hits(
        self, query: str, k: int, filters: Filter | Mapping[str, Any] | None
    ) -> list[SearchHit]:
        keywords = self._keyword_index()
        allowed = self._allowed_rows(as_filter(filters))
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self._chunks), dtype=np.float32)
            mask[allowed] = 1.0
        return [
            SearchHit(chunk=self._chunks[row], score=score, retriever=f"bm25:{self.name}")
            for row, score in keywords.search(query, k, mask)
        ]

    def _allowed_rows(self, chosen: Filter | None) -> np.ndarray | None:
        if chosen is None:
            return None
        docs = {doc_id for doc_id in {c.doc_id for c in self._chunks} if chosen.matches_doc(doc_id)}
        wanted = set(chosen.tags)
        rows = [
            row
            for row, chunk in enumerate(self._chunks)
            if chunk.doc_id in docs and wanted <= set(chunk.tags)
        ]
        return np.asarray(rows, dtype=np.int64)

    # ---- internals ---------------------------------------------------------------------

    def _invalidate(self) -> None:
        self._store = None
        self._keywords = None

    def _dense(self) -> VectorStore:
        """The FAISS index for the current vectors, rebuilt after a change."""
        if self._store is None:
            vectors = self.vectors()
            if not len(vectors) and not self._dimension:
                raise InputError("the index is empty: add documents before searching or saving")
            self._store = VectorStore.build(vectors, self.settings.index_type)
            self._vectors = None
        return self._store

    def _keyword_index(self) -> KeywordIndex:
        """The BM25 index for the current chunks, built on first use after a change."""
        if self._keywords is None:
            self._keywords = KeywordIndex.build([chunk.text for chunk in self._chunks])
        return self._keywords

    def __repr__(self) -> str:
        return f"LocalIndex({str(self.directory)!r}, chunks={len(self)})"
