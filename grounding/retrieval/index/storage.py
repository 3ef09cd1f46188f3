"""The on-disk form of a local index, and replacing it atomically.

    NAME/
      manifest.json   embedding model and backend, dimension, index type, chunk settings,
                      file hashes, counts, format version (written last)
      chunks.jsonl    one Chunk per line, in FAISS row order
      vectors.faiss   faiss.write_index
      bm25/           bm25s arrays (.npy, pickle off) and JSON

A save writes a complete copy into a temporary folder beside the target,
fsyncs it, then swaps folders with two renames; a crash at any point leaves
either the old or the new index whole. `recover` finishes an interrupted swap.

Two lock files beside the folder (`.NAME.write.lock`, `.NAME.swap.lock`; flock,
so a killed process lets go) keep readers and writers apart:
- `writing(target)` is held by one writer at a time for a whole build or save,
  so two builds of one index run one after the other, never over each other;
  whoever takes it first puts back an interrupted swap and removes the
  `.tmp-*`/`.old-*` copies that killed saves left behind;
- `reading(target)` holds the swap lock shared while an index is loaded, and
  the swap itself takes it exclusively, so a reader sees one whole version.
The manifest, written last, records the size of every file; `verify_files`
checks them, so a folder mixed from two versions is refused, not misread.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from grounding.config import Settings, indexes_dir
from grounding.errors import IndexNotFoundError, IndexStoreError, InputError
from grounding.retrieval.index.locations import (
    INDEX_NAME,
    MANIFEST,
    checked_name,
    did_you_mean,
    is_path,
)
from grounding.schema import Chunk

__all__ = [
    "FORMAT_VERSION",
    "FileRecord",
    "IndexManifest",
    "MilvusLocation",
    "read_chunks",
    "read_manifest",
    "reading",
    "recover",
    "replace_atomically",
    "verify_files",
    "write_chunks",
    "write_manifest",
    "writing",
]

FORMAT_VERSION = 1
CHUNKS = "chunks.jsonl"
VECTORS = "vectors.faiss"
BM25_DIR = "bm25"


class FileRecord(BaseModel):
    """What the index knows of one document: enough to tell if its file changed."""

    model_config = ConfigDict(extra="forbid")

    sha256: str
    title: str
    uri: str
    tags: tuple[str, ...] = ()
    chunks: int = 0


class MilvusLocation(BaseModel):
    """Where a Milvus-stored index lives: a server (`uri`) or, when empty, a Milvus Lite file."""

    model_config = ConfigDict(extra="forbid")

    uri: str = ""  # "" = the Milvus Lite file under the index folder; never holds a token
    collection: str  # the alias searches and writes go through


class IndexManifest(BaseModel):
    """Everything needed to read an index back and to refuse using it wrongly."""

    model_config = ConfigDict(extra="ignore")

    format_version: int = FORMAT_VERSION
    store: str = "faiss"  # which store holds the vectors: "faiss" or "milvus"
    milvus: MilvusLocation | None = None  # set when store == "milvus"
    embedding_model: str
    embedding_backend: str = "torch"  # what made the vectors; indexes before it was recorded
    dimension: int
    index_type: str  # what is stored: "flat" or "hnsw"
    requested_index_type: str = "auto"
    ef_search: int = 0
    chunk_size: int
    chunk_overlap: int
    hybrid: bool = True
    documents: int = 0
    chunks: int = 0
    files: dict[str, FileRecord] = {}
    updated_at: str = ""
    file_sizes: dict[str, int] = {}  # every other file of the folder, in bytes


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_manifest(folder: Path, shown_as: str) -> IndexManifest:
    """The manifest of the index in `folder`; IndexNotFoundError naming the fix if absent."""
    tidy(folder)
    path = folder / MANIFEST
    if not path.exists():
        raise IndexNotFoundError(
            f"no index {shown_as!r} (looked in {folder}){did_you_mean(shown_as)}; build it "
            f"with `grounding index build PATH... --name {shown_as}`"
        )
    try:
        manifest = IndexManifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise IndexStoreError(f"unreadable manifest {path}: {exc}; rebuild with --force") from exc
    if manifest.format_version > FORMAT_VERSION:
        raise IndexStoreError(
            f"index {shown_as!r} has format {manifest.format_version}, newer than this "
            f"grounding understands ({FORMAT_VERSION}); upgrade grounding or rebuild it"
        )
    return manifest


def write_manifest(folder: Path, manifest: IndexManifest) -> None:
    """Write `manifest` last, recording the size of every file already in `folder`."""
    sizes = {
        path.relative_to(folder).as_posix(): path.stat().st_size
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }
    text = manifest.model_copy(update={"file_sizes": sizes}).model_dump_json(indent=2)
    (folder / MANIFEST).write_text(text, encoding="utf-8")


def verify_files(folder: Path, manifest: IndexManifest, shown_as: str) -> None:
    """IndexStoreError unless every file the manifest records is there, at its size."""
    for name, size in manifest.file_sizes.items():
        path = folder / name
        try:
            actual = path.stat().st_size
        except OSError:
            actual = -1
        if actual != size:
            found = "missing" if actual < 0 else f"{actual} bytes"
            raise IndexStoreError(
                f"index {shown_as!r} is damaged: {name} should be {size} bytes but is {found}; "
                "rebuild it with `grounding index build PATH... --force`"
            )


def write_chunks(path: Path, chunks: list[Chunk]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(chunk.model_dump_json())
            handle.write("\n")


def read_chunks(path: Path) -> list[Chunk]:
    try:
        with path.open(encoding="utf-8") as handle:
            return [Chunk.model_validate_json(line) for line in handle if line.strip()]
    except (OSError, ValueError) as exc:
        raise IndexStoreError(f"cannot read {path}: {exc}; rebuild with --force") from exc


def replace_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Run `write(folder)` into a fresh folder, fsync it, then swap it in for `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with writing(target):
        _replace(target, write)


def _replace(target: Path, write: Callable[[Path], None]) -> None:
    token = uuid.uuid4().hex[:8]
    staging = target.with_name(f".{target.name}.tmp-{token}")
    staging.mkdir()
    try:
        write(staging)
        _fsync_tree(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired = target.with_name(f".{target.name}.old-{token}")
    with _flock(_lock_file(target, "swap"), exclusive=True):  # waits for loads in progress
        if target.exists():
            os.replace(target, retired)
        os.replace(staging, target)
        _fsync_dir(target.parent)
    shutil.rmtree(retired, ignore_errors=True)


def recover(target: Path) -> None:
    """Put back the previous index if a swap was interrupted between its two renames."""
    if (target / MANIFEST).exists() or not target.parent.is_dir():
        return
    for retired in sorted(_siblings(target, "old"), key=lambda p: p.stat().st_mtime):
        if (retired / MANIFEST).exists():
            with contextlib.suppress(OSError):
                if target.exists():
                    target.rmdir()  # only ever an empty leftover
                os.replace(retired, target)
                return


def tidy(target: Path) -> None:
    """Recover an interrupted swap and remove leftover copies, unless a writer is at work."""
    if not target.parent.is_dir():
        return
    with contextlib.suppress(IndexBusyError), writing(target, wait=False):
        pass  # taking the writer lock does the work


@contextlib.contextmanager
def reading(target: Path) -> Iterator[None]:
    """Hold off swaps of `target` while it is read, so the reader sees one version."""
    with _flock(_lock_file(target, "swap"), exclusive=False):
        yield


class IndexBusyError(IndexStoreError):
    """Another process is writing the index (raised only when not waiting for it)."""


_held: dict[Path, int] = {}  # writer locks this process holds: path -> owning thread
_held_guard = threading.Lock()


@contextlib.contextmanager
def writing(target: Path, wait: bool = True) -> Iterator[None]:
    """The index's writer lock: one build or save at a time, across processes.

    Re-entrant within a thread (a build holds it across its save). The folder
    that holds `target` is made first, so even the first build of an index
    under a new GROUNDING_HOME is locked. On taking it: an interrupted swap is
    put back and leftover `.tmp-*`/`.old-*` copies are removed. `wait=False`
    raises IndexBusyError instead of waiting.
    """
    key = target.absolute()
    with _held_guard:
        mine = _held.get(key) == threading.get_ident()
    if mine:
        yield
        return
    with contextlib.suppress(OSError):  # the lock file lives there: without it, no lock
        target.parent.mkdir(parents=True, exist_ok=True)
    with _flock(_lock_file(target, "write"), exclusive=True, wait=wait) as locked:
        with _held_guard:
            _held[key] = threading.get_ident()
        try:
            if locked:
                recover(target)
                for leftover in [*_siblings(target, "tmp"), *_siblings(target, "old")]:
                    shutil.rmtree(leftover, ignore_errors=True)
            yield
        finally:
            with _held_guard:
                _held.pop(key, None)


def _lock_file(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{kind}.lock")


@contextlib.contextmanager
def _flock(path: Path, exclusive: bool, wait: bool = True) -> Iterator[bool]:
    """An flock on `path` (created if needed); yields False where no lock can be taken.

    Where the folder is read-only or the platform has no flock, nothing can
    write there either, so reading without the lock is safe.
    """
    try:
        import fcntl

        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except (ImportError, OSError):
        yield False
        return
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(descriptor, mode if wait else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(
                f"index {path.name[1:].rsplit('.', 2)[0]!r} is being written by another process; "
                "try again when it has finished"
            ) from None
        yield True
    finally:
        os.close(descriptor)  # releases the lock


def _siblings(target: Path, kind: str) -> Iterator[Path]:
    yield from target.parent.glob(f".{target.name}.{kind}-*")


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        _fsync_dir(path)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be fsynced
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def resolve_index_dir(name_or_path: str | Path, settings: Settings | None = None) -> Path:
    """The folder of an existing (or expected) index; it may not exist yet.

    Decided under the home index's swap lock. InputError when a plain name is an index both
    under GROUNDING_HOME and in the working directory.
    """
    if is_path(name_or_path):
        return Path(name_or_path).expanduser()
    name = str(name_or_path)
    local = Path(name)
    if not (local / MANIFEST).exists():
        return indexes_dir(settings) / checked_name(name)
    if not INDEX_NAME.fullmatch(name):
        return local  # no index at home can have that name
    home = indexes_dir(settings) / name
    tidy(home)  # puts back a swap a killed save left half done
    with reading(home):  # the swap lock: no save is between its two renames
        at_home = (home / MANIFEST).exists()
    if not at_home:
        return local
    if local.resolve() == home.resolve():
        return home
    raise InputError(
        f"index name {local.name!r} is ambiguous: there is an index {home} and one in the "
        f"working directory; pass ./{local.name} for the folder here or {home} for the other"
    )
