"""Search providers by name, from the `grounding.web_providers` entry points.

`get_web_search("brave")` builds a ready `WebSearch`; `auto_provider()` picks
the provider `--web auto` uses from what the environment configures, asking
each registered provider class which variable sets it up.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from grounding.backends.embedding_model import DEFAULT_EMBEDDING_MODEL
from grounding.config import Settings, setting
from grounding.errors import ConfigError
from grounding.retrieval.web import WEB_PROVIDERS
from grounding.retrieval.web.fetch import Fetcher
from grounding.retrieval.web.passages import DEFAULT_CANDIDATES_PER_PAGE
from grounding.retrieval.web.provider import SearchProvider, env_or_option
from grounding.retrieval.web.search import WebSearch

__all__ = [
    "AUTO",
    "PROVIDER_ENV",
    "auto_provider",
    "get_provider",
    "get_web_search",
    "list_providers",
    "provider_class",
]

AUTO = "auto"  # `--web auto`: search only when `needs_web` says so
PROVIDER_ENV = "GROUNDING_WEB_PROVIDER"  # the provider `auto` uses


def list_providers() -> list[str]:
    """The names of every installed web search provider."""
    return WEB_PROVIDERS.names()


def provider_class(name: str) -> type[SearchProvider]:
    """The adapter class registered as `name`."""
    found: type[SearchProvider] = WEB_PROVIDERS.load(name)
    return found


def get_provider(name: str, **options: Any) -> SearchProvider:
    """The search API adapter `name`, configured from `options` and the environment."""
    return provider_class(name)(**options)


def auto_provider(settings: Settings | None = None) -> str:
    """The provider for `--web auto`: GROUNDING_WEB_PROVIDER, else the first one configured."""
    chosen: str | None = setting("web_provider", settings)
    if chosen:
        return chosen
    classes = sorted(
        (provider_class(name) for name in list_providers()),
        key=lambda cls: (cls.auto_preference, cls.name),
    )
    for cls in classes:
        variable = cls.configured_by()
        if variable and env_or_option(None, variable):
            return cls.name
    wanted = ", ".join(v for v in (cls.configured_by() for cls in classes) if v)
    raise ConfigError(f"--web auto needs a search provider: set {PROVIDER_ENV} or one of {wanted}")


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
    candidates_per_page: float = DEFAULT_CANDIDATES_PER_PAGE,
    embedding_model: str = DEFAULT_EMBEDDING_MODEL,
    **provider_options: Any,
) -> WebSearch:
    """A ready WebSearch over provider `name` (see `list_providers()`).

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
