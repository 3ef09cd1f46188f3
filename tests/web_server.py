"""A loopback HTTP server that plays five search APIs and the web pages they point to.

Not a conftest: test modules and bench/web.py import it. Provider routes answer
in each API's real wire format from tests/web_fixtures/providers and check the
request the way the real API does (endpoint, method, key header or parameter),
answering 401/403/400 like it when something is missing. Page routes serve the
HTML under tests/web_fixtures/pages plus hostile cases built on the fly.

    /<provider>[-<mode>]/<the provider's own path>   mode: 429, ratelimited, 500,
        garbage, wrongshape, slow, empty, faults (searxng only)
    /pages/<file>             a fixture page (after `latency` seconds)
    /slow/<path>?delay=S      <path>, after S seconds
    /redirect?to=URL          302 to URL
    /redirect-loop/<n>        302 to /redirect-loop/<n+1>, forever
    /huge                     20 MB of HTML, streamed
    /drip                     a byte every 0.2 s for 30 s
    /drip-headers             the status line, then one header byte every 0.2 s for 30 s
    /retry-after/<seconds>    503 with that Retry-After, every time
    /status/<code>            an empty answer with that status
    /flaky/<429|503>/<token>  fails the first time per token, then serves quillmere.html
    /binary                   a PDF
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "web_fixtures"
KEYS = {
    "brave": "test-brave-key",
    "google": "test-google-key",
    "tavily": "tvly-test-key",
    "serper": "test-serper-key",
}
GOOGLE_CSE_ID = "0123456789abcdef0"
PROVIDER_PATHS = {
    "searxng": ("GET", "/search"),
    "brave": ("GET", "/res/v1/web/search"),
    "google": ("GET", "/customsearch/v1"),
    "tavily": ("POST", "/search"),
    "serper": ("POST", "/search"),
}
EMPTY_REPLIES = {
    "searxng": {"query": "", "number_of_results": 0, "results": [], "answers": []},
    "brave": {"type": "search", "query": {"original": ""}},
    "google": {"kind": "customsearch#search", "searchInformation": {"totalResults": "0"}},
    "tavily": {"query": "", "results": [], "response_time": 0.4},
    "serper": {"searchParameters": {"q": ""}, "organic": [], "credits": 1},
}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FixtureServer:
    """The server; `base` is its URL, `requests` what it was asked, in order."""

    latency: float = 0.0
    pages: dict[str, bytes] = field(default_factory=dict)  # served under /pages/ before files
    replies: dict[str, bytes] = field(default_factory=dict)  # provider fixtures overridden
    requests: list[Recorded] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counts: dict[str, int] = field(default_factory=dict)

    def start(self) -> FixtureServer:
        owner = self

        class Handler(_Handler):
            server_state = owner

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def private_base(self) -> str:
        """The same server under a name (localhost) that is not in a test's allow-list."""
        return f"http://localhost:{self.port}"

    def paths(self) -> list[str]:
        with self._lock:
            return [recorded.path for recorded in self.requests]

    def record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def bump(self, key: str) -> int:
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def provider_reply(self, name: str) -> bytes:
        if name in self.replies:
            return self.replies[name]
        text = (FIXTURES / "providers" / f"{name}.json").read_text(encoding="utf-8")
        text = text.replace("{base}", self.base).replace("{private}", self.private_base)
        return text.encode()


@contextmanager
def serving(latency: float = 0.0, **overrides: dict[str, bytes]) -> Iterator[FixtureServer]:
    """A started server (`pages=`, `replies=` override fixtures); stopped on exit."""
    server = FixtureServer(latency=latency, **overrides).start()
    try:
        yield server
    finally:
        server.stop()


def closed_port() -> int:
    """A loopback port nothing listens on (a provider that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler(BaseHTTPRequestHandler):
    server_state: FixtureServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        query = parse_qs(parts.query)
        state = self.server_state
        state.record(Recorded(self.command, parts.path, query, dict(self.headers.items()), body))
        first, _, rest = parts.path.lstrip("/").partition("/")
        provider, _, mode = first.partition("-")
        try:
            if provider in PROVIDER_PATHS:
                self._provider(provider, mode, "/" + rest, query, body)
            else:
                self._page(first, rest, query)
        except (BrokenPipeError, ConnectionResetError):
            pass

    # -- search APIs -------------------------------------------------------------------

    def _provider(self, name: str, mode: str, path: str, query: dict, body: bytes) -> None:
        method, expected_path = PROVIDER_PATHS[name]
        if path != expected_path:
            return self._send(404, b'{"error": "not found"}')
        if self.command != method:
            return self._send(405, b'{"error": "method not allowed"}')
        refusal = self._check_request(name, query, body)
        if refusal:
            return self._send(*refusal)
        state = self.server_state
        if mode == "429":
            reply = _error_body(name, 429)
            return self._send(429, reply, headers={"Retry-After": "1"})
        if mode == "ratelimited":
            return self._send(429, _error_body(name, 429), headers={"Retry-After": "3600"})
        if mode == "500":
            return self._send(500, b"Internal Server Error", "text/plain")
        if mode == "garbage":
            return self._send(
                200, b"<html><body>502 Bad Gateway (nginx)</body></html>", "text/html"
            )
        if mode == "wrongshape":
            return self._send(200, json.dumps({"status": "ok", "data": [1, 2, 3]}).encode())
        if mode == "empty":
            return self._send(200, json.dumps(EMPTY_REPLIES[name]).encode())
        if mode == "slow":
            time.sleep(3)
        fixture = "searxng_faults" if mode == "faults" else name
        self._send(200, state.provider_reply(fixture))

    def _check_request(self, name: str, query: dict, body: bytes) -> tuple | None:
        """The refusal the real API gives a malformed or unauthorised request, or None."""
        headers = self.headers
        if name == "searxng":
            if query.get("format") != ["json"]:
                return (403, b"<html><body><h1>403 Forbidden</h1></body></html>", "text/html")
            return None if query.get("q") else (400, b"Bad Request", "text/plain")
        if name == "brave":
            if headers.get("X-Subscription-Token") != KEYS["brave"]:
                return (401, _error_body("brave", 401))
            return None if query.get("q") else (422, b'{"type": "ErrorResponse"}')
        if name == "google":
            if query.get("key") != [KEYS["google"]]:
                return (400, (FIXTURES / "providers" / "google_400_key.json").read_bytes())
            if query.get("cx") != [GOOGLE_CSE_ID] or not query.get("q"):
                return (400, b'{"error": {"code": 400, "message": "Invalid Value"}}')
            return None
        payload = json.loads(body or b"{}")
        if name == "tavily":
            if headers.get("Authorization") != f"Bearer {KEYS['tavily']}":
                return (401, b'{"detail": {"error": "Unauthorized: missing or invalid API key."}}')
            return None if payload.get("query") else (400, b'{"detail": {"error": "query"}}')
        if headers.get("X-API-KEY") != KEYS["serper"]:
            return (403, b'{"message": "Unauthorized.", "statusCode": 403}')
        return None if payload.get("q") else (400, b'{"message": "Missing query"}')

    # -- web pages ---------------------------------------------------------------------

    def _page(self, first: str, rest: str, query: dict) -> None:
        state = self.server_state
        if first == "pages":
            time.sleep(state.latency)
            return self._file(rest)
        if first == "slow":
            time.sleep(float(query.get("delay", ["3"])[0]))
            return self._page(*rest.partition("/")[::2], query)
        if first == "redirect":
            return self._send(302, b"", headers={"Location": query["to"][0]})
        if first == "redirect-loop":
            step = int(rest or 0) + 1
            return self._send(302, b"", headers={"Location": f"/redirect-loop/{step}"})
        if first == "status":
            return self._send(int(rest), b"", "text/html")
        if first == "flaky":
            kind = rest.partition("/")[0]
            if state.bump(rest) == 1:
                extra = {"Retry-After": "1"} if kind == "429" else {}
                return self._send(int(kind), b"busy", "text/plain", headers=extra)
            return self._file("quillmere.html")
        if first == "huge":
            return self._huge()
        if first == "drip":
            return self._drip()
        if first == "drip-headers":
            return self._drip_headers()
        if first == "retry-after":
            return self._send(503, b"busy", "text/plain", headers={"Retry-After": rest})
        if first == "binary":
            return self._send(200, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf")
        self._send(404, b"<h1>Not found</h1>", "text/html")

    def _file(self, name: str) -> None:
        if name in self.server_state.pages:
            return self._send(200, self.server_state.pages[name], "text/html; charset=utf-8")
        path = FIXTURES / "pages" / name
        if not path.is_file():
            return self._send(404, b"<h1>Not found</h1>", "text/html")
        kind = "text/plain; charset=utf-8" if path.suffix == ".txt" else "text/html; charset=utf-8"
        self._send(200, path.read_bytes(), kind)

    def _huge(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        paragraph = b"<p>" + b"Quillmere filler text about nothing in particular. " * 40 + b"</p>\n"
        self.wfile.write(b"<html><head><title>Huge page</title></head><body><article>")
        for _ in range(20_000_000 // len(paragraph)):
            self.wfile.write(paragraph)

    def _drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        for _ in range(150):
            self.wfile.write(b"<p>.</p>")
            self.wfile.flush()
            time.sleep(0.2)

    def _drip_headers(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for byte in b"X-Slow: " + b"z" * 149:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.2)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _error_body(name: str, status: int) -> bytes:
    recorded = FIXTURES / "providers" / f"{name}_{status}.json"
    if recorded.is_file():
        return recorded.read_bytes()
    return json.dumps({"error": {"code": status, "message": "error"}}).encode()
