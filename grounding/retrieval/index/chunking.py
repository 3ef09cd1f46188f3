"""Splitting documents into chunks that remember where they came from."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from grounding.core.headings import sections_at
from grounding.retrieval.index.pdf import page_of, page_sections
from grounding.schema import Chunk

__all__ = ["DEFAULT_CHUNK_OVERLAP", "DEFAULT_CHUNK_SIZE", "chunk_id", "chunk_text"]

# MiniLM reads 256 word pieces; ~800 characters of English stay under that.
DEFAULT_CHUNK_SIZE = 800
DEFAULT_CHUNK_OVERLAP = 120


def chunk_id(doc_id: str, start: int, text: str) -> str:
    """A stable id: the same text at the same place of the same document gets the same id."""
    digest = hashlib.sha1(f"{doc_id}\0{start}\0{text}".encode()).hexdigest()[:16]
    return digest


def chunk_text(
    text: str,
    doc_id: str,
    title: str = "",
    uri: str = "",
    tags: tuple[str, ...] = (),
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    chunk_overlap: int = DEFAULT_CHUNK_OVERLAP,
    pages: Sequence[int] = (),
) -> list[Chunk]:
    """Chunks of `text` on paragraph, then sentence, then word boundaries.

    Each chunk keeps its character offsets: `text[chunk.start:chunk.end] == chunk.text`, and
    the headings of the document it starts under (`section`). With `pages` (where each page
    of a PDF starts in `text`) no chunk crosses a page, each knows its 1-based `page`, and
    its section is a heading line of the pages (`grounding.retrieval.index.pdf`).
    """
    if pages:
        ends = [*pages[1:], len(text)]
        pieces = [(start + at, piece) for start, end in zip(pages, ends, strict=True)
                  for at, piece in _pieces(text[start:end], chunk_size, chunk_overlap)]  # fmt: skip
        offsets = [start for start, _ in pieces]
        sections = page_sections(text, pages, offsets)
        numbers: list[int | None] = [page_of(pages, start) for start in offsets]
    else:
        pieces = _pieces(text, chunk_size, chunk_overlap)
        sections = sections_at(text, [start for start, _ in pieces])
        numbers = [None] * len(pieces)
    chunks: list[Chunk] = []
    for (start, piece), section, page in zip(pieces, sections, numbers, strict=True):
        chunks.append(
            Chunk(
                id=chunk_id(doc_id, start, piece),
                doc_id=doc_id,
                title=title,
                uri=uri or doc_id,
                text=piece,
                start=start,
                end=start + len(piece),
                tags=tags,
                section=section,
                page=page,
            )
        )
    return chunks


def _pieces(text: str, chunk_size: int, chunk_overlap: int) -> list[tuple[int, str]]:
    """(offset, text) of each chunk of `text`."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter  # slow import: on use

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )
    pieces: list[tuple[int, str]] = []
    search_from = 0
    for document in splitter.create_documents([text]):
        piece = document.page_content
        start = _locate(text, piece, document.metadata.get("start_index", -1), search_from)
        search_from = start + 1
        pieces.append((start, piece))
    return pieces


def _locate(text: str, piece: str, hint: int, search_from: int) -> int:
    """The offset of `piece` in `text`; the splitter's hint when it is right."""
    if hint >= 0 and text.startswith(piece, hint):
        return hint
    found = text.find(piece, search_from)
    if found < 0:
        found = text.find(piece)
    if found < 0:  # cannot happen with strip-only splitting; fail loudly rather than mis-cite
        raise ValueError("chunk text not found in its document")
    return found
