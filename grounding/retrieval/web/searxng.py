"""SearXNG, the self-hosted metasearch engine: GET {SEARXNG_URL}/search?q=...&format=json.

No key; the instance must list `json` under `search.formats` in settings.yml,
or it answers 403. The reply is `{"query", "results": [{"url", "title",
"content", "engine", "score", ...}], ...}`; SearXNG takes no result count.
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

__all__ = ["SearxngProvider"]


class SearxngProvider(SearchProvider):
    name = "searxng"
    auto_preference = 10
    default_base_url = None
    path = "/search"
    base_url_env = "SEARXNG_URL"
    max_count = 20

    def build_request(self, query: str, count: int) -> ProviderRequest:
        params: dict[str, str | int] = {"q": query, "format": "json", "pageno": 1}
        return ProviderRequest("GET", self.endpoint, params=params)

    def parse(self, payload: Any) -> list[WebResult]:
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            raise ValueError("no 'results' list")
        return [
            WebResult(clean_text(item.get("title")) or url, url, clean_text(item.get("content")), i)
            for i, (item, url) in enumerate(items_with_url(payload["results"], "url"), start=1)
        ]

    def auth_hint(self) -> str:
        return "enable the json format: add `json` under search.formats in SearXNG's settings.yml"
