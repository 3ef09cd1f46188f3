"""Brave Search API: GET https://api.search.brave.com/res/v1/web/search?q=...&count=N.

The key travels in the `X-Subscription-Token` header. The reply is
`{"type": "search", "query": {...}, "web": {"type": "search", "results":
[{"title", "url", "description", ...}]}, ...}`; descriptions mark matches
with <strong>. No `web` object means no web results.
"""

from __future__ import annotations

from typing import Any

from grounding.retrieval.web.provider import (
    ProviderRequest,
    SearchProvider,
    WebResult,
    clean_text,
    items_with_url,
)

__all__ = ["BraveProvider"]


class BraveProvider(SearchProvider):
    name = "brave"
    auto_preference = 20
    default_base_url = "https://api.search.brave.com"
    path = "/res/v1/web/search"
    key_env = "BRAVE_API_KEY"
    max_count = 20

    def build_request(self, query: str, count: int) -> ProviderRequest:
        headers = {"X-Subscription-Token": self.api_key or "", "Accept-Encoding": "gzip"}
        return ProviderRequest(
            "GET", self.endpoint, params={"q": query, "count": count}, headers=headers
        )

    def parse(self, payload: Any) -> list[WebResult]:
        if not isinstance(payload, dict) or not ({"type", "query", "web"} & payload.keys()):
            raise ValueError("not a Brave web search reply")
        web = payload.get("web") or {}
        return [
            WebResult(
                clean_text(item.get("title")) or url, url, clean_text(item.get("description")), i
            )
            for i, (item, url) in enumerate(items_with_url(web.get("results", []), "url"), start=1)
        ]
