"""SSRF: URLs that parsers read two ways, non-global ranges, redirects and DNS rebinding.

Every attack here reached a loopback page before the fix. Name lookups for the
`.test` hosts are answered by a fake resolver; everything else resolves for real.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from grounding.errors import FetchRefusedError
from grounding.retrieval.web.fetch import Fetcher, FetchFailure
from grounding.retrieval.web.safety import check_url
from tests.web_server import FixtureServer, serving

PUBLIC = "93.184.216.34"
Answers = dict[str, Callable[[], str]]


@pytest.fixture(scope="module")
def server() -> Iterator[FixtureServer]:
    with serving() as running:
        yield running


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Answers:
    """Fake DNS: `answers[name]()` gives the address for each lookup of `name`."""
    real = socket.getaddrinfo
    answers: Answers = {}

    def fake(host: object, port: object, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
        if isinstance(host, str) and host in answers:
            address = answers[host]()
            return real(address, port, *args, **kwargs)  # type: ignore[arg-type]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return answers


def _refused(outcome: object, server: FixtureServer, path: str) -> None:
    assert isinstance(outcome, FetchFailure) and outcome.refused, outcome
    assert path.split("?")[0] not in server.paths()  # the request never left


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080\\@example.com/",
        "http://example.com\\.127.0.0.1/",
        "http://127.0.0.1\\example.com/",
        "http://a.com;@127.0.0.1/",
        "http://user:pw@example.com/",
        "http://127.0.0.1@example.com/",
        "http://exa mple.com/",
        "http://example.com\t.127.0.0.1/",
        "http://example.com\n/",
        "http://example.com%2f@127.0.0.1/",
        "http://[::1%25eth0]/",
    ],
)
def test_ambiguous_urls_are_refused_even_when_private_addresses_are_allowed(url: str) -> None:
    with pytest.raises(FetchRefusedError):
        check_url(url, allow_private=True)


@pytest.mark.parametrize(
    "host",
    [
        "100.64.0.1",
        "100.100.100.200",  # cloud metadata behind carrier-grade NAT
        "192.0.0.8",
        "198.18.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "0.1.2.3",
        "[2002:7f00:1::]",  # 6to4 around 127.0.0.1
        "[2002:a9fe:a9fe::]",  # 6to4 around 169.254.169.254
        "[::7f00:1]",  # IPv4-compatible 127.0.0.1
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[2001::1]",  # Teredo
        "[fec0::1]",  # site-local
        "[fc00::1]",
        "[ff02::1]",
    ],
)
def test_only_globally_routable_addresses_pass(host: str) -> None:
    with pytest.raises(FetchRefusedError, match="non-public address"):
        check_url(f"http://{host}/", allow_private=False)


def test_backslash_url_does_not_reach_loopback(server: FixtureServer, resolver: Answers) -> None:
    resolver["public.test"] = lambda: PUBLIC
    path = "/pages/secret.html?via=backslash"
    url = f"http://127.0.0.1:{server.port}\\@public.test{path}"
    _refused(Fetcher(allow_private=False).try_fetch(url), server, path)


def test_backslash_redirect_does_not_reach_a_private_host(
    server: FixtureServer, resolver: Answers
) -> None:
    resolver["public.test"] = lambda: PUBLIC
    path = "/pages/secret.html?via=backslash-redirect"
    target = f"http://localhost:{server.port}\\@public.test{path}"
    fetcher = Fetcher(allowed_hosts={"127.0.0.1"})
    _refused(fetcher.try_fetch(f"{server.base}/redirect?to={target}"), server, path)


def test_dns_rebinding_between_check_and_connect_is_refused(
    server: FixtureServer, resolver: Answers
) -> None:
    answers = iter([PUBLIC])
    resolver["rebind.test"] = lambda: next(answers, "127.0.0.1")  # public once, then loopback
    path = "/pages/secret.html?via=rebinding"
    outcome = Fetcher(allow_private=False).try_fetch(f"http://rebind.test:{server.port}{path}")
    _refused(outcome, server, path)
    assert "127.0.0.1" in outcome.reason  # type: ignore[union-attr]


def test_redirect_to_a_rebinding_host_is_refused(server: FixtureServer, resolver: Answers) -> None:
    answers = iter([PUBLIC])
    resolver["rebind2.test"] = lambda: next(answers, "127.0.0.1")
    path = "/pages/secret.html?via=rebinding-redirect"
    fetcher = Fetcher(allowed_hosts={"127.0.0.1"})
    target = f"http://rebind2.test:{server.port}{path}"
    _refused(fetcher.try_fetch(f"{server.base}/redirect?to={target}"), server, path)


def test_a_name_that_resolves_to_loopback_is_refused_at_connect_time(
    server: FixtureServer, resolver: Answers
) -> None:
    resolver["inside.test"] = lambda: "127.0.0.1"
    path = "/pages/secret.html?via=name"
    _refused(
        Fetcher(allow_private=False).try_fetch(f"http://inside.test:{server.port}{path}"),
        server,
        path,
    )


def test_trusted_names_still_connect(server: FixtureServer, resolver: Answers) -> None:
    resolver["wiki.test"] = lambda: "127.0.0.1"
    page = Fetcher(allowed_hosts={"wiki.test"}).fetch(
        f"http://wiki.test:{server.port}/pages/quillmere.html"
    )
    assert "opened in 1911" in page.text
