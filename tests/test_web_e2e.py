"""`grounding ask --web` end to end: the real CLI, the demo index, a loopback search server."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from grounding.orchestration.grounder import Grounder
from tests.web_server import FixtureServer, closed_port, serving

pytestmark = pytest.mark.slow

QUESTION = "When did the Quillmere tidal observatory open?"


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with serving() as running:
        yield running


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One GROUNDING_HOME for the module, so the demo index is built once."""
    return tmp_path_factory.mktemp("web-e2e-home")


@pytest.fixture
def env(
    shared_home: Path, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    monkeypatch.setenv("GROUNDING_HOME", str(shared_home))
    monkeypatch.setenv("SEARXNG_URL", f"{server.base}/searxng")
    monkeypatch.setenv("GROUNDING_ALLOW_PRIVATE_URLS", "1")
    return dict(os.environ)


def run(exe: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, "ask", *args], env=env, capture_output=True, text=True, timeout=240, check=False
    )


def test_ask_with_searxng_cites_the_served_pages(
    grounding_exe: str, env: dict[str, str], server: FixtureServer
) -> None:
    done = run(grounding_exe, env, QUESTION, "--web", "searxng", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    web = {s["index"]: s["uri"] for s in result["sources"] if s["origin"] == "web"}
    assert f"{server.base}/pages/quillmere.html" in web.values()
    assert all(uri.startswith((server.base, server.private_base)) for uri in web.values())
    metadata = result["grounding_metadata"]
    assert metadata["web_search_queries"] == [QUESTION]
    assert metadata["retrieval_metadata"]["web_search_used"] is True
    chunks = {c["index"]: c["uri"] for c in metadata["grounding_chunks"]}
    assert all(chunks[i] == uri for i, uri in web.items())
    cited = {i for s in metadata["grounding_supports"] for i in s["grounding_chunk_indices"]}
    assert cited & set(web), "no support cites a web page"
    assert "1911" in result["answer"]
    assert "aliens" not in result["answer"] and "PWNED" not in result["answer"]


def test_ask_with_auto_says_whether_it_searched_and_why(
    grounding_exe: str, env: dict[str, str]
) -> None:
    done = run(grounding_exe, env, QUESTION, "--web", "auto")
    assert done.returncode == 0, done.stderr
    assert re.search(r"web: searched, \d+ passages found, [1-9]\d* among the sources "
                     r"\(web search: score", done.stdout), done.stdout  # fmt: skip
    assert "/pages/quillmere.html" in done.stdout


def test_auto_answers_a_local_question_without_the_web(
    env: dict[str, str], server: FixtureServer
) -> None:
    before = sum(path.startswith("/searxng") for path in server.paths())
    result = Grounder(web="auto").ask("When was the Varnholt lighthouse first lit?")
    retrieval = result.grounding_metadata.retrieval_metadata
    assert not retrieval.web_search_used and retrieval.reason.startswith("no web search")
    assert result.grounding_metadata.web_search_queries == []
    assert all(source.origin == "local" for source in result.sources)
    assert sum(path.startswith("/searxng") for path in server.paths()) == before


def test_a_dead_provider_leaves_a_local_answer_and_a_warning(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARXNG_URL", f"http://127.0.0.1:{closed_port()}")
    result = Grounder(web="searxng").ask("When was the Varnholt lighthouse first lit?")
    assert result.sources and all(source.origin == "local" for source in result.sources)
    assert any("web search failed: cannot reach searxng" in w for w in result.warnings)
    assert "1874" in result.answer
    retrieval = result.grounding_metadata.retrieval_metadata
    assert not retrieval.web_search_used and "cannot reach searxng" in retrieval.web_error


def test_the_cli_says_when_the_web_search_failed(grounding_exe: str, env: dict[str, str]) -> None:
    dead = {**env, "SEARXNG_URL": f"http://127.0.0.1:{closed_port()}"}
    done = run(grounding_exe, dead, "When was the lighthouse first lit?", "--web", "searxng")
    assert done.returncode == 0, done.stderr
    assert "web: search FAILED (cannot reach searxng" in done.stdout
    assert "sources are local only" in done.stdout and "web: searched" not in done.stdout


def test_a_missing_key_is_a_one_line_error(grounding_exe: str, env: dict[str, str]) -> None:
    done = run(grounding_exe, env, QUESTION, "--web", "brave")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "BRAVE_API_KEY" in done.stderr


def test_serve_names_a_missing_web_key_before_it_opens_the_index(
    grounding_exe: str, env: dict[str, str]
) -> None:
    done = subprocess.run(
        [grounding_exe, "serve", "--web", "brave", "--index", "no-such-index", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert done.stderr.strip().count("\n") == 0 and "BRAVE_API_KEY" in done.stderr, done.stderr
