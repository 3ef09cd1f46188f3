"""An index kept in Milvus: a server, a cluster, Zilliz Cloud, or a Milvus Lite file.

    index = MilvusIndex.build(["./docs"], "big")   # MILVUS_URI unset: NAME/milvus.db
    hits = index.search("when was the lighthouse lit?", k=5, filters={"tags": ["history"]})

Each chunk is one row: its fields, its unit vector, and (hybrid indexes) a sparse
vector that Milvus's own BM25 function derives from the text, so keyword search
runs inside Milvus and no side index has to fit on the client. Hybrid search is one
`hybrid_search` call, dense and BM25 fused by Milvus's RRF ranker. Filters become
Milvus expressions (`doc_id in [...] and array_contains_all(tags, [...])`).

The index folder holds the manifest (file hashes for incremental rebuilds, the
embedding model, where the collection is) and, for Milvus Lite, the database.
Searches and writes go through an alias; a fresh build fills a new collection and
then moves the alias onto it, so readers (and other replicas) switch at once and a
failed fresh build leaves the previous collection serving. Incremental rebuilds
change the collection in place; the manifest, written last, records what is done.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from grounding.config import Settings, setting
from grounding.errors import EmbeddingMismatchError, IndexStoreError, InputError
from grounding.retrieval.base import Filter
from grounding.retrieval.embedding import embed_query
from grounding.retrieval.filters import as_filter
from grounding.retrieval.index.loaders import Document
from grounding.retrieval.index.locations import MANIFEST, index_dir_for_write
from grounding.retrieval.index.storage import FileRecord, MilvusLocation, read_manifest
from grounding.retrieval.index.updating import Updatable
from grounding.retrieval.stores.base import IndexSettings, SearchMode, saved_settings
from grounding.retrieval.stores.milvus.alias import (
    count_rows,
    move_alias,
    new_collection,
    open_collection,
)
from grounding.retrieval.stores.milvus.client import (
    LITE_FILE,
    MILVUS_TOKEN_ENV,
    MILVUS_URI_ENV,
    all_rows,
    collection_name,
    connect,
    release_lite,
)
from grounding.retrieval.stores.milvus.schema import (
    FIELDS,
    dense_hits,
    expression,
    hybrid_hits,
    keyword_hits,
    row_of,
)
from grounding.schema import Chunk, SearchHit

__all__ = ["LITE_FILE", "MILVUS_TOKEN_ENV", "MILVUS_URI_ENV", "MilvusIndex"]

_WRITE_BATCH = 512
_STALE_FILES = ("chunks.jsonl", "vectors.faiss")  # a FAISS index this one replaced


class MilvusIndex(Updatable):
    """A searchable, saveable set of chunks in a Milvus collection (same members as LocalIndex)."""

    store = "milvus"

    def __init__(
        self,
        directory: str | Path,
        settings: IndexSettings | None = None,
        location: MilvusLocation | None = None,
    ) -> None:
        """An empty index saved to `directory`; its rows go to $MILVUS_URI or a Lite file."""
        self.directory = index_dir_for_write(directory)
        self.name = self.directory.name
        self.settings = settings or IndexSettings()
        uri = setting("milvus_uri") or ""
        self.location = location or MilvusLocation(
            uri=uri, collection=collection_name(self.directory)
        )
        self.files: dict[str, FileRecord] = {}
        self.built_backend = self.settings.embedding_backend  # what made the stored vectors
        self._client: Any = None
        self._dimension = 0
        self._count = 0
        self._fresh: str | None = None  # a new collection the alias moves to on save()
        self._live = False  # writes go to the aliased collection (a loaded index)

    # ---- opening -----------------------------------------------------------------------

    @classmethod
    def open_saved(
        cls,
        folder: Path,
        shown_as: str,
        embedding_model: str | None = None,
        settings: Settings | None = None,
    ) -> MilvusIndex:
        """The Milvus index whose manifest is in `folder` (`stores.open_store` finds it by
        name); refuses one built with another embedding model."""
        manifest = read_manifest(folder, shown_as)
        if manifest.store != "milvus" or manifest.milvus is None:
            raise IndexStoreError(f"index {shown_as!r} is not kept in Milvus")
        built_as = saved_settings(manifest, shown_as, embedding_model, settings)
        index = cls(folder, built_as, manifest.milvus)
        index.built_backend = manifest.embedding_backend
        index.name = folder.name or shown_as
        index.files = dict(manifest.files)
        index._dimension = manifest.dimension
        open_collection(index._connect(), index.location.collection, shown_as)
        index._live = True
        index._count = index._stored_count()
        return index

    @classmethod
    def open_for_update(
        cls, name_or_dir: str | Path, settings: IndexSettings, force: bool = False
    ) -> MilvusIndex:
        """The saved index if it was built the same way (rows carry over), else a fresh one."""
        folder = index_dir_for_write(name_or_dir)
        if not force and (folder / MANIFEST).exists():
            try:
                old = cls.open_saved(folder, str(folder), settings.embedding_model)
            except EmbeddingMismatchError:
                old = None
            except IndexStoreError as exc:
                if "cannot reach" in str(exc):
                    raise
                old = None
            wanted_server = bool(setting("milvus_uri"))
            if (
                old is not None
                and _same_layout(old.settings, settings)
                and old.built_backend == settings.embedding_backend  # never mix vectors
                and bool(old.location.uri) == wanted_server  # not moving Lite <-> server
            ):
                return old
        fresh = cls(folder, settings)
        fresh._connect()  # fail now, before anything is embedded, if Milvus is unreachable
        return fresh

    # ---- changing ----------------------------------------------------------------------

    def add(
        self,
        items: Iterable[Document | Chunk],
        progress: bool | None = None,
        vectors: np.ndarray | None = None,
    ) -> list[Chunk]:
        """Chunk (documents), embed and write; a document replaces one with the same id."""
        new_chunks, vectors = self._embedded(items, progress, vectors, self._dimension)
        if not new_chunks:
            return new_chunks
        collection = self._writable()
        for begin in range(0, len(new_chunks), _WRITE_BATCH):
            rows = [
                row_of(chunk, vector)
                for chunk, vector in zip(
                    new_chunks[begin : begin + _WRITE_BATCH],
                    vectors[begin : begin + _WRITE_BATCH],
                    strict=True,
                )
            ]
            self._client.upsert(collection, rows)
        self._count += len(new_chunks)
        return new_chunks

    def remove(self, doc_ids: Iterable[str]) -> int:
        """Delete every chunk of these documents; returns how many chunks went."""
        gone = sorted(set(doc_ids))
        for doc_id in gone:
            self.files.pop(doc_id, None)
        if not gone or (not self._live and self._fresh is None):
            return 0
        collection = self._writable()
        before = self._count
        for begin in range(0, len(gone), _WRITE_BATCH):
            where = expression(Filter(), gone[begin : begin + _WRITE_BATCH])
            self._client.delete(collection, filter=where)
        self._count = self._stored_count()
        return before - self._count

    def retag(self, doc_id: str, tags: tuple[str, ...]) -> None:
        """Give a document's chunks new tags without embedding them again."""
        collection = self._writable()
        where = expression(Filter(), [doc_id])
        rows = self._client.query(collection, filter=where, output_fields=[*FIELDS, "vector"])
        if rows:
            for row in rows:
                row["tags"] = list(tags)
            self._client.upsert(collection, rows)
        self.files[doc_id] = self.files[doc_id].model_copy(update={"tags": tags})

    def save(self) -> None:
        """Point the alias at the rows (a fresh build's new collection) and write the manifest."""
        if not self._dimension:
            raise InputError("the index is empty: add documents before saving")
        client = self._connect()
        if self._fresh is not None:
            move_alias(client, self.location.collection, self._fresh)
            self._fresh, self._live = None, True
        else:
            client.flush(self.location.collection)
        manifest = self._manifest(
            dimension=self._dimension,
            index_type=self.settings.index_type,
            chunks=self._count,
            documents=len(self.files),
            milvus=self.location,
        )
        staging = self.directory / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
        staging.write_text(manifest.model_dump_json(indent=2), "utf-8")
        os.replace(staging, self.directory / MANIFEST)
        for stale in _STALE_FILES:
            (self.directory / stale).unlink(missing_ok=True)

    def close(self) -> None:
        """Release the connection and, when no other index here uses it, the Lite file's lock."""
        if self._client is not None:
            self._client.close()
            self._client = None
            if not self.location.uri:
                release_lite(self.directory / LITE_FILE)

    # ---- reading -----------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    @property
    def chunks(self) -> list[Chunk]:
        """Every chunk, by document and position (read from Milvus)."""
        return [chunk for chunk, _ in self._all_rows()]

    def vectors(self) -> np.ndarray:
        """Every chunk's vector, in the order of `chunks`."""
        rows = [vector for _, vector in self._all_rows()]
        if not rows:
            return np.empty((0, self._dimension), dtype=np.float32)
        return np.asarray(rows, dtype=np.float32)

    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filter | Mapping[str, Any] | None = None,
        mode: SearchMode | None = None,
    ) -> list[SearchHit]:
        """The `k` chunks best matching `query`, best first (hybrid: Milvus BM25 + RRF)."""
        mode = self._mode(query, mode)
        if mode != "dense" and not self.settings.hybrid:
            raise InputError(
                f"index {self.name!r} was built without BM25 (--no-hybrid): search it dense"
            )
        if not self._count or k <= 0:
            return []
        where = self._where(as_filter(filters))
        if where is None:
            return []
        if mode == "keyword":
            collection = self.location.collection
            return keyword_hits(self._client, collection, query, k, where, self._tag())
        settings = self.settings
        vector = embed_query(query, settings.embedding_model, settings.embedding_backend)[0]
        if mode == "dense":
            return self._dense(vector, k, where)
        depth = max(k * 4, 20)  # as deep as the local index fuses
        return hybrid_hits(
            self._client, self.location.collection, vector, query, (k, depth), where, self._tag()
        )

    def search_by_vector(
        self, vector: np.ndarray, k: int = 5, filters: Filter | Mapping[str, Any] | None = None
    ) -> list[SearchHit]:
        """The `k` chunks nearest to a unit `vector` by inner product, best first."""
        if not self._count or k <= 0:
            return []
        where = self._where(as_filter(filters))
        return [] if where is None else self._dense(np.asarray(vector).reshape(-1), k, where)

    # ---- internals ---------------------------------------------------------------------

    def _dense(self, vector: np.ndarray, k: int, where: str) -> list[SearchHit]:
        collection = self.location.collection
        return dense_hits(self._client, collection, vector, k, where, self._tag())

    def _tag(self) -> str:
        return f"milvus:{self.name}"

    def _where(self, chosen: Filter | None) -> str | None:
        """The Milvus expression for a filter ("" = all); None when no document can match."""
        if chosen is None:
            return ""
        doc_ids = None
        if chosen.doc_ids:
            doc_ids = [doc_id for doc_id in self.files if chosen.matches_doc(doc_id)]
            if not doc_ids:
                return None
        return expression(chosen, doc_ids)

    def _connect(self) -> Any:
        if self._client is None:
            self._client = connect(self.location.uri, self.directory / LITE_FILE)
        return self._client

    def _writable(self) -> str:
        """The collection to write to: the live one, or a fresh one (created on first write)."""
        client = self._connect()
        if self._live:
            return self.location.collection
        if self._fresh is None:
            self._fresh = new_collection(
                client,
                self.location.collection,
                self._dimension,
                self.settings.index_type,
                self.settings.hybrid,
            )
        return self._fresh

    def _stored_count(self) -> int:
        return count_rows(self._client, self._fresh or self.location.collection)

    def _all_rows(self) -> list[tuple[Chunk, list[float]]]:
        return all_rows(self._client, self.location.collection)

    def __repr__(self) -> str:
        return f"MilvusIndex({str(self.directory)!r}, chunks={len(self)})"


def _same_layout(old: IndexSettings, new: IndexSettings) -> bool:
    keys = ("chunk_size", "chunk_overlap", "hybrid", "index_type")
    return all(getattr(old, key) == getattr(new, key) for key in keys)
