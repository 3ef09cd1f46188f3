"""Bringing an index up to date with a set of files: embed only what changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from grounding.errors import InputError
from grounding.retrieval.loaders import discover, file_hash, load_document

if TYPE_CHECKING:
    from grounding.retrieval.index import LocalIndex

__all__ = ["BuildReport", "update_from_files"]


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


def update_from_files(
    index: LocalIndex,
    paths: Sequence[str | Path],
    tags: tuple[str, ...] = (),
    progress: bool | None = None,
) -> BuildReport:
    """Make `index` hold exactly the files under `paths`; the report goes to `index.last_build`."""
    sources = discover(paths)
    known = dict(index.files)
    added: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    documents = []
    for source in sources:
        digest = file_hash(source.path)
        record = known.get(source.doc_id)
        if record is not None and record.sha256 == digest:
            unchanged.append(source.doc_id)
            if record.tags != tags:
                index.retag(source.doc_id, tags)
            continue
        (changed if record is not None else added).append(source.doc_id)
        documents.append(load_document(source, tags, digest))
    seen = {source.doc_id for source in sources}
    removed = sorted(doc_id for doc_id in known if doc_id not in seen)
    index.remove(removed)
    index.add(documents, progress=progress)
    if not len(index):
        listed = ", ".join(str(path) for path in paths)
        raise InputError(f"no text found in {listed}: the files are empty")
    report = BuildReport(
        added=tuple(added),
        changed=tuple(changed),
        removed=tuple(removed),
        unchanged=tuple(unchanged),
        embedded_chunks=index.last_embedded,
        total_chunks=len(index),
    )
    index.last_build = report
    return report
