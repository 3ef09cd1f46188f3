"""The store seam: which engine holds an index's chunks and vectors, chosen by name.

    index = load_index("notes")                         # FAISS or Milvus, as the manifest says
    built = build_index(["./docs"], "big", store="milvus")   # built.index, built.report
    report = index.update(["./docs"]); index.save()     # what changed, returned, never stored

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
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, Unpack, runtime_checkable

import numpy as np

from grounding.backends.embedding_model import configured_embedding_backend
from grounding.config import Settings
from grounding.core.text import one_line
from grounding.errors import ConfigError, IndexStoreError, InputError
from grounding.retrieval.embedding import configured_embedding_model
from grounding.retrieval.index.chunking import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE
from grounding.retrieval.index.loaders import SkippedFile
from grounding.retrieval.index.locations import index_dir_for_write
from grounding.retrieval.index.staging import clear_staging
from grounding.retrieval.index.storage import FileRecord, read_manifest, resolve_index_dir, writing
from grounding.schema import Chunk, SearchHit

if TYPE_CHECKING:
    from grounding.retrieval.filters import Filter
    from grounding.retrieval.index.loaders import Document

__all__ = [
    "BuildOptions",
    "BuildReport",
    "Built",
    "Index",
    "IndexSettings",
    "build_index",
    "current_store",
    "load_index",
    "refuse_replacing",
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


@runtime_checkable
class Index(Protocol):
    """What every store's index offers: a `Retriever` that can be changed and saved."""

    name: str
    directory: Path
    settings: IndexSettings
    files: dict[str, FileRecord]

    @classmethod
    def open_for_update(
        cls, name_or_dir: str | Path, settings: IndexSettings, force: bool = False
    ) -> Index: ...

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

    def update(
        self,
        paths: Sequence[str | Path],
        tags: Iterable[str] = (),
        progress: bool | None = None,
        ray: bool | str = False,
        workers: int | None = None,
    ) -> BuildReport: ...

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


def load_index(
    name_or_path: str | Path, embedding_model: str | None = None, settings: Settings | None = None
) -> Index:
    """The saved index `name_or_path`, opened by the store its manifest names."""
    folder = resolve_index_dir(name_or_path, settings)
    manifest = read_manifest(folder, str(name_or_path))
    index: Index = store_class(manifest.store).load(name_or_path, embedding_model, settings)
    return index


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
    cls: type[Index] = store_class(store) if isinstance(store, str) else store
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


def current_store(name_or_dir: str | Path, settings: Settings | None = None) -> str:
    """The store of the index saved at `name_or_dir`; `faiss` when there is none yet."""
    folder = index_dir_for_write(name_or_dir, settings)
    try:
        return read_manifest(folder, str(name_or_dir)).store
    except IndexStoreError:
        return "faiss"
