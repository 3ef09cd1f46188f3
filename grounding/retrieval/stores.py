"""The store seam: which engine holds an index's chunks and vectors, chosen by name.

    index = load_index("notes")                         # FAISS or Milvus, as the manifest says
    index = build_index(["./docs"], "big", store="milvus")

An index's manifest names its store (`faiss`: a folder on one disk, or `milvus`: a
Milvus server, cluster or Milvus Lite file), so loading needs nothing beyond the
name. Stores register as `grounding.stores` entry points (grounding/plugins.py);
every store's index class has the same members (`Index` below), so the pipeline,
the CLI and the service never ask which one they hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from grounding.errors import ConfigError, IndexStoreError
from grounding.models import configured_embedding_backend
from grounding.retrieval.chunking import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE
from grounding.retrieval.embedding import configured_embedding_model
from grounding.retrieval.locations import index_dir_for_write, resolve_index_dir
from grounding.retrieval.storage import FileRecord, read_manifest
from grounding.schema import Chunk, SearchHit

if TYPE_CHECKING:
    from grounding.retrieval.filters import Filter
    from grounding.retrieval.loaders import Document

__all__ = [
    "BuildReport",
    "Index",
    "IndexSettings",
    "build_index",
    "current_store",
    "load_index",
    "store_class",
]


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

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged files; embedded {self.embedded_chunks} of "
            f"{self.total_chunks} chunks"
        )


@runtime_checkable
class Index(Protocol):
    """What every store's index offers: a `Retriever` that can be changed and saved."""

    name: str
    directory: Path
    settings: IndexSettings
    files: dict[str, FileRecord]
    last_embedded: int
    last_build: BuildReport | None

    def __len__(self) -> int: ...

    @property
    def chunks(self) -> list[Chunk]: ...

    def vectors(self) -> np.ndarray: ...

    def search(
        self,
        query: str,
        k: int = 5,
        filters: Filter | Mapping[str, Any] | None = None,
        mode: Any = None,
    ) -> list[SearchHit]: ...

    def search_by_vector(
        self, vector: np.ndarray, k: int = 5, filters: Filter | Mapping[str, Any] | None = None
    ) -> list[SearchHit]: ...

    def add(
        self,
        items: Iterable[Document | Chunk],
        progress: bool | None = None,
        vectors: np.ndarray | None = None,
    ) -> list[Chunk]: ...

    def remove(self, doc_ids: Iterable[str]) -> int: ...

    def retag(self, doc_id: str, tags: tuple[str, ...]) -> None: ...

    def save(self) -> None: ...


def store_class(name: str) -> Any:
    """The index class registered (entry point `grounding.stores`) as store `name`."""
    from grounding.plugins import STORES

    try:
        return STORES.load(name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("grounding"):
            raise
        raise ConfigError(
            f"the {name} store needs {exc.name}: pip install 'grounding[{name}]'"
        ) from exc


def load_index(name_or_path: str | Path, embedding_model: str | None = None) -> Index:
    """The saved index `name_or_path`, opened by the store its manifest names."""
    folder = resolve_index_dir(name_or_path)
    manifest = read_manifest(folder, str(name_or_path))
    index: Index = store_class(manifest.store).load(name_or_path, embedding_model)
    return index


def build_index(
    paths: Sequence[str | Path], name_or_dir: str | Path, store: str = "faiss", **options: Any
) -> Index:
    """Index the files under `paths` into `store`; options as for `LocalIndex.build`."""
    index: Index = store_class(store).build(paths, name_or_dir, **options)
    return index


def current_store(name_or_dir: str | Path) -> str:
    """The store of the index saved at `name_or_dir`; `faiss` when there is none yet."""
    folder = index_dir_for_write(name_or_dir)
    try:
        return read_manifest(folder, str(name_or_dir)).store
    except IndexStoreError:
        return "faiss"
