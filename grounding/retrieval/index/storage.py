"""The on-disk form of a local index: its manifest, its chunks, and where it lives.

    NAME/
      manifest.json   embedding model and backend, dimension, index type, chunk settings,
                      file hashes, counts, format version (written last)
      chunks.jsonl    one Chunk per line, in FAISS row order
      vectors.faiss   faiss.write_index
      bm25/           bm25s arrays (.npy, pickle off) and JSON

A save replaces the folder whole (`swap.py`). The manifest, written last, records the
size of every file; `verify_files` checks them, so a folder mixed from two versions is
refused, not misread.
"""

from __future__ import annotations

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
from grounding.retrieval.index.swap import reading, tidy
from grounding.schema import Chunk

__all__ = [
    "FORMAT_VERSION",
    "FileRecord",
    "IndexManifest",
    "MilvusLocation",
    "read_chunks",
    "read_manifest",
    "resolve_index_dir",
    "verify_files",
    "write_chunks",
    "write_manifest",
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
