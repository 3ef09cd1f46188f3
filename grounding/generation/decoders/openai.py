"""Any OpenAI-compatible `/v1/chat/completions` endpoint, spoken with `requests`.

Works with OpenAI, Gemini's OpenAI compatibility, vLLM, Ollama and llama.cpp's
server. Configured by OPENAI_BASE_URL, GROUNDING_MODEL and OPENAI_API_KEY.
"""

from __future__ import annotations

import json
from collections.abc import Generator

import requests

from grounding.config import Settings
from grounding.core.http import RetryPolicy
from grounding.core.openai_compat import ChatEndpoint
from grounding.errors import DecoderError
from grounding.generation.base import Decoder, Finish
from grounding.generation.prompt import Prompt

__all__ = ["OpenAIDecoder"]


class OpenAIDecoder(Decoder):
    name = "openai"
    samples = True
    uses_settings = True  # the endpoint: OPENAI_BASE_URL, GROUNDING_MODEL, OPENAI_API_KEY

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 3,
        context_tokens: int = 6000,
        settings: Settings | None = None,
    ) -> None:
        self.endpoint = ChatEndpoint.configure(
            "the openai decoder",
            base_url,
            model,
            api_key,
            timeout,
            RetryPolicy(retries=retries, backoff=0.5, max_wait=30.0),
            settings,
        )
        self.context_tokens = context_tokens

    def count_tokens(self, text: str) -> int:
        """About four characters a token: the endpoint's tokenizer is not available here."""
        return len(text) // 4 + 1

    def stream(self, prompt: Prompt, max_tokens: int = 256) -> Generator[str, None, Finish | None]:
        """The endpoint's text pieces; returns its finish_reason when that is "stop" or
        "length" (None for any other, such as "content_filter")."""
        body = {
            "messages": [m.model_dump() for m in prompt.messages],
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
        }
        reason: Finish | None = None
        with self.endpoint.post(body, DecoderError, stream=True) as response:
            for line in response.iter_lines(decode_unicode=True):
                text = line.decode() if isinstance(line, bytes) else line
                piece = _delta(text)
                if piece is None:
                    break
                reason = _finish_reason(text) or reason
                if piece:
                    yield piece
        return reason

    def sample(
        self, prompt: Prompt, n: int, max_tokens: int = 256, temperature: float = 0.8,
        seed: int = 0,
    ) -> list[str]:  # fmt: skip
        """`n` sampled answers, one request each (seed, seed + 1, ...), so any server works."""
        answers = []
        for i in range(n):
            body = {
                "messages": [m.model_dump() for m in prompt.messages],
                "max_tokens": max_tokens,
                "temperature": temperature,
                "seed": seed + i,
            }
            with self.endpoint.post(body, DecoderError) as response:
                answers.append(_content(response))
        return answers


def _content(response: requests.Response) -> str:
    """The assistant text of a non-streamed completion."""
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise DecoderError(
            f"the endpoint sent an invalid completion: {response.text[:200]}"
        ) from exc
    if not isinstance(content, str):
        raise DecoderError(f"the endpoint sent no answer text: {response.text[:200]}")
    return content


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


def _finish_reason(line: str) -> Finish | None:
    """The finish_reason an event carries when it is "stop" or "length" (the last event
    before `[DONE]` has it; any other reason, such as "content_filter", counts as none)."""
    try:
        choices = json.loads(line[5:])["choices"]
        reason = choices[0].get("finish_reason") if choices else None
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError, IndexError):
        return None
    return "length" if reason == "length" else "stop" if reason == "stop" else None
