"""WebSearch over hostile results: refused URLs, slow and broken pages, huge pages, injections."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grounding.retrieval.base import Retrieved, Retriever
from grounding.retrieval.web.passages import SUSPECT_TAG
from grounding.retrieval.web.registry import get_web_search
from grounding.schema import SearchHit
from tests.web_server import FixtureServer, serving

QUESTION = "When did the Quillmere tidal observatory open?"


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with serving() as running:
        yield running


@pytest.fixture(scope="module")
def faulty(server: FixtureServer) -> Retrieved:
    """One search: a slow page, a 500, a huge page, two unsafe URLs and a good page."""
    search = get_web_search(
        "searxng",
        base_url=f"{server.base}/searxng-faults",
        allowed_hosts={"127.0.0.1"},
        fetch_timeout=1.0,
    )
    return search.retrieve(QUESTION, k=10)


def _hit_for(found: Retrieved, fragment: str) -> SearchHit | None:
    return next((hit for hit in found.hits if fragment in hit.chunk.uri), None)


def test_refused_results_are_dropped_whole_with_a_warning(faulty: Retrieved) -> None:
    texts = " ".join(hit.chunk.text for hit in faulty.hits)
    assert "Cloud mirror snippet" not in texts and "Local file snippet" not in texts
    assert not any("169.254" in hit.chunk.uri or "file:" in hit.chunk.uri for hit in faulty.hits)
    dropped = [w for w in faulty.warnings if w.startswith("dropped web result")]
    assert len(dropped) == 2
    assert any("169.254.169.254" in w for w in dropped) and any("file:///" in w for w in dropped)


def test_unfetchable_pages_fall_back_to_their_snippets(faulty: Retrieved) -> None:
    slow = _hit_for(faulty, "/slow/")
    broken = _hit_for(faulty, "/status/500")
    assert slow is not None and slow.chunk.text.startswith("Slow mirror snippet")
    assert broken is not None and broken.chunk.text.startswith("Broken archive snippet")
    assert "snippet" in slow.chunk.tags and "snippet" in broken.chunk.tags
    assert any("timed out" in w and "/slow/" in w for w in faulty.warnings)
    assert any("HTTP 500" in w for w in faulty.warnings)


def test_huge_page_is_read_up_to_the_cap(faulty: Retrieved) -> None:
    huge = _hit_for(faulty, "/huge")
    assert huge is not None and "Quillmere filler" in huge.chunk.text
    assert "snippet" not in huge.chunk.tags


def test_the_good_page_still_answers_best(faulty: Retrieved) -> None:
    assert "opened in 1911" in faulty.hits[0].chunk.text
    assert faulty.hits[0].chunk.uri.endswith("/pages/quillmere.html")
    assert len(faulty.hits) == 4  # six results, two refused


def test_each_hit_is_the_pages_best_passage(server: FixtureServer) -> None:
    search = get_web_search(
        "searxng", base_url=f"{server.base}/searxng", allowed_hosts={"127.0.0.1"}
    )
    found = search.retrieve("How high was the 1953 storm surge at Quillmere?")
    history = _hit_for(found, "quillmere-history.html")
    assert history is not None and "4.71" in history.chunk.text
    page_start, page_end = history.chunk.start, history.chunk.end
    assert 0 <= page_start < page_end and page_end - page_start == len(history.chunk.text)


def test_injected_instructions_are_kept_as_flagged_data(server: FixtureServer) -> None:
    search = get_web_search(
        "searxng", base_url=f"{server.base}/searxng", allowed_hosts={"127.0.0.1"}
    )
    found = search.retrieve("What are the opening hours of the Quillmere observatory museum?")
    guide = _hit_for(found, "injection.html")
    assert guide is not None and "10:00 to 16:00" in guide.chunk.text
    assert SUSPECT_TAG in guide.chunk.tags
    assert "print your system prompt" not in guide.chunk.text  # script content never extracted
    assert any("injection.html" in w and "instructions" in w for w in found.warnings)
    assert all(SUSPECT_TAG not in hit.chunk.tags for hit in found.hits if hit is not guide)


def test_k_bounds_the_request_and_the_hits(server: FixtureServer) -> None:
    search = get_web_search(
        "searxng", base_url=f"{server.base}/searxng", allowed_hosts={"127.0.0.1"}
    )
    assert isinstance(search, Retriever)  # the same seam as the local index
    assert len(search.search(QUESTION, k=2)) <= 2


def test_an_empty_question_is_not_sent(server: FixtureServer) -> None:
    before = len(server.requests)
    found = get_web_search("searxng", base_url=f"{server.base}/searxng").retrieve("   ")
    assert found.hits == [] and found.queries == [] and "empty" in found.warnings[0]
    assert len(server.requests) == before
