"""A loopback HTTP server that speaks OpenAI's /v1/chat/completions wire format.

Replies are scripted per test: each request pops the next `Reply`. The server
records every request body so tests can assert what the client sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # sent as is instead of a completion


@dataclass
class Recorder:
    replies: list[Reply]
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    url: str = ""


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _chunks(content: str) -> bytes:
    events = []
    for piece in [content[i : i + 7] for i in range(0, len(content), 7)]:
        chunk = {
            "id": "chatcmpl-test",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "test-model",
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        events.append(f"data: {json.dumps(chunk)}\n\n")
    events.append("data: [DONE]\n\n")
    return "".join(events).encode()


@contextmanager
def openai_server(replies: list[Reply]) -> Iterator[Recorder]:
    """Serve `replies` in order on 127.0.0.1; yields the recorder with `url` = base URL (…/v1)."""
    recorder = Recorder(replies=list(replies))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            recorder.requests.append(body)
            recorder.headers.append(dict(self.headers))
            reply = recorder.replies.pop(0) if recorder.replies else Reply(status=500)
            if reply.raw is not None:
                payload, kind = reply.raw, "application/json"
            elif reply.status != 200:
                error = {"error": {"message": "scripted failure", "type": "server_error"}}
                payload, kind = json.dumps(error).encode(), "application/json"
            elif body.get("stream"):
                payload, kind = _chunks(reply.content), "text/event-stream"
            else:
                payload, kind = json.dumps(_completion(reply.content)).encode(), "application/json"
            self.send_response(reply.status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()
