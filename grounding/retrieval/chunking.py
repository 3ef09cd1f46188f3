"""Splitting documents into chunks that remember where they came from."""

from __future__ import annotations

import hashlib

from grounding.headings import sections_at
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
) -> list[Chunk]:
    """Chunks of `text` on paragraph, then sentence, then word boundaries.

    Each chunk keeps its character offsets: `text[chunk.start:chunk.end] == chunk.text`, and
    the headings of the document it starts under (`section`).
    """
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
    sections = sections_at(text, [start for start, _ in pieces])
    chunks: list[Chunk] = []
    for (start, piece), section in zip(pieces, sections, strict=True):
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
            )
        )
    return chunks


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
