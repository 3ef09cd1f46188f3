"""Fetching result pages and pulling out their main text.

Pages are fetched several at once by a bounded thread pool. Each request has a
timeout; each page a wall-clock budget that covers everything (slow headers,
retries and their waits, redirects, the body) and a size cap (a bigger page is
cut, not refused); a batch has one overall deadline. Redirects are followed by
hand so that every hop passes the URL guard, connections go only to the public
addresses the guard checked (`transport.py`), and 429/5xx answers are retried
politely (see `http.py`). Main text is extracted with trafilatura, which drops
navigation, scripts and footers.
"""

from __future__ import annotations

import codecs
import functools
import html
import re
import time
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
import urllib3

from grounding.config import setting
from grounding.core.http import USER_AGENT, RetryPolicy, send_with_retries
from grounding.errors import FetchRefusedError, RetrievalError
from grounding.retrieval.web.safety import check_url
from grounding.retrieval.web.transport import Deadline, guarded_session

__all__ = ["FetchFailure", "FetchOutcome", "Fetcher", "Page", "extract_main_text"]

_TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_CHARSET = re.compile(r"charset=[\"']?([\w.:-]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Page:
    """A fetched page: where it ended up, its title and its main text."""

    url: str
    final_url: str
    title: str
    text: str
    truncated: bool = False


@dataclass(frozen=True)
class FetchFailure:
    """Why a page was not fetched; `refused` when the URL guard said no."""

    url: str
    reason: str
    refused: bool = False


FetchOutcome = Page | FetchFailure


class Fetcher:
    """Fetches pages in parallel within time and size limits; see the module docstring."""

    def __init__(
        self,
        *,
        timeout: float = 8.0,
        total_timeout: float = 15.0,
        max_bytes: int = 2_000_000,
        max_redirects: int = 3,
        max_workers: int = 8,
        batch_timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        allow_private: bool | None = None,
        allowed_hosts: Collection[str] = (),
    ) -> None:
        self.timeout = timeout
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.max_workers = max(1, max_workers)
        self.batch_timeout = batch_timeout
        self.retry = retry or RetryPolicy()
        self.allow_private = allow_private
        self.allowed_hosts = frozenset(host.lower() for host in allowed_hosts)

    def fetch_many(self, urls: Sequence[str]) -> list[FetchOutcome]:
        """Fetch every URL (in parallel, at most `max_workers` at once); same order as `urls`.

        All within `batch_timeout` seconds: a page still loading then is cut off,
        and one not started is not, both reported as a FetchFailure.
        """
        if not urls:
            return []
        workers = min(self.max_workers, len(urls))
        not_after = time.monotonic() + self.batch_timeout
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
            return list(pool.map(lambda url: self.try_fetch(url, not_after), urls))

    def try_fetch(self, url: str, not_after: float | None = None) -> FetchOutcome:
        """`fetch`, with its failure returned as a value instead of raised."""
        try:
            return self.fetch(url, not_after)
        except FetchRefusedError as exc:
            return FetchFailure(url, str(exc), refused=True)
        except RetrievalError as exc:
            return FetchFailure(url, str(exc))

    def fetch(self, url: str, not_after: float | None = None) -> Page:
        """Fetch one page and extract its main text; raises FetchRefusedError or RetrievalError.

        The whole fetch (connecting, headers, retries and their waits, redirects,
        the body) ends within `total_timeout` seconds, or by `not_after` (a
        `time.monotonic()` value) if that comes first.
        """
        at = time.monotonic() + self.total_timeout
        what = f"{url} took longer than {self.total_timeout:g} s"
        if not_after is not None and not_after < at:
            at = not_after
            what = f"{url} was not fetched within the {self.batch_timeout:g} s allowed"
        deadline = Deadline(at, what)
        allow_private = (
            setting("allow_private_urls") if self.allow_private is None else self.allow_private
        )
        session = guarded_session(
            self.allowed_hosts, check_addresses=not allow_private, deadline=deadline
        )
        try:
            with session:
                return self._follow(url, session, deadline, allow_private)
        finally:
            deadline.cancel()

    def _follow(
        self, url: str, session: requests.Session, deadline: Deadline, allow_private: bool
    ) -> Page:
        """Request `url`, following redirects by hand (each hop checked), and read the page."""
        session.headers["User-Agent"] = USER_AGENT
        session.headers["Accept"] = "text/html,application/xhtml+xml,text/plain;q=0.9"
        current = url
        for _ in range(self.max_redirects + 1):
            check_url(current, allow_private, self.allowed_hosts)
            deadline.check()
            send = functools.partial(
                session.get,
                current,
                allow_redirects=False,
                stream=True,
                timeout=min(self.timeout, deadline.remaining()),
            )
            try:
                response = send_with_retries(send, self.retry, sleep=deadline.sleep)
            except requests.RequestException as exc:
                deadline.check()  # a socket shut by the deadline ends up here
                if isinstance(exc, requests.Timeout):
                    raise RetrievalError(f"{current} timed out after {self.timeout:g} s") from exc
                raise RetrievalError(f"cannot fetch {current}: {exc}") from exc
            with response:
                location = response.headers.get("Location")
                if response.status_code in _REDIRECTS and location:
                    current = urljoin(current, location)
                    continue
                return self._page(url, current, response, deadline)
        raise RetrievalError(f"{url} redirected more than {self.max_redirects} times")

    def _page(
        self, url: str, final_url: str, response: requests.Response, deadline: Deadline
    ) -> Page:
        if response.status_code >= 400:
            raise RetrievalError(f"{final_url} answered HTTP {response.status_code}")
        content_type = response.headers.get("Content-Type", "text/html").lower()
        if not content_type.startswith(_TEXT_TYPES):
            raise RetrievalError(f"{final_url} is not a web page ({content_type.split(';')[0]})")
        body, truncated = self._read(final_url, response, deadline)
        try:
            title, text = extract_main_text(body, content_type)
        except (
            Exception
        ) as exc:  # lxml/trafilatura on hostile markup: one page lost, not the answer
            raise RetrievalError(f"cannot read the text of {final_url}: {exc}") from exc
        return Page(url=url, final_url=final_url, title=title, text=text, truncated=truncated)

    def _read(
        self, url: str, response: requests.Response, deadline: Deadline
    ) -> tuple[bytes, bool]:
        """The body up to `max_bytes` (True when cut), within the page's time budget.

        `read1` returns whatever has arrived, so a server that drips a byte at a
        time is caught by the deadline instead of holding a worker forever.
        """
        parts: list[bytes] = []
        size = 0
        try:
            while True:
                part = response.raw.read1(65536, decode_content=True)
                if not part:
                    deadline.check()  # a socket the deadline shut reads as the end
                    return b"".join(parts), False
                parts.append(part)
                size += len(part)
                if size >= self.max_bytes:
                    return b"".join(parts)[: self.max_bytes], True
                deadline.check()
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            deadline.check()  # a socket shut by the deadline ends up here
            raise RetrievalError(f"cannot read {url}: {exc}") from exc


def extract_main_text(body: bytes, content_type: str = "text/html") -> tuple[str, str]:
    """(title, main text) of an HTML or plain-text body; scripts and boilerplate dropped."""
    charset_match = _CHARSET.search(content_type)
    charset = _known_charset(charset_match.group(1) if charset_match else "utf-8")
    if content_type.startswith("text/plain"):
        return "", body.decode(charset, errors="replace").strip()
    import trafilatura  # heavy; only when a page is actually read

    title_match = _TITLE.search(body[:65536])
    title = ""
    if title_match:
        raw = title_match.group(1).decode(charset, errors="replace")
        title = " ".join(html.unescape(raw).split())
    markup: str | bytes = body.decode(charset, errors="replace") if charset_match else body
    text = trafilatura.extract(
        markup, include_comments=False, include_tables=True, favor_precision=True
    )
    # one line per paragraph, heading or row: blank lines between them keep a heading
    # from running into the sentence after it when the text is split into sentences
    return title, "\n\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


def _known_charset(name: str) -> str:
    """`name` if Python knows the codec, else utf-8 (decoding then replaces bad bytes)."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"
