"""Reading files into documents: plain text, Markdown, HTML and (optionally) PDF.

Each document keeps the text that was extracted from its file; chunk offsets
point into that text, and the file's content hash lets a rebuild skip files
that did not change.
"""

from __future__ import annotations

import errno
import hashlib
import html
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from grounding.core.text import one_line
from grounding.errors import InputError
from grounding.retrieval.index.pdf import read_pdf
from grounding.retrieval.index.textfiles import read_text_file

__all__ = [
    "SUFFIXES",
    "Document",
    "SkippedFile",
    "SourceFile",
    "discover",
    "file_hash",
    "load_document",
    "scan",
]

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_HEADING = re.compile(r"^\s{0,3}#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class SourceFile:
    """A file found under the paths given to `build`, with the id it gets in the index."""

    path: Path
    doc_id: str


@dataclass(frozen=True)
class SkippedFile:
    """A file a build left out, and why (binary, no text, a type it does not read)."""

    name: str
    reason: str


@dataclass(frozen=True)
class Document:
    """The extracted text of one file (or of anything else a caller adds)."""

    doc_id: str
    title: str
    uri: str
    text: str
    tags: tuple[str, ...] = ()
    sha256: str = ""
    pages: tuple[int, ...] = ()  # a PDF's: where each page starts in `text`


def file_hash(path: Path) -> str:
    """The SHA-256 of the file's bytes: what decides whether it must be embedded again."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def discover(paths: Sequence[str | Path]) -> list[SourceFile]:
    """Every loadable file under `paths`, sorted, each with a unique doc id (see `scan`)."""
    return scan(paths)[0]


def scan(paths: Sequence[str | Path]) -> tuple[list[SourceFile], list[SkippedFile]]:
    """Every loadable file under `paths`, sorted, each with a unique doc id; and the others.

    A file given directly is named by its file name; a file found in a folder
    by the folder's name and its path inside it (`notes/travel/rome.md`). Files
    of other types, FIFOs, devices, sockets, broken links, symlink loops and links
    to folders found in a folder come back as skipped with their reason, by the
    same naming; hidden files and folders (.git) are not looked at. A folder
    that cannot be read is an InputError, never a silent removal.
    """
    if not paths:
        raise InputError("no paths given: name at least one file or folder to index")
    found: dict[str, SourceFile] = {}
    skipped: list[SkippedFile] = []
    for raw in paths:
        for source in _expand(Path(raw)):
            if isinstance(source, SkippedFile):
                skipped.append(source)
                continue
            other = found.get(source.doc_id)
            if other is not None and other.path.resolve() != source.path.resolve():
                raise InputError(
                    f"two files would get the same id {source.doc_id!r}: {other.path} and "
                    f"{source.path}; index them under differently named folders"
                )
            found[source.doc_id] = source
    if not found:
        listed = ", ".join(str(path) for path in paths)
        raise InputError(f"no files to index in {listed}: expected {', '.join(SUFFIXES)} files")
    return [found[doc_id] for doc_id in sorted(found)], sorted(skipped, key=lambda s: s.name)


def _expand(path: Path) -> Iterator[SourceFile | SkippedFile]:
    kind = _kind(path)
    if kind == "missing":
        raise InputError(f"no such file or folder: {path}")
    if kind == "file":
        if path.suffix.lower() not in SUFFIXES:
            raise InputError(f"cannot index {path}: expected one of {', '.join(SUFFIXES)}")
        yield SourceFile(path, path.name)
        return
    if kind != "folder":
        raise InputError(f"cannot index {path}: it is {kind}, not a file or folder")
    name = path.resolve().name or "root"
    for child in _walk(path):
        relative = child.relative_to(path)
        doc_id = f"{name}/{relative.as_posix()}"
        kind = _kind(child)
        if kind == "folder":  # a link to one: followed, it could loop or leave the folder
            yield SkippedFile(doc_id, "a link to a folder (not followed)")
        elif kind != "file":
            yield SkippedFile(doc_id, f"not a regular file ({kind})")
        elif child.suffix.lower() in SUFFIXES:
            yield SourceFile(child, doc_id)
        else:
            yield SkippedFile(doc_id, f"not a type it reads ({child.suffix or 'no suffix'})")


def _walk(folder: Path) -> Iterator[Path]:
    """Everything under `folder` but folders, sorted; hidden entries (.git) are not looked at.

    Links to folders are not followed (they come back, to be listed as skipped). A folder
    that cannot be read is an InputError: skipping it would drop its documents silently.
    """
    try:
        with os.scandir(folder) as entries:
            children = sorted(
                (entry for entry in entries if not entry.name.startswith(".")),
                key=lambda entry: entry.name,
            )
    except OSError as exc:
        raise InputError(
            f"cannot read folder {folder}: {exc.strerror or exc}; the build stops rather "
            "than remove its documents from the index: fix its permissions"
        ) from exc
    for entry in children:
        child = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(child)
        else:
            yield child


def _kind(path: Path) -> str:
    """What is at `path` (links followed): file, folder, missing, or what else it is."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink loop"
        if path.is_symlink():
            return "a broken symlink"
        if exc.errno == errno.ENOENT:
            return "missing"
        return f"unreadable: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def load_document(source: SourceFile, tags: Iterable[str] = (), sha256: str = "") -> Document:
    """Read and extract one file; the title comes from the file when it has one."""
    path = source.path
    suffix = path.suffix.lower()
    pages: tuple[int, ...] = ()
    if suffix == ".pdf":
        pdf = read_pdf(path)
        title, text, pages = pdf.title, pdf.text, pdf.pages
    else:
        raw = read_text_file(path)
        if suffix in {".html", ".htm"}:
            title, text = _extract_html(raw)
        elif suffix in {".md", ".markdown"}:
            heading = _HEADING.search(raw)
            title, text = (heading.group(1) if heading else ""), raw
        else:
            title, text = "", raw
    stem = path.stem.replace("-", " ").replace("_", " ")
    return Document(
        doc_id=source.doc_id,
        title=one_line(title).strip() or one_line(stem).strip(),  # one printable line
        uri=path.resolve().as_uri(),
        text=text,
        tags=tuple(tags),
        sha256=sha256 or file_hash(path),
        pages=pages,
    )


_TERM_START = re.compile(r"<dt\b", re.IGNORECASE)
_TERM_END = re.compile(r"</dt\s*>\s*<dd\b[^>]*>\s*(?:<p\b[^>]*>)?", re.IGNORECASE)


def _extract_html(raw: str) -> tuple[str, str]:
    """The main text of a page (boilerplate removed by trafilatura) and its <title>."""
    import trafilatura

    # trafilatura drops definition-list terms (<dt>), where texinfo and Sphinx pages name
    # the function, type or option that the <dd> describes: each term leads its description
    # ("ffi_type_pointer: A generic void * pointer.")
    kept = _TERM_END.sub(": ", _TERM_START.sub("<p", raw))
    text = trafilatura.extract(kept, include_comments=False, include_tables=True) or ""
    text = re.sub(r"\s*¶\s*:", ":", text)  # permalink anchors after those terms
    match = re.search(r"<title[^>]*>(.*?)</title>", raw, re.IGNORECASE | re.DOTALL)
    title = re.sub(r"\s+", " ", match.group(1)) if match else ""
    return html.unescape(title), text
