"""HTTP with polite retries, shared by web search, page fetching and OpenAI-compatible clients.

429 and 5xx are retried with exponential backoff, waiting what `Retry-After`
asks when it says; a wait longer than the policy allows is not slept through
(the caller reports the fault instead of hanging an answer for an hour).
Timeouts and refused connections are not retried: a slow or dead server
would only get slower.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

__all__ = [
    "USER_AGENT",
    "RetryPolicy",
    "is_retryable",
    "retry_after_seconds",
    "send_with_retries",
]

USER_AGENT = "grounding/0.1 (+https://github.com/; retrieval-grounded answers)"


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before asking again."""

    retries: int = 2
    backoff: float = 0.25  # seconds before the first retry; doubled each time
    max_wait: float = 5.0  # the longest single wait honoured, Retry-After included


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def is_retryable(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def send_with_retries(
    send: Callable[[], requests.Response],
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
) -> requests.Response:
    """Call `send` until it answers something other than 429/5xx or retries run out.

    Returns the last response, retryable or not; the caller decides what a
    final 429 or 500 means. Exceptions from `send` propagate unchanged.
    """
    attempt = 0
    while True:
        response = send()
        if not is_retryable(response.status_code) or attempt >= policy.retries:
            return response
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        wait = asked if asked is not None else policy.backoff * 2**attempt
        if wait > policy.max_wait:
            return response
        response.close()
        sleep(wait)
        attempt += 1
