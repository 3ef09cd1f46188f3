"""Each search API adapter against a loopback server speaking that API's wire format."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from grounding.core.http import RetryPolicy
from grounding.errors import ConfigError
from grounding.retrieval.web.passages import SUSPECT_TAG
from grounding.retrieval.web.registry import get_web_search, list_providers
from grounding.retrieval.web.search import WebSearch
from tests.web_server import GOOGLE_CSE_ID, KEYS, FixtureServer, Recorded, closed_port, serving

QUESTION = "When did the Quillmere tidal observatory open?"
PROVIDERS = ["searxng", "brave", "google", "tavily", "serper"]
CREDENTIALS = {
    "searxng": {},
    "brave": {"BRAVE_API_KEY": KEYS["brave"]},
    "google": {"GOOGLE_API_KEY": KEYS["google"], "GOOGLE_CSE_ID": GOOGLE_CSE_ID},
    "tavily": {"TAVILY_API_KEY": KEYS["tavily"]},
    "serper": {"SERPER_API_KEY": KEYS["serper"]},
}


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with serving() as running:
        yield running


def configure(monkeypatch: pytest.MonkeyPatch, base: str, name: str, mode: str = "") -> None:
    """Credentials in the environment and the provider's base URL pointed at `base`."""
    for variable, value in CREDENTIALS[name].items():
        monkeypatch.setenv(variable, value)
    prefix = f"{name}-{mode}" if mode else name
    monkeypatch.setenv(f"GROUNDING_{name.upper()}_URL", f"{base}/{prefix}")


def web_search(name: str, **options: object) -> WebSearch:
    """Trusts the server by its IP only: the fixture's redirect to `localhost` stays refused."""
    return get_web_search(name, allowed_hosts={"127.0.0.1"}, **options)  # type: ignore[arg-type]


def provider_requests(server: FixtureServer, name: str) -> list[Recorded]:
    return [r for r in server.requests if r.path.lstrip("/").split("/")[0].startswith(name)]


def test_every_provider_is_registered() -> None:
    assert list_providers() == sorted(PROVIDERS)


@pytest.mark.parametrize("name", PROVIDERS)
def test_provider_results_become_passages_of_the_fetched_pages(
    name: str, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, server.base, name)
    found = web_search(name).retrieve(QUESTION, k=5)

    assert found.queries == [QUESTION]
    by_uri = {hit.chunk.uri: hit for hit in found.hits}
    pages = {f"{server.base}/pages/{page}" for page in ("quillmere.html", "quillmere-history.html")}
    assert pages <= set(by_uri)
    assert all(hit.origin == "web" and hit.chunk.doc_id == hit.chunk.uri for hit in found.hits)
    clean = [hit.score for hit in found.hits if SUSPECT_TAG not in hit.chunk.tags]
    assert clean == sorted(clean, reverse=True)
    assert SUSPECT_TAG in found.hits[-1].chunk.tags  # the injection page comes last
    main = by_uri[f"{server.base}/pages/quillmere.html"]
    assert main.chunk.title == "Quillmere Tidal Observatory – Coastal Heritage Trust"
    assert "opened in 1911" in main.chunk.text  # the page's text, not the provider's snippet
    assert "snippet" not in main.chunk.tags and "We use cookies" not in main.chunk.text
    # the result that redirects to a private host is dropped whole and said so
    assert not any("official tickets" in hit.chunk.title for hit in found.hits)
    assert any("dropped web result" in w and "localhost" in w for w in found.warnings)
    assert "/pages/secret.html" not in server.paths()


def _last(server: FixtureServer, name: str) -> Recorded:
    return provider_requests(server, name)[-1]


@pytest.mark.parametrize("name", PROVIDERS)
def test_requests_use_the_providers_real_wire_format(
    name: str, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, server.base, name)
    web_search(name, fetch_pages=False).retrieve(QUESTION, k=3)
    sent = _last(server, name)
    headers = {key.lower(): value for key, value in sent.headers.items()}
    body = json.loads(sent.body) if sent.body else {}
    if name == "searxng":
        assert (sent.method, sent.path) == ("GET", "/searxng/search")
        assert sent.query["q"] == [QUESTION] and sent.query["format"] == ["json"]
    elif name == "brave":
        assert (sent.method, sent.path) == ("GET", "/brave/res/v1/web/search")
        assert headers["x-subscription-token"] == KEYS["brave"]
        assert sent.query["q"] == [QUESTION] and sent.query["count"] == ["3"]
    elif name == "google":
        assert (sent.method, sent.path) == ("GET", "/google/customsearch/v1")
        assert sent.query["key"] == [KEYS["google"]] and sent.query["cx"] == [GOOGLE_CSE_ID]
        assert sent.query["q"] == [QUESTION] and sent.query["num"] == ["3"]
    elif name == "tavily":
        assert (sent.method, sent.path) == ("POST", "/tavily/search")
        assert headers["authorization"] == f"Bearer {KEYS['tavily']}"
        assert body["query"] == QUESTION and body["max_results"] == 3
    else:
        assert (sent.method, sent.path) == ("POST", "/serper/search")
        assert headers["x-api-key"] == KEYS["serper"]
        assert body == {"q": QUESTION, "num": 3}


@pytest.mark.parametrize("name", PROVIDERS)
def test_without_fetching_the_snippets_are_the_passages(
    name: str, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, server.base, name)
    found = web_search(name, fetch_pages=False).retrieve(QUESTION, k=3)
    assert len(found.hits) == 3
    assert all("snippet" in hit.chunk.tags for hit in found.hits)
    assert all(
        "<b>" not in hit.chunk.text and "<strong>" not in hit.chunk.text for hit in found.hits
    )
    assert any("1911" in hit.chunk.text for hit in found.hits)


@pytest.mark.parametrize(
    ("name", "present", "missing"),
    [
        ("searxng", {}, "SEARXNG_URL"),
        ("brave", {}, "BRAVE_API_KEY"),
        ("google", {"GOOGLE_CSE_ID": GOOGLE_CSE_ID}, "GOOGLE_API_KEY"),
        ("google", {"GOOGLE_API_KEY": "k"}, "GOOGLE_CSE_ID"),
        ("tavily", {}, "TAVILY_API_KEY"),
        ("serper", {}, "SERPER_API_KEY"),
    ],
)
def test_missing_configuration_names_the_variable(
    name: str, present: dict[str, str], missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable, value in present.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=missing) as caught:
        get_web_search(name)
    assert "\n" not in str(caught.value)


def test_unknown_provider_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="brave, google, searxng, serper, tavily"):
        get_web_search("bing")


def test_base_url_must_be_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRAVE_API_KEY", "k")
    monkeypatch.setenv("GROUNDING_BRAVE_URL", "ftp://proxy.example/")
    with pytest.raises(ConfigError, match="GROUNDING_BRAVE_URL"):
        get_web_search("brave")


def test_base_url_may_be_given_as_the_full_endpoint(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, server.base, "brave")
    monkeypatch.setenv("GROUNDING_BRAVE_URL", f"{server.base}/brave/res/v1/web/search/")
    found = web_search("brave", fetch_pages=False).retrieve(QUESTION, k=2)
    assert len(found.hits) == 2 and not found.warnings


def test_searxng_reads_searxng_url_and_the_grounding_override_wins(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARXNG_URL", f"{server.base}/searxng")
    assert web_search("searxng").provider.endpoint == f"{server.base}/searxng/search"
    monkeypatch.setenv("GROUNDING_SEARXNG_URL", f"{server.base}/searxng-empty")
    assert web_search("searxng").provider.endpoint == f"{server.base}/searxng-empty/search"


FAULTS = {
    "500": "answered HTTP 500",
    "garbage": "invalid JSON",
    "wrongshape": "unexpected shape",
    "slow": "did not answer within 0.5 s",
    "ratelimited": "rate-limited the search (HTTP 429; retry after 3600 s)",
}


@pytest.mark.parametrize("mode", sorted(FAULTS))
@pytest.mark.parametrize("name", PROVIDERS)
def test_provider_faults_become_warnings(
    name: str, mode: str, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, server.base, name, mode)
    search = web_search(name, timeout=0.5, retry=RetryPolicy(retries=1, backoff=0.05))
    started = time.monotonic()
    found = search.retrieve(QUESTION)
    assert found.hits == [] and found.queries == [QUESTION]
    assert len(found.warnings) == 1 and FAULTS[mode] in found.warnings[0]
    assert time.monotonic() - started < 2.5  # an hour's Retry-After is not slept through


@pytest.mark.parametrize("name", PROVIDERS)
def test_429_is_retried_once_after_retry_after(
    name: str, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, server.base, name, "429")
    before = len(provider_requests(server, name))
    started = time.monotonic()
    found = web_search(name, retry=RetryPolicy(retries=1)).retrieve(QUESTION)
    assert time.monotonic() - started >= 0.95  # Retry-After: 1
    assert len(provider_requests(server, name)) - before == 2
    assert found.hits == [] and "HTTP 429" in found.warnings[0]


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_provider_that_is_down_gives_a_warning_without_leaking_the_key(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, f"http://127.0.0.1:{closed_port()}", name)
    found = web_search(name, timeout=1.0).retrieve(QUESTION)
    assert found.hits == [] and "cannot reach" in found.warnings[0]
    assert all(key not in found.warnings[0] for key in KEYS.values())


@pytest.mark.parametrize("name", ["brave", "google", "tavily", "serper"])
def test_a_rejected_key_says_which_variable_to_check(
    name: str, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, server.base, name)
    variable = next(v for v in CREDENTIALS[name] if v.endswith("_KEY"))
    monkeypatch.setenv(variable, "wrong-key-123")
    found = web_search(name).retrieve(QUESTION)
    assert found.hits == [] and variable in found.warnings[0]
    assert "wrong-key-123" not in found.warnings[0]


@pytest.mark.parametrize("name", PROVIDERS)
def test_no_results_is_not_a_fault(
    name: str, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, server.base, name, "empty")
    found = web_search(name).retrieve(QUESTION)
    assert found.hits == [] and found.warnings == [] and found.queries == [QUESTION]
