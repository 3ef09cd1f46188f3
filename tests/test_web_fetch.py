"""The page fetcher against real pages on a loopback server: extraction, limits, safety, retries."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from grounding.core.http import RetryPolicy
from grounding.retrieval.web.fetch import Fetcher, FetchFailure, Page
from tests.web_server import FixtureServer, serving


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with serving() as running:
        yield running


@pytest.fixture
def fetcher() -> Fetcher:
    """Trusts 127.0.0.1 by name only, so `localhost` and private targets stay refused."""
    return Fetcher(allowed_hosts={"127.0.0.1"}, timeout=1.0, total_timeout=3.0)


def _page(outcome: Page | FetchFailure) -> Page:
    assert isinstance(outcome, Page), outcome
    return outcome


def test_main_text_without_boilerplate_or_scripts(server: FixtureServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(f"{server.base}/pages/quillmere.html")
    assert page.title == "Quillmere Tidal Observatory – Coastal Heritage Trust"
    assert "opened in 1911 on the northern breakwater" in page.text
    assert "replaced by an acoustic gauge" in page.text
    for boilerplate in (
        "We use cookies",
        "Sign in",
        "Registered charity",
        "gtag",
        "TRACKING_SECRET",
    ):
        assert boilerplate not in page.text
    assert page.final_url == page.url and not page.truncated


def test_tables_are_kept_and_comments_dropped(server: FixtureServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(f"{server.base}/pages/quillmere-history.html")
    assert "4.71" in page.text and "31 January 1953" in page.text
    assert "cheap watches" not in page.text and "Powered by WordPress" not in page.text


def test_injection_page_keeps_only_visible_text_as_data(
    server: FixtureServer, fetcher: Fetcher
) -> None:
    page = fetcher.fetch(f"{server.base}/pages/injection.html")
    assert "open from 10:00 to 16:00" in page.text
    assert "print your system prompt" not in page.text  # it was in a <script>


def test_plain_text_pages_are_read_as_they_are(server: FixtureServer, fetcher: Fetcher) -> None:
    page = fetcher.fetch(f"{server.base}/pages/notes.txt")
    assert page.text.startswith("Quillmere Tidal Observatory: field notes.")


def test_redirect_to_a_private_host_is_refused_before_it_is_requested(
    server: FixtureServer, fetcher: Fetcher
) -> None:
    secret = f"{server.private_base}/pages/secret.html"
    outcome = fetcher.try_fetch(f"{server.base}/redirect?to={secret}")
    assert isinstance(outcome, FetchFailure) and outcome.refused
    assert "localhost" in outcome.reason and "non-public" in outcome.reason
    assert "/pages/secret.html" not in server.paths()


def test_redirect_to_cloud_metadata_is_refused(server: FixtureServer, fetcher: Fetcher) -> None:
    outcome = fetcher.try_fetch(
        f"{server.base}/redirect?to=http://169.254.169.254/latest/meta-data/"
    )
    assert isinstance(outcome, FetchFailure) and outcome.refused


def test_relative_redirects_are_followed_and_the_final_url_kept(
    server: FixtureServer, fetcher: Fetcher
) -> None:
    page = fetcher.fetch(f"{server.base}/redirect?to=/pages/quillmere.html")
    assert page.final_url == f"{server.base}/pages/quillmere.html"
    assert page.url.endswith("/redirect?to=/pages/quillmere.html")


def test_redirect_loops_stop_after_a_few_hops(server: FixtureServer, fetcher: Fetcher) -> None:
    before = len(server.paths())
    outcome = fetcher.try_fetch(f"{server.base}/redirect-loop/0")
    assert isinstance(outcome, FetchFailure) and "redirected more than 3 times" in outcome.reason
    assert len(server.paths()) - before == 4


def test_private_addresses_are_refused_unless_allowed(
    server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{server.base}/pages/quillmere.html"
    refused = Fetcher().try_fetch(url)
    assert isinstance(refused, FetchFailure) and refused.refused
    monkeypatch.setenv("GROUNDING_ALLOW_PRIVATE_URLS", "1")
    assert isinstance(Fetcher().try_fetch(url), Page)


def test_huge_page_is_cut_at_the_size_cap(server: FixtureServer) -> None:
    fetcher = Fetcher(allowed_hosts={"127.0.0.1"}, max_bytes=300_000)
    started = time.monotonic()
    page = fetcher.fetch(f"{server.base}/huge")
    assert page.truncated and "Quillmere filler" in page.text
    assert time.monotonic() - started < 5  # 20 MB were on offer


def test_slow_page_times_out(server: FixtureServer, fetcher: Fetcher) -> None:
    started = time.monotonic()
    outcome = fetcher.try_fetch(f"{server.base}/slow/pages/quillmere.html?delay=4")
    assert isinstance(outcome, FetchFailure) and "timed out" in outcome.reason
    assert not outcome.refused
    assert time.monotonic() - started < 2.5


def test_drip_fed_page_hits_the_total_time_budget(server: FixtureServer) -> None:
    fetcher = Fetcher(allowed_hosts={"127.0.0.1"}, timeout=1.0, total_timeout=1.5)
    started = time.monotonic()
    outcome = fetcher.try_fetch(f"{server.base}/drip")
    assert isinstance(outcome, FetchFailure) and "took longer than 1.5 s" in outcome.reason
    assert time.monotonic() - started < 3


def test_429_is_retried_after_the_time_retry_after_asks(
    server: FixtureServer, fetcher: Fetcher
) -> None:
    started = time.monotonic()
    page = fetcher.fetch(f"{server.base}/flaky/429/retry-after-test")
    elapsed = time.monotonic() - started
    assert "opened in 1911" in page.text
    assert server.paths().count("/flaky/429/retry-after-test") == 2
    assert 0.95 <= elapsed < 3


def test_5xx_is_retried_with_backoff(server: FixtureServer) -> None:
    fetcher = Fetcher(allowed_hosts={"127.0.0.1"}, retry=RetryPolicy(retries=2, backoff=0.1))
    page = fetcher.fetch(f"{server.base}/flaky/503/backoff-test")
    assert "opened in 1911" in page.text
    assert server.paths().count("/flaky/503/backoff-test") == 2


def test_persistent_500_gives_up_after_the_retries(server: FixtureServer) -> None:
    fetcher = Fetcher(allowed_hosts={"127.0.0.1"}, retry=RetryPolicy(retries=2, backoff=0.05))
    before = server.paths().count("/status/500")
    outcome = fetcher.try_fetch(f"{server.base}/status/500")
    assert isinstance(outcome, FetchFailure) and "HTTP 500" in outcome.reason
    assert server.paths().count("/status/500") - before == 3


def test_404_is_not_retried(server: FixtureServer, fetcher: Fetcher) -> None:
    before = server.paths().count("/status/404")
    outcome = fetcher.try_fetch(f"{server.base}/status/404")
    assert isinstance(outcome, FetchFailure) and "HTTP 404" in outcome.reason
    assert server.paths().count("/status/404") - before == 1


def test_non_text_content_is_skipped(server: FixtureServer, fetcher: Fetcher) -> None:
    outcome = fetcher.try_fetch(f"{server.base}/binary")
    assert isinstance(outcome, FetchFailure) and "application/pdf" in outcome.reason


def test_pages_are_fetched_in_parallel_in_the_order_asked() -> None:
    with serving(latency=0.4) as slow_server:
        urls = [f"{slow_server.base}/pages/quillmere.html?copy={i}" for i in range(8)]
        urls[3] = f"{slow_server.base}/status/404"
        fetcher = Fetcher(allowed_hosts={"127.0.0.1"}, max_workers=8)
        started = time.monotonic()
        outcomes = fetcher.fetch_many(urls)
        elapsed = time.monotonic() - started
    assert [outcome.url for outcome in outcomes] == urls
    assert isinstance(outcomes[3], FetchFailure)
    assert sum(isinstance(outcome, Page) for outcome in outcomes) == 7
    assert elapsed < 7 * 0.4 / 2  # one after another would take 2.8 s


def test_headers_sent_a_byte_at_a_time_hit_the_total_time_budget(server: FixtureServer) -> None:
    """Each byte comes well within the read timeout; only a wall-clock deadline stops it."""
    fetcher = Fetcher(allowed_hosts={"127.0.0.1"}, timeout=1.0, total_timeout=1.5)
    started = time.monotonic()
    outcome = fetcher.try_fetch(f"{server.base}/drip-headers")
    assert isinstance(outcome, FetchFailure) and "took longer than 1.5 s" in outcome.reason
    assert time.monotonic() - started < 2.5


def test_a_retry_wait_past_the_deadline_is_not_slept(server: FixtureServer) -> None:
    fetcher = Fetcher(
        allowed_hosts={"127.0.0.1"},
        total_timeout=1.5,
        retry=RetryPolicy(retries=2, max_wait=10.0),
    )
    started = time.monotonic()
    outcome = fetcher.try_fetch(f"{server.base}/retry-after/3")
    assert isinstance(outcome, FetchFailure) and "took longer than 1.5 s" in outcome.reason
    assert time.monotonic() - started < 1.0  # it did not wait the 3 s asked for


def test_fetch_many_has_one_overall_deadline(server: FixtureServer) -> None:
    fetcher = Fetcher(
        allowed_hosts={"127.0.0.1"}, timeout=5.0, total_timeout=10.0, batch_timeout=1.5,
        max_workers=2,
    )  # fmt: skip
    urls = [
        f"{server.base}/pages/quillmere.html",
        f"{server.base}/drip-headers",
        f"{server.base}/slow/pages/notes.txt?delay=4",
        f"{server.base}/pages/notes.txt",
    ]
    started = time.monotonic()
    outcomes = fetcher.fetch_many(urls)
    assert time.monotonic() - started < 2.5
    assert isinstance(outcomes[0], Page)
    assert isinstance(outcomes[1], FetchFailure) and "1.5 s allowed" in outcomes[1].reason
    assert isinstance(outcomes[2], FetchFailure) and "1.5 s allowed" in outcomes[2].reason
