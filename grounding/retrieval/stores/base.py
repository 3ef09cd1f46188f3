"""The store seam: which engine holds an index's chunks and vectors, chosen by name.

    index = open_store("notes")                         # FAISS or Milvus, as the manifest says
    built = build_index(["./docs"], "big", store="milvus")   # updating.py: index, report
    report = index.update(["./docs"]); index.save()     # what changed, returned, never stored

An index's manifest names its store (`faiss`: a folder on one disk, or `milvus`: a
Milvus server, cluster or Milvus Lite file), so loading needs nothing beyond the
name: `open_store` is the one way to open a saved index. Stores register as
`grounding.stores` entry points (`STORES`); every store's index class has the same
members (`Index` below), so the pipeline, the CLI and the service never ask which
one they hold.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from grounding.backends.embedding_model import configured_embedding_backend
from grounding.config import Settings
from grounding.core.text import one_line
from grounding.errors import ConfigError, EmbeddingMismatchError, IndexStoreError
from grounding.plugins import Registry
from grounding.retrieval.base import Filter, Retriever
from grounding.retrieval.embedding import configured_embedding_model
from grounding.retrieval.index.chunking import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE
from grounding.retrieval.index.loaders import Document, SkippedFile
from grounding.retrieval.index.locations import index_dir_for_write
from grounding.retrieval.index.storage import (
    FileRecord,
    IndexManifest,
    read_manifest,
    resolve_index_dir,
)
from grounding.retrieval.index.swap import reading
from grounding.schema import Chunk, SearchHit

__all__ = [
    "STORES",
    "BuildReport",
    "Index",
    "IndexSettings",
    "SearchMode",
    "current_store",
    "open_store",
    "saved_settings",
    "store_class",
]

SearchMode = Literal["hybrid", "dense", "keyword"]


@dataclass(frozen=True)
class IndexSettings:
    """How an index is built; recorded in its manifest."""

    embedding_model: str = field(default_factory=configured_embedding_model)
    embedding_backend: str = field(default_factory=configured_embedding_backend)
    index_type: str = "auto"  # "auto" | "flat" | "hnsw"
    chunk_size: int = DEFAULT_CHUNK_SIZE
    chunk_overlap: int = DEFAULT_CHUNK_OVERLAP
    hybrid: bool = True


@dataclass(frozen=True)
class BuildReport:
    """What a build did: which files it read, kept and dropped, and how many chunks it embedded."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    embedded_chunks: int
    total_chunks: int
    skipped: tuple[SkippedFile, ...] = ()  # files left out, each with its reason
    reused_chunks: int = 0  # vectors an interrupted build had staged, taken instead of embedding

    @property
    def documents(self) -> int:
        """Files the index holds now: each is one document."""
        return len(self.added) + len(self.changed) + len(self.unchanged)

    def summary(self, shown: int = 20) -> str:
        """Counts, then each skipped file with its reason (the first `shown` of them)."""
        lines = [
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged files; embedded {self.embedded_chunks} of "
            f"{self.total_chunks} chunks; the index holds {self.documents} documents"
        ]
        if self.reused_chunks:
            lines.append(
                f"resumed: reused {self.reused_chunks} chunk vectors an interrupted build had made"
            )
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} files:")
            lines += [one_line(f"  {skip.name}: {skip.reason}") for skip in self.skipped[:shown]]
            if len(self.skipped) > shown:
                lines.append(f"  ... and {len(self.skipped) - shown} more")
        return "\n".join(lines)


class Index(Retriever):
    """What every store's index offers: a `Retriever` that can be changed and saved.

    A store's class subclasses it (as `LocalIndex` and `MilvusIndex` do, through
    `updating.Updatable`, which writes `update` and filtered search for them)."""

    directory: Path
    settings: IndexSettings
    files: dict[str, FileRecord]

    @classmethod
    @abstractmethod
    def open_saved(
        cls,
        folder: Path,
        shown_as: str,
        embedding_model: str | None = None,
        settings: Settings | None = None,
    ) -> Index:
        """The index saved in `folder` (`open_store` finds it by name and store)."""

    @classmethod
    @abstractmethod
    def open_for_update(
        cls, name_or_dir: str | Path, settings: IndexSettings, force: bool = False
    ) -> Index:
        """The saved index if its vectors can be reused for `settings`, else an empty one."""

    @abstractmethod
    def __len__(self) -> int: ...

    @property
    @abstractmethod
    def chunks(self) -> list[Chunk]: ...

    @abstractmethod
    def vectors(self) -> np.ndarray: ...

    @abstractmethod
    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filter | Mapping[str, Any] | None = None,
        mode: SearchMode | None = None,
    ) -> list[SearchHit]: ...

    @abstractmethod
    def search_by_vector(
        self, vector: np.ndarray, k: int = 5, filters: Filter | Mapping[str, Any] | None = None
    ) -> list[SearchHit]: ...

    @abstractmethod
    def add(
        self,
        items: Iterable[Document | Chunk],
        progress: bool | None = None,
        vectors: np.ndarray | None = None,
    ) -> list[Chunk]: ...

    @abstractmethod
    def update(
        self,
        paths: Sequence[str | Path],
        tags: Iterable[str] = (),
        progress: bool | None = None,
        ray: bool | str = False,
        workers: int | None = None,
    ) -> BuildReport: ...

    @abstractmethod
    def remove(self, doc_ids: Iterable[str]) -> int: ...

    @abstractmethod
    def retag(self, doc_id: str, tags: tuple[str, ...]) -> None: ...

    @abstractmethod
    def save(self) -> None: ...


STORES: Registry[type[Index]] = Registry("grounding.stores", "store", builtin=False)


def store_class(name: str) -> type[Index]:
    """The index class registered (entry point `grounding.stores`) as store `name`."""
    try:
        return STORES.load(name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("grounding"):
            raise
        raise ConfigError(
            f"the {name} store needs {exc.name}: pip install 'grounding[{name}]'"
        ) from exc


def open_store(
    name_or_path: str | Path, settings: Settings | None = None, embedding_model: str | None = None
) -> Index:
    """The saved index `name_or_path` (a name or a folder), opened by the store its manifest
    names; the one way to open an index.

    `settings` say where plain names live and the embedding model and backend queries use;
    an index built with another embedding model than `embedding_model` (by default the
    configured one) is refused with EmbeddingMismatchError."""
    folder = resolve_index_dir(name_or_path, settings)
    with reading(folder):  # a save swapping the folder in now would hide its manifest
        store = read_manifest(folder, str(name_or_path)).store
    return store_class(store).open_saved(folder, str(name_or_path), embedding_model, settings)


def saved_settings(
    manifest: IndexManifest,
    shown_as: str,
    embedding_model: str | None = None,
    settings: Settings | None = None,
) -> IndexSettings:
    """How a saved index was built, for searching it with the configured embedding backend
    (whatever backend made its vectors); EmbeddingMismatchError when its embedding model is
    not `embedding_model` (by default the configured one)."""
    wanted = embedding_model or configured_embedding_model(settings)
    if manifest.embedding_model != wanted:
        raise EmbeddingMismatchError(
            f"index {shown_as!r} was built with embedding model "
            f"{manifest.embedding_model!r} but {wanted!r} is configured; set "
            f"GROUNDING_EMBEDDING_MODEL={manifest.embedding_model} or rebuild it with "
            "`grounding index build PATH... --force`"
        )
    return IndexSettings(
        embedding_model=manifest.embedding_model,
        embedding_backend=configured_embedding_backend(settings),
        index_type=manifest.requested_index_type,
        chunk_size=manifest.chunk_size,
        chunk_overlap=manifest.chunk_overlap,
        hybrid=manifest.hybrid,
    )


def current_store(name_or_dir: str | Path, settings: Settings | None = None) -> str:
    """The store of the index saved at `name_or_dir`; `faiss` when there is none yet."""
    folder = index_dir_for_write(name_or_dir, settings)
    try:
        return read_manifest(folder, str(name_or_dir)).store
    except IndexStoreError:
        return "faiss"
