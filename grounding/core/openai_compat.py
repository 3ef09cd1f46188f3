"""One OpenAI-compatible `/chat/completions` endpoint, shared by the decoder and the judge.

Configured by arguments or by OPENAI_BASE_URL, GROUNDING_MODEL and OPENAI_API_KEY;
429 and 5xx replies are retried as `grounding.core.http` does for every client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from grounding.config import Settings, setting
from grounding.core.http import USER_AGENT, RetryPolicy, send_with_retries
from grounding.errors import ConfigError, GroundingError

__all__ = ["ChatEndpoint"]


@dataclass(frozen=True)
class ChatEndpoint:
    base_url: str
    model: str
    api_key: str | None
    timeout: float
    retry: RetryPolicy

    @classmethod
    def configure(
        cls,
        user: str,
        base_url: str | None,
        model: str | None,
        api_key: str | None,
        timeout: float,
        retry: RetryPolicy,
        settings: Settings | None = None,
    ) -> ChatEndpoint:
        """The endpoint from arguments, else `settings` (without them, the three variables
        read alone); `user` names who needs it."""
        url = (base_url or setting("openai_base_url", settings) or "").rstrip("/")
        if not url:
            raise ConfigError(
                f"{user} needs an endpoint: set OPENAI_BASE_URL (e.g. https://api.openai.com/v1 "
                "or http://localhost:11434/v1) or pass base_url="
            )
        name = model or setting("model", settings) or ""
        if not name:
            raise ConfigError(f"{user} needs a model name: set GROUNDING_MODEL or pass model=")
        key = api_key or setting("openai_api_key", settings)
        return cls(url, name, key, timeout, retry)

    @property
    def url(self) -> str:
        return f"{self.base_url}/chat/completions"

    def post(
        self, body: dict[str, Any], error: type[GroundingError], stream: bool = False
    ) -> requests.Response:
        """POST `body` (the model is added); faults become `error` with the reason and the fix."""
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        payload = {"model": self.model, **body}

        def send() -> requests.Response:
            return requests.post(
                self.url, json=payload, headers=headers, timeout=self.timeout, stream=stream
            )

        try:
            response = send_with_retries(send, self.retry)
        except requests.RequestException as exc:
            raise error(f"cannot reach {self.url}: {exc}") from exc
        if response.status_code < 400:
            return response
        detail = response.text[:300]
        response.close()
        if response.status_code in (401, 403):
            raise error(
                f"{self.url} refused the key ({response.status_code}): check OPENAI_API_KEY"
            )
        raise error(f"{self.url} answered {response.status_code}: {detail}")
