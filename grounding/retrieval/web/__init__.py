"""Web search: provider adapters, page fetching, passage selection, dynamic retrieval.

    search = get_web_search("brave")          # BRAVE_API_KEY from the environment
    found = search.search("When was the Varnholt lighthouse first lit?", k=5)
    found.hits, found.queries, found.warnings

Providers are chosen by name from `PROVIDERS` and imported only when chosen;
adding one is one module with a `SearchProvider` subclass and one line here.
`needs_web` scores whether a question needs the web at all (`--web auto`), and
`WebAugmenter` is what the pipeline calls: search (or not), fuse, explain.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection
from typing import Any

from grounding.errors import ConfigError
from grounding.http import RetryPolicy
from grounding.models import DEFAULT_EMBEDDING_MODEL
from grounding.retrieval.web.augment import Augmented, WebAugmenter
from grounding.retrieval.web.dynamic import DEFAULT_WEB_THRESHOLD, needs_web
from grounding.retrieval.web.fetch import Fetcher
from grounding.retrieval.web.provider import SearchProvider, WebResult
from grounding.retrieval.web.search import WebResults, WebSearch

__all__ = [
    "AUTO",
    "DEFAULT_WEB_THRESHOLD",
    "PROVIDERS",
    "Augmented",
    "Fetcher",
    "RetryPolicy",
    "SearchProvider",
    "WebAugmenter",
    "WebResult",
    "WebResults",
    "WebSearch",
    "get_provider",
    "get_web_search",
    "list_providers",
    "needs_web",
]

AUTO = "auto"  # `--web auto`: search only when `needs_web` says so

PROVIDERS: dict[str, str] = {
    "brave": "grounding.retrieval.web.brave:BraveProvider",
    "google": "grounding.retrieval.web.google:GoogleProvider",
    "searxng": "grounding.retrieval.web.searxng:SearxngProvider",
    "serper": "grounding.retrieval.web.serper:SerperProvider",
    "tavily": "grounding.retrieval.web.tavily:TavilyProvider",
}


def list_providers() -> list[str]:
    return sorted(PROVIDERS)


def get_provider(name: str, **options: Any) -> SearchProvider:
    """The search API adapter `name`, configured from `options` and the environment."""
    key = name.strip().lower()
    if key not in PROVIDERS:
        raise ConfigError(
            f"unknown web search provider {name!r}; choose one of {', '.join(list_providers())}"
        )
    module_name, _, attribute = PROVIDERS[key].partition(":")
    provider_class: type[SearchProvider] = getattr(importlib.import_module(module_name), attribute)
    return provider_class(**options)


def get_web_search(
    name: str,
    *,
    fetcher: Fetcher | None = None,
    allow_private: bool | None = None,
    allowed_hosts: Collection[str] = (),
    max_workers: int = 8,
    fetch_timeout: float = 8.0,
    fetch_pages: bool = True,
    passages_per_page: int = 1,
    candidates_per_page: int = 2,
    embedding_model: str = DEFAULT_EMBEDDING_MODEL,
    **provider_options: Any,
) -> WebSearch:
    """A ready WebSearch over provider `name` (brave, google, searxng, serper, tavily).

    `provider_options` go to the adapter (`api_key`, `base_url`, `timeout`,
    `retry`, and `cse_id` for google); anything missing is read from the
    environment, and a missing key raises ConfigError naming its variable.
    """
    provider = get_provider(name, **provider_options)
    fetcher = fetcher or Fetcher(
        timeout=fetch_timeout,
        max_workers=max_workers,
        allow_private=allow_private,
        allowed_hosts=allowed_hosts,
    )
    return WebSearch(
        provider,
        fetcher=fetcher,
        fetch_pages=fetch_pages,
        passages_per_page=passages_per_page,
        candidates_per_page=candidates_per_page,
        embedding_model=embedding_model,
    )
