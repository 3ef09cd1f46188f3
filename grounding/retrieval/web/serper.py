"""Serper (Google results): POST https://google.serper.dev/search, key in `X-API-KEY`.

Body `{"q", "num"}`; reply `{"searchParameters": {...}, "organic": [{"title",
"link", "snippet", "position", ...}], "knowledgeGraph"?, "peopleAlsoAsk"?, ...}`.
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

__all__ = ["SerperProvider"]


class SerperProvider(SearchProvider):
    name = "serper"
    auto_preference = 40
    default_base_url = "https://google.serper.dev"
    path = "/search"
    key_env = "SERPER_API_KEY"
    max_count = 20

    def build_request(self, query: str, count: int) -> ProviderRequest:
        headers = {"X-API-KEY": self.api_key or "", "Content-Type": "application/json"}
        return ProviderRequest(
            "POST", self.endpoint, headers=headers, json={"q": query, "num": count}
        )

    def parse(self, payload: Any) -> list[WebResult]:
        if not isinstance(payload, dict) or not ({"searchParameters", "organic"} & payload.keys()):
            raise ValueError("not a Serper search reply")
        return [
            WebResult(clean_text(item.get("title")) or url, url, clean_text(item.get("snippet")), i)
            for i, (item, url) in enumerate(
                items_with_url(payload.get("organic", []), "link"), start=1
            )
        ]
