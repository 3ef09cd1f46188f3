"""Web search: provider adapters, page fetching, passage selection, dynamic retrieval.

    search = get_web_search("brave")          # a Retriever; BRAVE_API_KEY from the environment
    found = search.retrieve("When was the Varnholt lighthouse first lit?", k=5)
    found.hits, found.queries, found.warnings   # search(...) gives the hits alone
    both = LocalAndWeb(open_store("notes"), search, auto=True)   # also a Retriever

Providers are chosen by name from the `grounding.web_providers` entry points
(`WEB_PROVIDERS`, here; `registry.py` builds them) and imported only when chosen;
adding one is one module with a `SearchProvider` subclass and one entry point, here or
in a plugin package.
`needs_web` scores whether a question needs the web at all (`--web auto`), and
`LocalAndWeb` is the composite retriever the pipeline holds when `web=` is set:
search the web (or not), fuse with the local hits, explain. `open_web(name)`
reads a `--web` value ("brave", "auto", "auto:brave") into one.

Like `grounding/__init__.py`, this is a lazy facade (PEP 562): each name's module is
imported on first use, so reading `WEB_PROVIDERS` for a help text imports no HTTP client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from grounding.plugins import Registry

if TYPE_CHECKING:
    from grounding.http import RetryPolicy
    from grounding.retrieval.web.augment import LocalAndWeb, open_web
    from grounding.retrieval.web.dynamic import DEFAULT_WEB_THRESHOLD, needs_web
    from grounding.retrieval.web.fetch import Fetcher
    from grounding.retrieval.web.provider import SearchProvider, WebResult
    from grounding.retrieval.web.registry import (
        AUTO,
        auto_provider,
        get_provider,
        get_web_search,
        list_providers,
    )
    from grounding.retrieval.web.search import WebSearch

__all__ = [
    "AUTO",
    "DEFAULT_WEB_THRESHOLD",
    "WEB_PROVIDERS",
    "Fetcher",
    "LocalAndWeb",
    "RetryPolicy",
    "SearchProvider",
    "WebResult",
    "WebSearch",
    "auto_provider",
    "get_provider",
    "get_web_search",
    "list_providers",
    "needs_web",
    "open_web",
]

WEB_PROVIDERS: Registry[type[SearchProvider]] = Registry(
    "grounding.web_providers", "web search provider"
)

_WHERE = {
    "AUTO": "grounding.retrieval.web.registry",
    "DEFAULT_WEB_THRESHOLD": "grounding.retrieval.web.dynamic",
    "Fetcher": "grounding.retrieval.web.fetch",
    "LocalAndWeb": "grounding.retrieval.web.augment",
    "RetryPolicy": "grounding.http",
    "SearchProvider": "grounding.retrieval.web.provider",
    "WebResult": "grounding.retrieval.web.provider",
    "WebSearch": "grounding.retrieval.web.search",
    "auto_provider": "grounding.retrieval.web.registry",
    "get_provider": "grounding.retrieval.web.registry",
    "get_web_search": "grounding.retrieval.web.registry",
    "list_providers": "grounding.retrieval.web.registry",
    "needs_web": "grounding.retrieval.web.dynamic",
    "open_web": "grounding.retrieval.web.augment",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use and kept here after."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
