"""Chunks keep exact character offsets into their document."""

from __future__ import annotations

import itertools

import pytest

from grounding.retrieval.index.chunking import chunk_id, chunk_text

PARAGRAPH = (
    "The Varnholt lighthouse was first lit in 1874. Its keeper, Anna Brask, kept a log "
    "of every ship that passed the head. "
)


def _document() -> str:
    parts = []
    for number in range(12):
        parts.append(f"## Part {number}\n\n" + PARAGRAPH * (number % 4 + 1))
    parts.append("Ünïcödé — ещё текст 🌊 and emoji at the end. " * 5)
    parts.append(PARAGRAPH)  # repeated text must not be located at its first occurrence
    return "\n\n".join(parts)


@pytest.mark.parametrize(("size", "overlap"), [(200, 0), (300, 60), (800, 120)])
def test_offsets_point_at_the_chunk_text(size: int, overlap: int) -> None:
    text = _document()
    chunks = chunk_text(text, "doc.md", chunk_size=size, chunk_overlap=overlap)
    assert len(chunks) > 3
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert len(chunk.text) <= size
    starts = [chunk.start for chunk in chunks]
    assert starts == sorted(starts)
    assert len(set(starts)) == len(starts)


def test_chunks_without_overlap_cover_the_document_in_order() -> None:
    text = _document()
    chunks = chunk_text(text, "doc.md", chunk_size=300, chunk_overlap=0)
    assert chunks[0].start == 0
    assert chunks[-1].end == len(text.rstrip())
    covered = " ".join(text[c.start : c.end] for c in chunks)
    assert covered.split() == text.split()
    for before, after in itertools.pairwise(chunks):
        assert not text[before.end : after.start].strip()  # nothing skipped, nothing repeated


def test_overlap_repeats_text_between_neighbours() -> None:
    text = PARAGRAPH * 10
    chunks = chunk_text(text, "d", chunk_size=200, chunk_overlap=80)
    assert any(b.start < a.end for a, b in itertools.pairwise(chunks))


def test_metadata_and_stable_ids() -> None:
    text = "One sentence here. Another one there.\n\nA new paragraph."
    first = chunk_text(text, "a.md", title="A", uri="file:///a.md", tags=("x",))
    again = chunk_text(text, "a.md", title="A", uri="file:///a.md", tags=("x",))
    assert [c.id for c in first] == [c.id for c in again]
    assert first[0].id == chunk_id("a.md", first[0].start, first[0].text)
    assert first[0].title == "A" and first[0].uri == "file:///a.md" and first[0].tags == ("x",)
    other = chunk_text(text, "b.md")
    assert other[0].id != first[0].id
    assert other[0].uri == "b.md"  # the doc id when no uri is given


def test_empty_text_gives_no_chunks() -> None:
    assert chunk_text("", "empty.txt") == []
    assert chunk_text("   \n\n  ", "blank.txt") == []


def test_a_chunk_knows_the_section_it_starts_in() -> None:
    news = (
        "* Noteworthy changes in release 1.12 (2022-04-07) [stable]\n\n"
        "** Bug fixes\n\n" + "  zgrep no longer mishandles file names with newlines. " * 12 + "\n\n"
        "* Noteworthy changes in release 1.11 (2021-09-03) [stable]\n\n"
        "  IBM Z platforms now support hardware-accelerated deflation.\n"
    )
    chunks = chunk_text(news, "NEWS", chunk_size=300, chunk_overlap=0)
    assert chunks[0].section == "Noteworthy changes in release 1.12 (2022-04-07) [stable]"
    inside = [c for c in chunks if c.text.startswith("zgrep") and c.start > 200]
    assert inside and inside[0].section.endswith("release 1.12 (2022-04-07) [stable] › Bug fixes")
    assert chunks[-1].section.startswith("Noteworthy changes in release 1.11")
    plain = chunk_text(PARAGRAPH * 3, "plain", chunk_size=100, chunk_overlap=0)
    assert plain and all(not c.section for c in plain)
