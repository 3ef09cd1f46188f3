"""Building an index and bringing it up to date: in this process (`building`), or on Ray
(`ray_build`).

    built = build_index(["./docs"], "big", store="milvus")   # built.index, built.report
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Self, TypedDict, Unpack

import numpy as np

from grounding.backends.embedding_model import configured_embedding_backend
from grounding.config import Settings
from grounding.errors import EmbeddingMismatchError, IndexStoreError, InputError
from grounding.retrieval.base import Filter
from grounding.retrieval.embedding import configured_embedding_model, embed_texts
from grounding.retrieval.index.building import document_chunks, update_from_files
from grounding.retrieval.index.chunking import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE
from grounding.retrieval.index.loaders import Document
from grounding.retrieval.index.locations import index_dir_for_write
from grounding.retrieval.index.staging import clear_staging
from grounding.retrieval.index.storage import (
    IndexManifest,
    MilvusLocation,
    now,
    read_manifest,
)
from grounding.retrieval.index.swap import writing
from grounding.retrieval.stores.base import (
    BuildReport,
    Index,
    IndexSettings,
    SearchMode,
    store_class,
)
from grounding.schema import Chunk, SearchHit

__all__ = ["BuildOptions", "Built", "Updatable", "build_index", "refuse_replacing", "update"]


class BuildOptions(TypedDict, total=False):
    """How `build_index` builds: the IndexSettings (None: the configured default) and the run."""

    tags: Iterable[str]
    embedding_model: str | None
    embedding_backend: str | None
    index_type: str  # "auto" | "flat" | "hnsw"
    chunk_size: int | None
    chunk_overlap: int | None
    hybrid: bool
    force: bool  # start from nothing instead of keeping unchanged files' vectors
    progress: bool | None
    ray: bool | str  # True: a local Ray for the run; or an address ("auto", "ray://host:10001")
    workers: int | None
    settings: Settings | None  # where names live, the default model and backend (None: read)


@dataclass(frozen=True)
class Built:
    """A built and saved index, and what building it did."""

    index: Index
    report: BuildReport


def build_index(
    paths: Sequence[str | Path],
    name_or_dir: str | Path,
    store: str | type[Index] = "faiss",
    replace: bool = False,
    **options: Unpack[BuildOptions],
) -> Built:
    """Index the files under `paths` into `store` (a name or a store's index class) and save.

    Re-running over a changed folder embeds only new and changed files (by content
    hash) and drops files that are gone; `force` starts from nothing. Every store's
    class opens what it can reuse (`open_for_update`) and brings it up to date
    (`update`, which returns the report); one build of an index runs at a time.

    An index keeps the documents of the folders and files it was built from;
    a build that names none of some of them would delete those documents, and
    is refused with InputError unless `replace` is true.
    """
    unknown = sorted(set(options) - BuildOptions.__optional_keys__)
    if unknown:
        raise TypeError(f"build_index() got unknown options: {', '.join(unknown)}")
    cls = store_class(store) if isinstance(store, str) else store
    chunk_overlap = options.get("chunk_overlap")
    given = options.get("settings")
    settings = IndexSettings(
        embedding_model=options.get("embedding_model") or configured_embedding_model(given),
        embedding_backend=options.get("embedding_backend") or configured_embedding_backend(given),
        index_type=options.get("index_type", "auto"),
        chunk_size=options.get("chunk_size") or DEFAULT_CHUNK_SIZE,
        chunk_overlap=DEFAULT_CHUNK_OVERLAP if chunk_overlap is None else chunk_overlap,
        hybrid=options.get("hybrid", True),
    )
    folder = index_dir_for_write(name_or_dir, given)
    with writing(folder):  # one build of an index at a time
        if not replace:  # decided under the lock: what another build just saved counts too
            refuse_replacing(paths, name_or_dir, given)
        index = cls.open_for_update(folder, settings, options.get("force", False))
        report = index.update(
            paths,
            tuple(options.get("tags", ())),
            options.get("progress"),
            options.get("ray", False),
            options.get("workers"),
        )
        index.save()
        clear_staging(index.directory)  # its vectors are saved: nothing to resume
    return Built(index, report)


def refuse_replacing(
    paths: Sequence[str | Path], name_or_dir: str | Path, settings: Settings | None = None
) -> None:
    """InputError when the saved index holds documents from folders or files not in `paths`.

    A document's id starts with the folder or file it came from (`notes/a.md`,
    `a.md`): files deleted inside a named folder may go, whole sources may not.
    """
    if not all(Path(path).exists() for path in paths):
        return  # the build itself says which path is missing
    folder = index_dir_for_write(name_or_dir, settings)
    try:
        files = read_manifest(folder, str(name_or_dir)).files
    except IndexStoreError:
        return  # no saved index (or an unreadable one, which a build replaces anyway)
    named = {_root(Path(path)) for path in paths}
    gone: dict[str, int] = {}
    for doc_id in files:
        root = doc_id.split("/", 1)[0]
        if root not in named:
            gone[root] = gone.get(root, 0) + 1
    if gone:
        held = ", ".join(f"{root} ({count} files)" for root, count in sorted(gone.items()))
        raise InputError(
            f"index {str(name_or_dir)!r} holds documents from {held} that this build would "
            "delete; name those paths too, pass --replace (replace=True) to replace them, "
            "or choose another --name"
        )


def _root(path: Path) -> str:
    """The first part of the doc ids that `path` gives its files (see loaders.discover)."""
    if path.is_file():
        return path.name
    return path.resolve().name or "root"


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


class Updatable(Index):
    """What LocalIndex and MilvusIndex share: `update`, the embedding half of `add`,
    filtered search, a search's checks and the manifest's common fields."""

    built_backend: str
    _dimension: int
    can_filter: ClassVar[bool] = True

    @classmethod
    def build(
        cls, paths: Sequence[str | Path], name_or_dir: str | Path, **options: Unpack[BuildOptions]
    ) -> Self:
        """Index the files under `paths` and save; unchanged files keep their vectors.

        Options as for `build_index`, which also returns what the build did (and refuses
        to drop documents from sources not named; this replaces them). `ray` loads, chunks
        and embeds on Ray workers, `workers` of them.
        """
        built = build_index(paths, name_or_dir, cls, replace=True, **options)
        assert isinstance(built.index, cls)
        return built.index

    def search_filtered(self, query: str, k: int, filters: Filter) -> list[SearchHit]:
        """The `k` best hits among the chunks `filters` allows."""
        return self.search(query, k, filters)

    def _mode(self, query: str, mode: SearchMode | None) -> SearchMode:
        """The search mode (hybrid when the index was built with BM25, else dense); an
        empty `query` is refused."""
        if not query.strip():
            raise InputError("empty query: ask something")
        return mode or ("hybrid" if self.settings.hybrid else "dense")

    def _manifest(
        self,
        dimension: int,
        index_type: str,
        chunks: int,
        documents: int,
        ef_search: int = 0,
        milvus: MilvusLocation | None = None,
    ) -> IndexManifest:
        """The manifest of what the index holds now (`milvus`: where a Milvus store keeps it)."""
        return IndexManifest(
            store="faiss" if milvus is None else "milvus",
            milvus=milvus,
            embedding_model=self.settings.embedding_model,
            embedding_backend=self.built_backend,
            dimension=dimension,
            index_type=index_type,
            requested_index_type=self.settings.index_type,
            ef_search=ef_search,
            chunk_size=self.settings.chunk_size,
            chunk_overlap=self.settings.chunk_overlap,
            hybrid=self.settings.hybrid,
            documents=documents,
            chunks=chunks,
            files=self.files,
            updated_at=now(),
        )

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
        return update(self, paths, tuple(tags), progress, ray, workers)
