"""Tavily: POST https://api.tavily.com/search with a JSON body, key as a Bearer token.

Body `{"query", "max_results", "search_depth": "basic"}`; reply `{"query",
"results": [{"title", "url", "content", "score", "raw_content"}],
"response_time", ...}`, `content` being Tavily's own extract of the page.
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

__all__ = ["TavilyProvider"]


class TavilyProvider(SearchProvider):
    name = "tavily"
    auto_preference = 30
    default_base_url = "https://api.tavily.com"
    path = "/search"
    key_env = "TAVILY_API_KEY"
    max_count = 20

    def build_request(self, query: str, count: int) -> ProviderRequest:
        body = {"query": query, "max_results": count, "search_depth": "basic"}
        headers = {"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"}
        return ProviderRequest("POST", self.endpoint, headers=headers, json=body)

    def parse(self, payload: Any) -> list[WebResult]:
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            raise ValueError("no 'results' list")
        return [
            WebResult(clean_text(item.get("title")) or url, url, clean_text(item.get("content")), i)
            for i, (item, url) in enumerate(items_with_url(payload["results"], "url"), start=1)
        ]
