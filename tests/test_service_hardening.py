"""A client cannot steer the server, crash it with bad Unicode, hold it with dead requests, or
forge its log; on a real uvicorn server with a scripted grounder (tests/test_service_limits.py).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from grounding.errors import ConfigError, IndexNotFoundError
from grounding.service import Engine, GrounderKey, ServiceSettings, create_app
from grounding.service.errors import from_grounding_error
from tests.service_server import thread_server
from tests.test_service_limits import ScriptedGrounder, _in_flight, _wait_for


class CountingFactory:
    """Scripted grounders, counting the keys built and the questions asked."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate
        self.built: list[GrounderKey] = []
        self.asked = 0
        self._lock = threading.Lock()

    def __call__(self, key: GrounderKey) -> ScriptedGrounder:
        self.built.append(key)
        factory = self

        class Counted(ScriptedGrounder):
            def stream(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                with factory._lock:
                    factory.asked += 1
                return super().stream(*args, **kwargs)

        return Counted(self.gate)


def _ground(url: str, **body: object) -> requests.Response:
    return requests.post(f"{url}/v1/ground", json={"question": "When?", **body}, timeout=60)


def test_clients_get_only_what_the_operator_allowed(tmp_path: Path) -> None:
    (tmp_path / "grounding-home" / "indexes" / "private").mkdir(parents=True)  # exists on disk
    factory = CountingFactory()
    settings = ServiceSettings(allowed_decoders=frozenset({"gemma"}))
    with thread_server(create_app(settings, factory=factory)) as url:
        started = list(factory.built)
        assert {key.decoder for key in started} == {"extractive", "gemma"}  # loaded at start
        assert _ground(url, decoder="gemma").status_code == 200
        refused = {
            "decoder": _ground(url, decoder="openai"),
            "index": _ground(url, index="private"),
            "web": _ground(url, web="brave"),
        }
        missing = _ground(url, index="no-such-index")
        scorer = requests.post(
            f"{url}/v1/check",
            json={"answer": "It was lit.", "sources": ["It was lit."], "scorer": "cross-encoder"},
            timeout=60,
        )
    for field, response in refused.items():
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == f"{field}_not_allowed"
    # an index that exists and one that does not look the same from outside
    assert missing.json()["error"]["message"] == refused["index"].json()["error"][
        "message"
    ].replace("private", "no-such-index")
    assert scorer.status_code == 400 and scorer.json()["error"]["code"] == "scorer_not_allowed"
    assert factory.built == started  # no request built anything


def test_web_search_is_on_only_as_the_server_was_started() -> None:
    factory = CountingFactory()
    settings = ServiceSettings(web="searxng")
    with thread_server(create_app(settings, factory=factory)) as url:
        assert _ground(url).status_code == 200
        assert _ground(url, web="searxng").status_code == 200
        assert _ground(url, web="brave").status_code == 400
    assert {key.web for key in factory.built} == {"searxng"}


def test_no_lock_shared_by_all_requests_is_held_while_a_grounder_is_built() -> None:
    release = threading.Event()

    def factory(key: GrounderKey) -> ScriptedGrounder:
        if key.decoder == "slow":
            release.wait(timeout=30)
        return ScriptedGrounder()

    engine = Engine(ServiceSettings(preload=False), factory)
    default = engine.grounder(engine.default_key)
    engine.scorer("overlap")
    slow = threading.Thread(target=engine.grounder, args=(GrounderKey(None, None, "slow"),))
    slow.start()
    time.sleep(0.2)  # the slow build is under way
    started = time.monotonic()
    assert engine.grounder(engine.default_key) is default
    assert engine.scorer("overlap") is engine.scorer("overlap")
    assert time.monotonic() - started < 1.0
    assert slow.is_alive()
    release.set()
    slow.join(timeout=30)
    engine.close()


LONE = '"\\ud800 When?"'
PAIR = '"\\ud83d\\ude00 When?"'  # a valid pair (an emoji) passes


CHAT = '{"model": "grounding", %s"messages": [{"role": "user", "content": %s}]}'


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v1/ground", '{"question": %s}'),
        ("/v1/chat/completions", CHAT % ("", "%s")),
        ("/v1/chat/completions", CHAT % ('"stream": true, ', "%s")),
        ("/v1/chat/completions", CHAT % ("", '[{"type": "text", "text": %s}]')),
        ("/v1/check", '{"answer": %s, "sources": ["It was lit in 1874."]}'),
        ("/v1/check", '{"answer": "It was lit.", "sources": [%s]}'),
    ],
)
def test_a_lone_surrogate_is_a_400_not_a_500(path: str, template: str) -> None:
    app = create_app(ServiceSettings(), factory=CountingFactory())
    with thread_server(app) as url:
        headers = {"Content-Type": "application/json"}
        bad = requests.post(url + path, data=template % LONE, headers=headers, timeout=60)
        good = requests.post(url + path, data=template % PAIR, headers=headers, timeout=60)
    assert bad.status_code == 400, bad.text
    assert bad.json()["error"]["code"] == "invalid_request"
    assert good.status_code == 200, good.text


def test_the_surrogate_error_says_what_is_wrong() -> None:
    with thread_server(create_app(ServiceSettings(), factory=CountingFactory())) as url:
        data = '{"question": ' + LONE + "}"
        response = requests.post(
            f"{url}/v1/ground", data=data, headers={"Content-Type": "application/json"}, timeout=60
        )
    assert response.status_code == 400 and "surrogate" in response.json()["error"]["message"]


def _send_and_hang_up(url: str, count: int, stream: bool) -> list[socket.socket]:
    """Open `count` raw connections, each sending a whole request; return them still open."""
    parts = urlsplit(url)
    body = json.dumps(
        {"model": "grounding", "stream": stream, "messages": [{"role": "user", "content": "Q?"}]}
    ).encode()
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((parts.hostname, parts.port))
        sock.sendall(head + body)
        sockets.append(sock)
    return sockets


def test_queued_work_of_departed_clients_is_cancelled() -> None:
    gate = threading.Event()
    factory = CountingFactory(gate)
    settings = ServiceSettings(max_concurrent=1, max_queue=16)
    with thread_server(create_app(settings, factory=factory)) as url:
        asked_at_start = factory.asked
        held = threading.Thread(target=_ground, args=(url,))
        held.start()
        _wait_for(lambda: _in_flight(url) == 1)
        departed = _send_and_hang_up(url, 4, stream=False) + _send_and_hang_up(url, 3, stream=True)
        _wait_for(lambda: _in_flight(url) == 8)
        for sock in departed:
            sock.close()
        _wait_for(lambda: _in_flight(url) == 1)  # the queue is empty again
        gate.set()
        held.join(timeout=30)
        _wait_for(lambda: _in_flight(url) == 0)
    assert factory.asked - asked_at_start == 1  # only the client that stayed was answered


def test_the_access_log_keeps_one_line_per_request(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="grounding.service.access")
    with thread_server(create_app(ServiceSettings(), factory=CountingFactory())) as url:
        forged = "/v1/models%0Arequest_id=forged%20status=200%0D%E2%80%A8x%5Cn"
        assert requests.get(url + forged, timeout=60).status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "grounding.service.access"]
    (line,) = [line for line in lines if "forged" in line]
    assert "\n" not in line and "\r" not in line and "\u2028" not in line
    assert "path=/v1/models\\nrequest_id=forged status=200\\r\\u2028x\\\\n" in line


def test_error_bodies_never_show_server_paths() -> None:
    missing = from_grounding_error(IndexNotFoundError("no index 'x' (looked in /srv/home/x)"))
    assert missing.status == 404 and "/srv" not in missing.body.message
    config = from_grounding_error(ConfigError("set OPENAI_BASE_URL in /etc/grounding.env"))
    assert config.status == 500 and "/etc" not in config.body.message
