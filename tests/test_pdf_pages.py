"""PDF citations a user can follow: each source knows its page, and its section is a real
heading of the PDF, not a running header or an example line from another page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grounding.core.headings import title_line
from grounding.retrieval.index.chunking import chunk_text
from grounding.retrieval.index.loaders import SourceFile, load_document
from grounding.retrieval.index.pdf import drop_running_lines
from tests.index_docs import multipage_pdf

GUIDE = [
    ["Harbour Guide 2026", "Ferries",
     "The Ostrey ferry leaves Dunmore harbour twice a day, at 7:15 and 16:40.",
     "Tickets are sold on board.", "Harbour Guide 2026 - page 1"],
    ["Harbour Guide 2026", "Example files", "50:text/x-diff:*.diff",
     "The harbour office keeps a diff of every timetable change.", "Harbour Guide 2026 - page 2"],
    ["Harbour Guide 2026", "The Lighthouse",
     "The Varnholt lighthouse was first lit in 1874.",
     "Its first keeper was Anna Brask, who kept the lamp for thirty years.",
     "Harbour Guide 2026 - page 3"],
    ["Harbour Guide 2026", "Fishing", "The fish market opens at dawn on weekdays.",
     "Harbour Guide 2026 - page 4"],
]  # fmt: skip


def _guide(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "guide.pdf"
    path.write_bytes(multipage_pdf(GUIDE))
    return path


def test_pages_and_headings_without_running_lines(tmp_path: Path) -> None:
    document = load_document(SourceFile(_guide(tmp_path), "guide.pdf"))
    assert len(document.pages) == 4
    assert "Harbour Guide 2026" not in document.text  # the running header and footer
    assert "first lit in 1874" in document.text
    chunks = chunk_text(document.text, document.doc_id, pages=document.pages, chunk_size=120)
    by_page = {chunk.page: chunk for chunk in chunks}
    assert sorted(by_page) == [1, 2, 3, 4]  # no chunk crosses a page
    assert by_page[3].section == "The Lighthouse" and "1874" in by_page[3].text
    assert by_page[2].section == "Example files"
    assert all(not chunk.section.startswith("50:") for chunk in chunks)
    for chunk in chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text


def test_what_counts_as_a_heading() -> None:
    assert title_line("2.3 Installing the package", "The end of a paragraph.")
    assert title_line("Foreign Key Constraints", "")
    assert not title_line("50:text/x-diff:*.diff", "")  # an example line
    assert not title_line("The ferry leaves twice a day and", "", "returns at night.")
    assert not title_line("Tickets are sold on board.", "")
    assert not title_line("Returns the value", "and the rest of a sentence runs on")


def test_page_numbers_repeat_as_running_lines_too() -> None:
    pages = [f"Chapter text {n}.\nBody line {n} of the page.\n{n}" for n in range(1, 6)]
    kept = drop_running_lines(pages)
    assert all(not page.rstrip().endswith(str(n)) for n, page in enumerate(kept, start=1))
    assert drop_running_lines(["one page\n1"]) == ["one page\n1"]  # too few pages to tell


@pytest.mark.slow
def test_an_answer_from_a_pdf_cites_its_page(tmp_path: Path) -> None:
    from grounding.cli.ask import render_answer
    from grounding.orchestration.grounder import Grounder
    from grounding.retrieval.index.local import LocalIndex

    _guide(tmp_path / "docs")
    index = LocalIndex.build([tmp_path / "docs"], tmp_path / "index", progress=False)
    assert index.search("When was the Varnholt lighthouse first lit?", k=1)[0].chunk.page == 3
    result = Grounder(index=index).ask("When was the Varnholt lighthouse first lit?")
    assert result.answered and "1874" in result.answer
    cited = {i for s in result.grounding_metadata.grounding_supports
             for i in s.grounding_chunk_indices}  # fmt: skip
    pages = {source.page for source in result.sources if source.index in cited}
    assert pages == {3}
    dumped = json.loads(result.model_dump_json())
    first = next(s for s in dumped["sources"] if s["index"] in cited)
    assert first["page"] == 3 and first["section"] == "The Lighthouse"
    shown = render_answer(result)
    assert "guide, page 3 (local: file://" in shown
