"""Web search: provider adapters, page fetching, passage selection, dynamic retrieval.

    search = get_web_search("brave")          # a Retriever; BRAVE_API_KEY from the environment
    found = search.retrieve("When was the Varnholt lighthouse first lit?", k=5)
    found.hits, found.queries, found.warnings   # search(...) gives the hits alone
    both = LocalAndWeb(LocalIndex.load("notes"), search, auto=True)   # also a Retriever

Providers are chosen by name from the `grounding.web_providers` entry points
(`registry.py`) and imported only when chosen; adding one is one module with a
`SearchProvider` subclass and one entry point, here or in a plugin package.
`needs_web` scores whether a question needs the web at all (`--web auto`), and
`LocalAndWeb` is the composite retriever the pipeline holds when `web=` is set:
search the web (or not), fuse with the local hits, explain. `open_web(name)`
reads a `--web` value ("brave", "auto", "auto:brave") into one.
"""

from __future__ import annotations

from grounding.core.http import RetryPolicy
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
