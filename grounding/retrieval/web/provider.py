"""The seam every search API adapter fills: build a request, parse a reply.

An adapter is one small class: where to send the query (`path` under a base
URL the user may override with GROUNDING_<PROVIDER>_URL), how (`build_request`)
and how to read the answer (`parse`). Sending, retrying, and turning faults
into `RetrievalError`s with the API key scrubbed out is done once, here.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import requests

from grounding.core.http import USER_AGENT, RetryPolicy, send_with_retries
from grounding.errors import ConfigError, RetrievalError

__all__ = [
    "ProviderRequest",
    "SearchProvider",
    "WebResult",
    "clean_text",
    "env_or_option",
    "items_with_url",
]

_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class WebResult:
    """One search result as the provider gave it: rank 1 is its best."""

    title: str
    url: str
    snippet: str
    rank: int


@dataclass(frozen=True)
class ProviderRequest:
    method: Literal["GET", "POST"]
    url: str
    params: dict[str, str | int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    json: dict[str, Any] | None = None


def clean_text(value: object) -> str:
    """Provider text without HTML tags or entities (Brave and Google mark matches with <b>)."""
    if not isinstance(value, str):
        return ""
    return " ".join(html.unescape(_TAGS.sub("", value)).split())


def items_with_url(items: object, key: str) -> list[tuple[dict[str, Any], str]]:
    """The result objects of a reply that carry a non-empty string URL under `key`, with it."""
    if not isinstance(items, list):
        raise ValueError(f"results are a {type(items).__name__}, not a list")
    return [
        (item, item[key])
        for item in items
        if isinstance(item, dict) and isinstance(item.get(key), str) and item[key]
    ]


def env_or_option(option: str | None, *names: str) -> str | None:
    """The explicit option, else the first of the environment variables `names` that is set."""
    if option:
        return option
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


class SearchProvider(ABC):
    """A web search API; subclasses say where and how to ask and how to read the reply."""

    name: ClassVar[str]
    default_base_url: ClassVar[str | None]  # None: the user must configure one
    path: ClassVar[str]
    key_env: ClassVar[str | None] = None
    base_url_env: ClassVar[str | None] = None  # the provider's own variable, e.g. SEARXNG_URL
    max_count: ClassVar[int] = 10  # the most results one request may ask for
    auto_preference: ClassVar[int] = 100  # `--web auto` tries configured providers, lowest first

    @classmethod
    def configured_by(cls) -> str | None:
        """The variable whose presence says this provider is set up (for `--web auto`)."""
        return cls.key_env or cls.base_url_env

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.api_key = self._require(api_key, self.key_env) if self.key_env else None
        self.endpoint = self._endpoint(base_url)
        self.timeout = timeout
        self.retry = retry or RetryPolicy()

    @property
    def url_env(self) -> str:
        return f"GROUNDING_{self.name.upper()}_URL"

    @abstractmethod
    def build_request(self, query: str, count: int) -> ProviderRequest:
        """The HTTP request that asks for `count` results for `query`."""

    @abstractmethod
    def parse(self, payload: Any) -> list[WebResult]:
        """Results from the decoded JSON reply; raise ValueError when it is not this API's shape."""

    def search(self, query: str, k: int = 5) -> list[WebResult]:
        """At most `k` results for `query`; any fault becomes a RetrievalError naming it."""
        request = self.build_request(query, max(1, min(k, self.max_count)))
        payload = self._send(request)
        try:
            results = self.parse(payload)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RetrievalError(
                f"{self.name} returned a reply of unexpected shape: {exc}"
            ) from exc
        return results[:k]

    def is_auth_failure(self, status: int, detail: str) -> bool:
        """Whether an error answer means the credentials or settings were refused."""
        return status in (401, 403)

    def auth_hint(self) -> str:
        """What to check when the API refuses the request (401/403)."""
        return f"check {self.key_env}" if self.key_env else "check the server's settings"

    def _send(self, request: ProviderRequest) -> Any:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **request.headers}
        with requests.Session() as session:
            send = functools.partial(
                session.request,
                request.method,
                request.url,
                params=request.params or None,
                headers=headers,
                json=request.json,
                timeout=self.timeout,
            )
            try:
                response = send_with_retries(send, self.retry)
            except requests.Timeout as exc:
                raise RetrievalError(
                    self._redact(f"{self.name} did not answer within {self.timeout:g} s")
                ) from exc
            except requests.RequestException as exc:
                raise RetrievalError(
                    self._redact(f"cannot reach {self.name} at {self.endpoint}: {exc}")
                ) from exc
            with response:
                self._raise_for_status(response)
                try:
                    return response.json()
                except ValueError as exc:
                    kind = response.headers.get("Content-Type", "no content type")
                    raise RetrievalError(
                        f"{self.name} returned invalid JSON ({kind}, HTTP {response.status_code})"
                    ) from exc

    def _raise_for_status(self, response: requests.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = self._redact(_error_detail(response))
        if self.is_auth_failure(status, detail):
            message = f"{self.name} refused the request (HTTP {status}; {self.auth_hint()})"
        elif status == 429:
            after = response.headers.get("Retry-After")
            wait = f"; retry after {after} s" if after else ""
            message = f"{self.name} rate-limited the search (HTTP 429{wait})"
        else:
            message = f"{self.name} answered HTTP {status}"
        raise RetrievalError(f"{message}: {detail}" if detail else message)

    def _redact(self, text: str) -> str:
        """`text` with the API key blanked: request URLs in errors may carry it."""
        return text.replace(self.api_key, "***") if self.api_key else text

    def _require(self, option: str | None, env: str) -> str:
        value = env_or_option(option, env)
        if not value:
            raise ConfigError(f"the {self.name} web search needs an API key: set {env}")
        return value

    def _endpoint(self, base_url: str | None) -> str:
        names = [self.url_env, *([self.base_url_env] if self.base_url_env else [])]
        base = env_or_option(base_url, *names) or self.default_base_url
        if not base:
            raise ConfigError(f"the {self.name} web search needs a URL: set {names[-1]}")
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"{self.url_env} must be an http(s) URL, not {base!r}")
        base = base.rstrip("/")
        return base if base.endswith(self.path) else base + self.path


def _error_detail(response: requests.Response) -> str:
    """The API's own error message when the body has one of the usual shapes, else its start."""
    try:
        payload = response.json()
    except ValueError:
        return " ".join(response.text[:200].split())
    for path in (("error", "message"), ("error", "detail"), ("detail", "error"), ("message",)):
        value: Any = payload
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            return " ".join(value[:200].split())
    return " ".join(json.dumps(payload)[:200].split())
