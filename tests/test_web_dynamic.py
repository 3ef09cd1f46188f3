"""Dynamic retrieval (`--web auto`) and the fusion of web hits with local hits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from grounding.errors import ConfigError
from grounding.orchestration.grounder import Grounder
from grounding.retrieval.base import Retrieved, Retriever
from grounding.retrieval.index.chunking import chunk_text
from grounding.retrieval.web.augment import LocalAndWeb, open_web
from grounding.retrieval.web.dynamic import DEFAULT_WEB_THRESHOLD, freshness, needs_web
from grounding.retrieval.web.registry import get_web_search
from grounding.retrieval.web.search import WebSearch
from grounding.schema import SearchHit
from tests.web_server import FixtureServer, closed_port, serving

QUESTION = "When did the Quillmere tidal observatory open?"
ON_TOPIC = (
    "The Quillmere Tidal Observatory opened in 1911 on the northern breakwater of the port of "
    "Quillmere. It was designed by the hydrographer Hedda Marsk."
)
OFF_TOPIC = "Tomatoes are planted in May after the last frost; the allotment gate has a padlock."


def local(text: str, name: str = "note") -> SearchHit:
    chunk = chunk_text(text, doc_id=f"{name}.md", title=name, uri=f"file:///notes/{name}.md")[0]
    return SearchHit(chunk=chunk, score=0.5, origin="local", retriever="test")


class Fixed(Retriever):
    """A local retriever that finds the same hits for every query."""

    name = "fixed"

    def __init__(self, hits: list[SearchHit]) -> None:
        self.hits = hits

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        return self.hits[:k]


def fused(web: str, hits: list[SearchHit], k: int = 5) -> Retrieved:
    """What local (`hits`) + web (`web`: a provider name or auto) retrieve for QUESTION."""
    both = open_web(web)(Fixed(hits))
    assert isinstance(both, LocalAndWeb) and isinstance(both, Retriever)
    return both.retrieve(QUESTION, k=k)


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with serving() as running:
        yield running


@pytest.fixture
def searxng(server: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> FixtureServer:
    monkeypatch.setenv("SEARXNG_URL", f"{server.base}/searxng")
    monkeypatch.setenv("GROUNDING_ALLOW_PRIVATE_URLS", "1")
    return server


def provider_calls(server: FixtureServer) -> int:
    return sum(path.startswith("/searxng") for path in server.paths())


def test_no_local_hits_means_the_web_is_needed() -> None:
    score, reason = needs_web(QUESTION, [], DEFAULT_WEB_THRESHOLD)
    assert score == 1.0 and reason.startswith("web search") and "no local source" in reason


def test_a_local_hit_that_answers_means_no_web() -> None:
    score, reason = needs_web(QUESTION, [local(OFF_TOPIC, "garden"), local(ON_TOPIC)])
    assert score < DEFAULT_WEB_THRESHOLD
    assert reason.startswith("no web search") and "(strong)" in reason


def test_only_unrelated_local_hits_mean_the_web_is_needed() -> None:
    score, reason = needs_web(QUESTION, [local(OFF_TOPIC, "garden")])
    assert score >= DEFAULT_WEB_THRESHOLD and "similarity" in reason


def test_time_sensitive_questions_need_the_web_even_when_covered() -> None:
    question = "What is the latest news about the Quillmere tidal observatory?"
    score, reason = needs_web(question, [local(ON_TOPIC)])
    assert score >= DEFAULT_WEB_THRESHOLD and "'latest'" in reason


def test_the_threshold_decides_and_is_reported() -> None:
    score, reason = needs_web(QUESTION, [local(OFF_TOPIC)], threshold=1.0)
    assert 0.0 <= score <= 1.0
    assert ("threshold 1.00" in reason) and (reason.startswith("web") == (score >= 1.0))


def test_freshness_cues() -> None:
    now = datetime(2024, 6, 1, tzinfo=UTC)
    assert freshness("Who won the election in 2024?", now)[0] == 0.8
    assert freshness("What happened in 2023?", now)[0] == 0.8
    assert freshness("What happened in 1911?", now) == (0.0, "")
    assert freshness("What is the current price?", now)[0] == 0.6
    assert freshness("Who designed the observatory?", now) == (0.0, "")


def test_named_provider_always_searches_and_fuses(searxng: FixtureServer) -> None:
    found = fused("searxng", [local(ON_TOPIC), local(OFF_TOPIC, "garden")], k=4)
    origins = [hit.origin for hit in found.hits]
    assert origins[:2] == ["local", "web"] and len(found.hits) == 4  # interleaved by RRF
    assert found.queries == [QUESTION]
    assert found.retrieval.web_search_used and found.retrieval.dynamic_retrieval_score is None
    assert "searxng" in found.retrieval.reason


def test_auto_skips_the_web_when_local_sources_answer(searxng: FixtureServer) -> None:
    before = provider_calls(searxng)
    found = fused("auto", [local(ON_TOPIC)])
    assert provider_calls(searxng) == before
    assert [hit.origin for hit in found.hits] == ["local"] and found.queries == []
    assert not found.retrieval.web_search_used
    assert found.retrieval.dynamic_retrieval_score is not None
    assert found.retrieval.dynamic_retrieval_score < DEFAULT_WEB_THRESHOLD


def test_auto_searches_when_local_sources_do_not_answer(searxng: FixtureServer) -> None:
    before = provider_calls(searxng)
    found = fused("auto", [local(OFF_TOPIC, "garden")])
    assert provider_calls(searxng) == before + 1
    assert found.retrieval.web_search_used and "web" in [hit.origin for hit in found.hits]
    assert (found.retrieval.dynamic_retrieval_score or 0) >= DEFAULT_WEB_THRESHOLD
    assert found.retrieval.reason.startswith("web search: score")


def test_auto_threshold_from_the_environment(
    searxng: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROUNDING_WEB_THRESHOLD", "0")
    found = fused("auto", [local(ON_TOPIC)])
    assert found.retrieval.web_search_used
    monkeypatch.setenv("GROUNDING_WEB_THRESHOLD", "high")
    with pytest.raises(ConfigError, match="GROUNDING_WEB_THRESHOLD"):
        open_web("auto")


def test_auto_names_its_provider_or_says_how_to_choose_one(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="GROUNDING_WEB_PROVIDER"):
        open_web("auto")
    monkeypatch.setenv("GROUNDING_SEARXNG_URL", f"{server.base}/searxng")
    web = open_web("auto:searxng")(Fixed([])).web
    assert isinstance(web, WebSearch) and web.provider.name == "searxng"
    monkeypatch.setenv("GROUNDING_WEB_PROVIDER", "brave")
    with pytest.raises(ConfigError, match="BRAVE_API_KEY"):
        open_web("auto")


def test_a_provider_that_is_down_leaves_the_local_hits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEARXNG_URL", f"http://127.0.0.1:{closed_port()}")
    hits = [local(ON_TOPIC), local(OFF_TOPIC, "garden")]
    found = fused("searxng", hits)
    assert [hit.chunk.id for hit in found.hits] == [hit.chunk.id for hit in hits]
    assert len(found.warnings) == 1 and "cannot reach searxng" in found.warnings[0]


def test_a_web_passage_that_repeats_a_local_one_is_removed(searxng: FixtureServer) -> None:
    web = get_web_search("searxng").search(QUESTION, k=5)
    copy = local(web[0].chunk.text, "copy")  # the same words under another id
    found = fused("searxng", [copy])
    texts = [hit.chunk.text for hit in found.hits]
    assert texts.count(web[0].chunk.text) == 1
    assert found.hits[0].chunk.id == copy.chunk.id


def test_the_grounder_holds_one_retriever_local_and_web(searxng: FixtureServer) -> None:
    grounder = Grounder(index=Fixed([local(OFF_TOPIC, "garden")]), web="searxng",
                        decoder="extractive", scorer="overlap")  # fmt: skip
    assert isinstance(grounder.retriever, LocalAndWeb)
    assert grounder.retriever.local.name == "fixed"
    assert grounder.retriever.name == "fixed+web:searxng"
    answer = grounder.ask(QUESTION)
    assert answer.grounding_metadata.web_search_queries == [QUESTION]
    assert answer.grounding_metadata.retrieval_metadata.web_search_used
    assert {source.origin for source in answer.sources} == {"local", "web"}
