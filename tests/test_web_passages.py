"""Which parts of the fetched pages are embedded: short windows, chosen by BM25 across pages."""

from __future__ import annotations

import pytest

from grounding.core.text import sentence_spans
from grounding.retrieval.web import passages
from grounding.retrieval.web.passages import WINDOW_CHARS, WebDocument, select_passages

QUESTION = "When did the Quillmere tidal observatory open?"
FILLER = [
    "The harbour wall was rebuilt in stone after the winter gales.",
    "Fishing boats land their catch on the east quay each morning.",
    "A ferry crosses to the islands twice a day in summer.",
    "The market square holds a fair on the first Saturday of the month.",
    "Gulls nest on the cliffs north of the town.",
    "The old customs house now holds a small library.",
]


def _page(name: str, sentences: list[str]) -> WebDocument:
    return WebDocument(url=f"https://example.org/{name}", title=name, text=" ".join(sentences),
                       rank=0)  # fmt: skip


def _pages(documents: list[WebDocument]) -> list[list[tuple[object, list[str]]]]:
    return [
        [(chunk, passages._windows(chunk.text, WINDOW_CHARS)) for chunk in passages._chunks(d)]
        for d in documents
    ]


def test_windows_are_whole_sentences_within_the_limit_covering_the_text() -> None:
    text = " ".join(FILLER * 2)
    windows = passages._windows(text, 150)
    assert len(windows) > 1
    assert all(len(window) <= 150 for window in windows)
    sentences = [text[start:end] for start, end in sentence_spans(text)]
    in_windows = [window[a:b] for window in windows for a, b in sentence_spans(window)]
    assert in_windows == sentences
    long_sentence = "word " * 100 + "end."
    assert passages._windows(long_sentence, 150) == [long_sentence.strip()]


def test_each_page_keeps_its_best_window_and_the_rest_are_chosen_across_pages() -> None:
    answer = "The Quillmere tidal observatory would open to the public in 1911."
    rich = _page("rich", [answer, *FILLER, "The tidal observatory at Quillmere has a gauge.",
                          *FILLER, "Quillmere observatory tours start at noon."])  # fmt: skip
    plain = _page("plain", FILLER)  # no word of the question
    other = _page("other", [*FILLER[:3], "Quillmere lies on the north coast.", *FILLER[3:]])
    pages = _pages([rich, plain, other])
    one = passages._prefilter(QUESTION, pages, 1.0)
    assert [chunk.doc_id for chunk, _ in one] == [rich.url, plain.url, other.url]
    assert answer in one[0][1]
    assert "Quillmere" in one[2][1]

    more = passages._prefilter(QUESTION, pages, 2.0)  # up to 6: the extras go where words match
    assert set(one) < set(more) and len(more) <= 6
    assert sum(chunk.doc_id == plain.url for chunk, _ in more) == 1
    extras = [window for _, window in set(more) - set(one)]
    assert all("Quillmere" in window or "observatory" in window for window in extras)
    assert all(len(window) <= WINDOW_CHARS for _, window in more)


def test_the_hit_is_the_whole_chunk_its_best_window_came_from() -> None:
    answer = "The Quillmere tidal observatory would open to the public in 1911."
    page = _page("history", [*FILLER, answer])
    hits = select_passages(QUESTION, [page, _page("plain", FILLER)])
    assert hits[0].chunk.doc_id == page.url and answer in hits[0].chunk.text
    assert hits[0].chunk.text.startswith(FILLER[0])  # the chunk, not only the window
    assert len(hits) == 2 and hits[0].score > hits[1].score


@pytest.mark.parametrize("per_page", [0.0, 1.0, 2.0])
def test_every_page_gives_a_hit_whatever_the_budget(per_page: float) -> None:
    documents = [_page(f"p{i}", FILLER[i:] + FILLER[:i]) for i in range(4)]
    hits = select_passages(QUESTION, documents, candidates_per_page=per_page)
    assert sorted(hit.chunk.doc_id for hit in hits) == sorted(d.url for d in documents)
