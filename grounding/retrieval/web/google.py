"""Google Custom Search JSON API: GET https://www.googleapis.com/customsearch/v1?key=&cx=&q=&num=.

Needs an API key (GOOGLE_API_KEY) and a Programmable Search Engine id
(GOOGLE_CSE_ID). The reply is `{"kind": "customsearch#search",
"searchInformation": {...}, "items": [{"title", "link", "snippet", ...}]}`;
`items` is absent when nothing matched. At most 10 results per request.
"""

from __future__ import annotations

from typing import Any

from grounding.core.http import RetryPolicy
from grounding.errors import ConfigError
from grounding.retrieval.web.provider import (
    ProviderRequest,
    SearchProvider,
    WebResult,
    clean_text,
    env_or_option,
    items_with_url,
)

__all__ = ["GoogleProvider"]


class GoogleProvider(SearchProvider):
    name = "google"
    auto_preference = 50
    default_base_url = "https://www.googleapis.com"
    path = "/customsearch/v1"
    key_env = "GOOGLE_API_KEY"
    max_count = 10

    def __init__(
        self,
        *,
        cse_id: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(api_key=api_key, base_url=base_url, timeout=timeout, retry=retry)
        found = env_or_option(cse_id, "GOOGLE_CSE_ID")
        if not found:
            raise ConfigError(
                "the google web search needs a Programmable Search Engine id: set GOOGLE_CSE_ID"
            )
        self.cse_id = found

    def build_request(self, query: str, count: int) -> ProviderRequest:
        params: dict[str, str | int] = {
            "key": self.api_key or "",
            "cx": self.cse_id,
            "q": query,
            "num": count,
        }
        return ProviderRequest("GET", self.endpoint, params=params)

    def parse(self, payload: Any) -> list[WebResult]:
        if not isinstance(payload, dict) or not (
            payload.get("kind") == "customsearch#search" or "items" in payload
        ):
            raise ValueError("not a Custom Search reply")
        return [
            WebResult(clean_text(item.get("title")) or url, url, clean_text(item.get("snippet")), i)
            for i, (item, url) in enumerate(
                items_with_url(payload.get("items", []), "link"), start=1
            )
        ]

    def is_auth_failure(self, status: int, detail: str) -> bool:
        """Google answers a bad key with 400 (reason API_KEY_INVALID), not 401."""
        return status in (401, 403) or (status == 400 and "API key not valid" in detail)

    def auth_hint(self) -> str:
        return "check GOOGLE_API_KEY, GOOGLE_CSE_ID and that the Custom Search API is enabled"
