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

This package module holds only the registry, so reading `WEB_PROVIDERS` for a help text
imports no HTTP client; each name above is imported from its own module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from grounding.plugins import Registry

if TYPE_CHECKING:
    from grounding.retrieval.web.provider import SearchProvider

__all__ = ["WEB_PROVIDERS"]

WEB_PROVIDERS: Registry[type[SearchProvider]] = Registry(
    "grounding.web_providers", "web search provider"
)
