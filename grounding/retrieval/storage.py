"""The on-disk form of a local index, and replacing it atomically.

    NAME/
      manifest.json   embedding model, dimension, index type, chunk settings,
                      file hashes, counts, format version (written last)
      chunks.jsonl    one Chunk per line, in FAISS row order
      vectors.faiss   faiss.write_index
      bm25/           bm25s arrays (.npy, pickle off) and JSON

A save writes a complete copy into a temporary folder beside the target,
fsyncs it, then swaps folders with two renames; a crash at any point leaves
either the old or the new index whole. `recover` finishes an interrupted swap.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from grounding.errors import IndexNotFoundError, IndexStoreError
from grounding.retrieval.registry import MANIFEST
from grounding.schema import Chunk

__all__ = [
    "FORMAT_VERSION",
    "FileRecord",
    "IndexManifest",
    "read_chunks",
    "read_manifest",
    "recover",
    "replace_atomically",
    "write_chunks",
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


class IndexManifest(BaseModel):
    """Everything needed to read an index back and to refuse using it wrongly."""

    model_config = ConfigDict(extra="ignore")

    format_version: int = FORMAT_VERSION
    embedding_model: str
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


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def read_manifest(folder: Path, shown_as: str) -> IndexManifest:
    """The manifest of the index in `folder`; IndexNotFoundError naming the fix if absent."""
    recover(folder)
    path = folder / MANIFEST
    if not path.exists():
        raise IndexNotFoundError(
            f"no index {shown_as!r} (looked in {folder}); build it with "
            f"`grounding index build PATH... --name {shown_as}`"
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
    for attempt in range(3):  # another process may swap or recover the same index meanwhile
        if target.exists():
            os.replace(target, retired)
        try:
            os.replace(staging, target)
            break
        except OSError:
            if attempt == 2 or not target.exists():
                raise
            shutil.rmtree(retired, ignore_errors=True)
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
