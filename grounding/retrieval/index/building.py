"""Bringing an index up to date with a set of files: embed only what changed."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grounding.core.progress import progress_bar
from grounding.errors import InputError
from grounding.retrieval.index.chunking import chunk_text
from grounding.retrieval.index.loaders import Document, SkippedFile, SourceFile, load_document, scan
from grounding.retrieval.index.staging import StagedEmbeddings
from grounding.retrieval.index.storage import FileRecord
from grounding.retrieval.index.textfiles import BinaryFileError, decode_text, read_file_bytes
from grounding.retrieval.stores.base import BuildReport
from grounding.schema import Chunk

if TYPE_CHECKING:
    from grounding.retrieval.stores.base import Index

__all__ = [
    "BuildReport",
    "UpdatePlan",
    "document_chunks",
    "finish_update",
    "load_files",
    "plan_update",
    "start_update",
    "update_from_files",
]


def document_chunks(
    document: Document, chunk_size: int, chunk_overlap: int
) -> tuple[FileRecord, list[Chunk]]:
    """A document's chunks and the record an index keeps of it (one stage, any store)."""
    chunks = chunk_text(
        document.text,
        document.doc_id,
        document.title,
        document.uri,
        document.tags,
        chunk_size,
        chunk_overlap,
        document.pages,
    )
    record = FileRecord(
        sha256=document.sha256,
        title=document.title,
        uri=document.uri,
        tags=document.tags,
        chunks=len(chunks),
    )
    return record, chunks


@dataclass(frozen=True)
class UpdatePlan:
    """What bringing an index up to date with some files takes: which files to load."""

    paths: tuple[str, ...]
    tags: tuple[str, ...]
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: tuple[str, ...]
    to_load: tuple[tuple[SourceFile, str], ...]  # (file, its sha256), in doc-id order
    skipped: tuple[SkippedFile, ...] = ()  # binary files and files of other types


def plan_update(index: Index, paths: Sequence[str | Path], tags: tuple[str, ...]) -> UpdatePlan:
    """Compare the files under `paths` with what `index` holds (by content hash).

    A new or changed file whose content is binary is skipped, with its reason;
    an earlier text version of it leaves the index.
    """
    sources, skipped = scan(paths)
    known = dict(index.files)
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    to_load: list[tuple[SourceFile, str]] = []
    for source in sources:
        data = read_file_bytes(source.path)  # a regular file, or a one-line InputError
        digest = hashlib.sha256(data).hexdigest()
        record = known.get(source.doc_id)
        if record is not None and record.sha256 == digest:
            unchanged.append(source.doc_id)
            continue
        if source.path.suffix.lower() != ".pdf":
            try:
                decode_text(data, source.doc_id)
            except BinaryFileError as exc:
                skipped.append(SkippedFile(source.doc_id, exc.reason))
                continue
        (changed if record is not None else added).append(source.doc_id)
        to_load.append((source, digest))
    seen = {source.doc_id for source in sources} - {skip.name for skip in skipped}
    removed = sorted(doc_id for doc_id in known if doc_id not in seen)
    return UpdatePlan(
        paths=tuple(str(path) for path in paths),
        tags=tags,
        added=tuple(added),
        changed=tuple(changed),
        removed=tuple(removed),
        unchanged=tuple(unchanged),
        to_load=tuple(to_load),
        skipped=tuple(sorted(skipped, key=lambda skip: skip.name)),
    )


def load_files(
    files: Sequence[tuple[SourceFile, str]],
    tags: tuple[str, ...],
    chunking: tuple[int, int],
    progress: bool | None = False,
) -> list[tuple[str, FileRecord, list[Chunk]]]:
    """Load and chunk files: each file's doc id, record and chunks.

    `chunking` is (chunk_size, chunk_overlap). These are the stages `add` runs on
    documents in-process; a Ray worker runs this on its share of the files.
    `progress` as for embedding (`grounding.core.progress.progress_bar`); none by default.
    """
    loaded: list[tuple[str, FileRecord, list[Chunk]]] = []
    chunks = 0

    def detail() -> str:  # read each time a progress line is written
        return f", {chunks:,} chunk{'' if chunks == 1 else 's'} so far"

    with progress_bar(len(files), "reading", "file", progress, detail) as bar:
        for source, digest in files:
            record, made = document_chunks(load_document(source, tags, digest), *chunking)
            loaded.append((source.doc_id, record, made))
            chunks += len(made)
            bar.update(1)
    return loaded


def start_update(index: Index, plan: UpdatePlan) -> None:
    """The cheap part of a plan: new tags on unchanged files, removed files dropped."""
    for doc_id in plan.unchanged:
        if index.files[doc_id].tags != plan.tags:
            index.retag(doc_id, plan.tags)
    index.remove(plan.removed)


def finish_update(index: Index, plan: UpdatePlan, embedded: int, reused: int = 0) -> BuildReport:
    """The report of an applied plan that embedded `embedded` chunks and reused `reused`.

    A file with no text (no chunks) is dropped from the index and reported as
    skipped, so the index's documents are exactly the files it lists.
    """
    empty = sorted(doc_id for doc_id, record in index.files.items() if not record.chunks)
    index.remove(empty)
    skipped = [*plan.skipped, *(SkippedFile(doc_id, "no text in it") for doc_id in empty)]
    if not len(index):
        why = "; ".join(f"{skip.name}: {skip.reason}" for skip in skipped[:5]) or "no files"
        more = f" (and {len(skipped) - 5} more)" if len(skipped) > 5 else ""
        raise InputError(f"no text to index in {', '.join(plan.paths)}: skipped {why}{more}")
    report = BuildReport(
        added=tuple(doc_id for doc_id in plan.added if doc_id not in empty),
        changed=tuple(doc_id for doc_id in plan.changed if doc_id not in empty),
        removed=plan.removed,
        unchanged=tuple(doc_id for doc_id in plan.unchanged if doc_id not in empty),
        embedded_chunks=embedded,
        total_chunks=len(index),
        reused_chunks=reused,
        skipped=tuple(sorted(skipped, key=lambda skip: skip.name)),
    )
    return report


def update_from_files(
    index: Index,
    paths: Sequence[str | Path],
    tags: tuple[str, ...] = (),
    progress: bool | None = None,
) -> BuildReport:
    """Make `index` hold exactly the files under `paths`; returns what that took.

    New vectors are staged beside the index as they are made (`staging`), so a
    build that is interrupted leaves them for the next one, which embeds only
    the rest. The build that saves removes them (`clear_staging`).
    """
    plan = plan_update(index, paths, tags)
    start_update(index, plan)
    settings = index.settings
    chunking = (settings.chunk_size, settings.chunk_overlap)
    loaded = load_files(plan.to_load, tags, chunking, progress)
    chunks = [chunk for _, _, file_chunks in loaded for chunk in file_chunks]
    stage = StagedEmbeddings(index.directory, settings.embedding_model, settings.embedding_backend)
    vectors = stage.vectors([chunk.text for chunk in chunks], progress, files=len(loaded))
    for doc_id, record, _ in loaded:
        index.remove([doc_id])  # an earlier version of a changed file
        index.files[doc_id] = record
    if chunks:
        index.add(chunks, progress=progress, vectors=vectors)
    return finish_update(index, plan, stage.embedded, stage.reused)
