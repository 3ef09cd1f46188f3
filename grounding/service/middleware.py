"""ASGI layers in front of the routes: request ids and access log, API keys, body size.

Written as plain ASGI so they see every request, streaming or not, and so a
rejected request never reaches a route. The access log names the request id,
status, latency per stage and support score; never source text, questions or keys.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grounding.service.errors import ServiceError, error_response

__all__ = ["AccessLog", "ApiKeyAuth", "BodyLimit", "key_is_valid", "key_problem"]

access_log = logging.getLogger("grounding.service.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# C0/C1 controls, DEL, line and paragraph separators, bidi and other format characters,
# and the backslash, so that an escaped "\\n" cannot pass for a real one
_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\\]"
)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class AccessLog:
    """Give each request an id (`X-Request-ID`, the client's if sane) and log one line for it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            access_log.info(_line(request_id, scope, status, elapsed_ms, state))


def _line(request_id: str, scope: Scope, status: int, ms: float, state: dict[str, Any]) -> str:
    parts = [
        f"request_id={request_id}",
        f"method={scope.get('method', '')}",
        f"path={_printable(scope.get('path', ''))}",
        f"status={status}",
        f"ms={ms:.1f}",
    ]
    timings: dict[str, float] = state.get("timings") or {}
    parts += [f"{stage}_ms={seconds * 1000:.1f}" for stage, seconds in sorted(timings.items())]
    if state.get("support") is not None:
        parts.append(f"support={state['support']:.3f}")
    if state.get("stream"):
        parts.append("stream=true")
    return " ".join(parts)


def _printable(text: str) -> str:
    """`text` with control and line-breaking characters escaped: one request, one log line."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class ApiKeyAuth:
    """With keys configured, `/v1/*` needs `Authorization: Bearer <key>`; else 401."""

    def __init__(self, app: ASGIApp, keys: Iterable[str]) -> None:
        self.app = app
        self.keys = [key.encode() for key in keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.keys and scope.get("path", "").startswith("/v1/"):
            problem = key_problem(_header(scope, b"authorization"), self.keys)
            if problem:
                error = ServiceError(401, problem, code="invalid_api_key")
                error.headers["WWW-Authenticate"] = "Bearer"
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def key_problem(header: str | None, keys: Iterable[bytes]) -> str | None:
    """What is wrong with an `Authorization` header for these keys; None when it holds one.

    Compared in constant time against every key."""
    if not header:
        return "no API key given: send the header 'Authorization: Bearer <key>'"
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return "the Authorization header must be 'Bearer <key>'"
    given = token.strip().encode()
    matches = [hmac.compare_digest(given, key) for key in keys]
    return None if any(matches) else "the API key is not valid for this server"


def key_is_valid(header: str | None, keys: Iterable[str]) -> bool:
    """Whether an `Authorization` header holds one of `keys` (`/healthz` says more then)."""
    return key_problem(header, [key.encode() for key in keys]) is None


class BodyLimit:
    """Refuse a body over `max_bytes` with 413 before any route reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in {"GET", "HEAD", "OPTIONS"}:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared and declared.strip().isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, drain=message.get("more_body", False))
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, drain: bool = True) -> None:
        if drain:  # never past the last part: another receive() would wait for a disconnect
            await _drain(receive, limit=16 * self.max_bytes)
        error = ServiceError(
            413,
            f"the request body is larger than {self.max_bytes} bytes",
            code="request_too_large",
        )
        await error_response(error)(scope, receive, send)


async def _drain(receive: Receive, limit: int) -> None:
    """Read and drop the rest of a refused body (up to `limit`), so the client can read the 413."""
    seen = 0
    while seen <= limit:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return
        seen += len(message.get("body", b""))
