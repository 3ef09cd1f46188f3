"""Any OpenAI-compatible `/v1/chat/completions` endpoint, spoken with `requests`.

Works with OpenAI, Gemini's OpenAI compatibility, vLLM, Ollama and llama.cpp's
server. Configured by OPENAI_BASE_URL, GROUNDING_MODEL and OPENAI_API_KEY.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import requests

from grounding.errors import ConfigError, DecoderError
from grounding.generation.prompt import Prompt

__all__ = ["OpenAIDecoder"]

_RETRY_STATUS = {429, 500, 502, 503, 504}


class OpenAIDecoder:
    name = "openai"

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        context_tokens: int = 6000,
    ) -> None:
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "").rstrip("/")
        self.model = model or os.environ.get("GROUNDING_MODEL") or ""
        self.api_key = api_key or os.environ.get("OPENAI_API_KEY")
        if not self.base_url:
            raise ConfigError(
                "the openai decoder needs an endpoint: set OPENAI_BASE_URL "
                "(e.g. https://api.openai.com/v1 or http://localhost:11434/v1)"
            )
        if not self.model:
            raise ConfigError("the openai decoder needs a model name: set GROUNDING_MODEL")
        self.timeout = timeout
        self.retries = retries
        self.context_tokens = context_tokens

    def count_tokens(self, text: str) -> int:
        """About four characters a token: the endpoint's tokenizer is not available here."""
        return len(text) // 4 + 1

    def stream(self, prompt: Prompt, max_tokens: int = 256) -> Iterator[str]:
        body = {
            "model": self.model,
            "messages": [m.model_dump() for m in prompt.messages],
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
        }
        response = self._post(body)
        with response:
            for line in response.iter_lines(decode_unicode=True):
                piece = _delta(line.decode() if isinstance(line, bytes) else line)
                if piece is None:
                    break
                if piece:
                    yield piece

    def _post(self, body: dict[str, Any]) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url = f"{self.base_url}/chat/completions"
        for attempt in range(self.retries + 1):
            try:
                response = requests.post(
                    url, json=body, headers=headers, timeout=self.timeout, stream=True
                )
            except requests.RequestException as exc:
                if attempt == self.retries:
                    raise DecoderError(f"cannot reach {url}: {exc}") from exc
                time.sleep(_backoff(attempt, None))
                continue
            if response.status_code in _RETRY_STATUS and attempt < self.retries:
                delay = _backoff(attempt, response.headers.get("Retry-After"))
                response.close()
                time.sleep(delay)
                continue
            if response.status_code >= 400:
                detail = response.text[:300]
                response.close()
                raise DecoderError(f"{url} answered {response.status_code}: {detail}")
            return response
        raise DecoderError(f"{url} kept failing after {self.retries} retries")


def _delta(line: str | None) -> str | None:
    """The text of one server-sent event line; None at `[DONE]`."""
    if not line or not line.startswith("data:"):
        return ""
    data = line[5:].strip()
    if data == "[DONE]":
        return None
    try:
        event = json.loads(data)
        choice = event["choices"][0] if event.get("choices") else {}
    except (json.JSONDecodeError, AttributeError, TypeError, KeyError) as exc:
        raise DecoderError(f"the endpoint sent an invalid stream event: {data[:200]}") from exc
    content = (choice.get("delta") or {}).get("content")
    return content if isinstance(content, str) else ""


def _backoff(attempt: int, retry_after: str | None) -> float:
    """Honour Retry-After (seconds, capped at 30), else 0.5 s doubling."""
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), 30.0)
        except ValueError:
            pass
    return 0.5 * 2**attempt
