"""PDF text by page: running headers and footers removed, and each page's headings.

A PDF's text is its pages' text joined by blank lines; `PdfText.pages` holds where each
page starts in it, so a chunk knows its page (`Chunk.page`, 1-based as a viewer counts).
Lines that repeat at the top or bottom of most pages ("SQLite Manual  12", "Page 3 of
40") are running headers and footers, not content: they are dropped before chunking, so no
answer quotes them. A page's headings are short title lines that stand alone between
sentences (`grounding.core.headings.title_line`); `page_sections` gives a chunk the last one
above it (a heading of its page when the page has one above the chunk, else the section it
continues from an earlier page).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grounding.core.headings import NUMBER_PREFIX, title_line
from grounding.errors import InputError

__all__ = ["PdfText", "drop_running_lines", "page_headings", "page_of", "page_sections", "read_pdf"]

EDGE_LINES = 2  # lines at the top and at the bottom of a page where running lines sit


@dataclass(frozen=True)
class PdfText:
    """A PDF's title, its text, and where each page starts in that text."""

    title: str
    text: str
    pages: tuple[int, ...]  # pages[i]: the offset where page i + 1 starts


def read_pdf(path: Path) -> PdfText:
    """The text of every page of `path`, running headers and footers removed."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:
        raise InputError(
            f"cannot index {path}: PDF support needs pypdf: pip install 'grounding[pdf]'"
        ) from exc
    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
        title = str(reader.metadata.title or "") if reader.metadata else ""
    except (PdfReadError, OSError, ValueError) as exc:
        raise InputError(f"cannot read PDF {path}: {exc}") from exc
    return join_pages(title, drop_running_lines(pages))


def join_pages(title: str, pages: Sequence[str]) -> PdfText:
    """One text of `pages` (stripped, joined by blank lines) and where each starts."""
    starts, parts, offset = [], [], 0
    for page in pages:
        text = page.strip()
        starts.append(offset)
        parts.append(text)
        offset += len(text) + 2
    return PdfText(title, "\n\n".join(parts), tuple(starts))


def _key(line: str) -> str:
    """A line with its numbers blanked: "Page 3 of 40" and "Page 4 of 40" are one line."""
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


def _edges(lines: list[str]) -> list[int]:
    """The positions of a page's first and last non-empty lines, where running lines sit."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return sorted(set(filled[:EDGE_LINES] + filled[-EDGE_LINES:]))


def drop_running_lines(pages: Sequence[str]) -> list[str]:
    """`pages` without the lines that repeat at the top or bottom of most of them.

    A line counts as running when, numbers aside, it sits at a page's edge on at least
    three pages and on half of them: a title, chapter or page-number line, not content.
    """
    split = [page.split("\n") for page in pages]
    seen: Counter[str] = Counter()
    for lines in split:
        seen.update({_key(lines[i]) for i in _edges(lines)})
    needed = max(3, (len(pages) + 1) // 2)
    running = {key for key, count in seen.items() if count >= needed and key.strip()}
    if not running:
        return list(pages)
    kept = []
    for lines in split:
        edges = set(_edges(lines))
        shown = [
            line for i, line in enumerate(lines) if i not in edges or _key(line) not in running
        ]
        kept.append("\n".join(shown))
    return kept


def page_headings(text: str) -> list[tuple[int, str]]:
    """(offset, heading) of each heading line of one page's text, in order."""
    found, offset, previous = [], 0, ""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        if title_line(line, previous, following):
            found.append((offset, " ".join(NUMBER_PREFIX.sub("", line.strip()).split())))
        previous = line
        offset += len(line) + 1
    return found


def page_sections(text: str, pages: Sequence[int], offsets: Sequence[int]) -> list[str]:
    """For each offset, the last heading at or above it: its page's, else an earlier page's."""
    ends = [*pages[1:], len(text) + 2]
    headings = [(start + at, heading) for start, end in zip(pages, ends, strict=True)
                for at, heading in page_headings(text[start : end - 2])]  # fmt: skip
    starts = [at for at, _ in headings]
    found = []
    for offset in offsets:
        position = bisect.bisect_right(starts, offset)
        found.append(headings[position - 1][1] if position else "")
    return found


def page_of(pages: Sequence[int], offset: int) -> int:
    """The 1-based page that holds `offset`, given where each page starts."""
    return max(1, bisect.bisect_right(pages, offset))
