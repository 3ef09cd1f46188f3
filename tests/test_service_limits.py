"""Admission control, deadlines and stream failures of the service, on a real uvicorn server.

The pipeline is replaced by a small scripted grounder (through the app's
factory seam) so a test can hold a generation open or make it fail at a
chosen point; everything between the socket and the grounder is real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest
import requests

from grounding.checking import check
from grounding.errors import DecoderError, InputError
from grounding.schema import Delta, Final, GroundedAnswer, GroundingMetadata, Message, Source
from grounding.service import GrounderKey, ServiceSettings, create_app, parse_api_keys
from tests.service_server import thread_server

SOURCE = "The Varnholt Head Lighthouse was first lit in 1874."
ANSWER = "The lighthouse was first lit in 1874 [1]."


class ScriptedGrounder:
    """Answers ANSWER; waits for `gate` first, and raises `fail` after `fail_after` pieces."""

    def __init__(
        self,
        gate: threading.Event | None = None,
        fail: Exception | None = None,
        fail_after: int = 0,
    ) -> None:
        self.gate = gate
        self.fail = fail
        self.fail_after = fail_after

    def ask(
        self, question: str, history: Sequence[Message] = (), max_tokens: int | None = None
    ) -> GroundedAnswer:
        *_, final = self.stream(question, history)
        assert isinstance(final, Final)
        return final.answer

    def stream(
        self, question: str, history: Sequence[Message] = (), max_tokens: int | None = None
    ) -> Iterator[Delta | Final]:
        if self.gate is not None:
            self.gate.wait(timeout=30)
        for number, word in enumerate(ANSWER.split(" ")):
            if self.fail is not None and number == self.fail_after:
                raise self.fail
            yield Delta(word if number == 0 else f" {word}")
        source = Source(
            index=1, title="Lighthouse", uri="demo://lighthouse", text=SOURCE, origin="local"
        )
        yield Final(
            GroundedAnswer(
                answer=ANSWER,
                sources=[source],
                grounding_metadata=GroundingMetadata(),
                support=check(ANSWER, [SOURCE]),
            )
        )


def _serve(grounder: ScriptedGrounder, **limits: object) -> Callable[[], object]:
    settings = ServiceSettings(**limits)  # type: ignore[arg-type]
    return lambda: thread_server(create_app(settings, factory=lambda key: grounder))


def _in_flight(url: str) -> int:
    return int(requests.get(f"{url}/healthz", timeout=60).json()["in_flight"])


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "condition not met within 10 s"
        time.sleep(0.01)


def test_past_the_queue_a_request_gets_429() -> None:
    gate = threading.Event()
    with _serve(ScriptedGrounder(gate), max_concurrent=1, max_queue=0)() as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0, timeout=60)
        with ThreadPoolExecutor(1) as pool:
            held = pool.submit(
                requests.post, f"{url}/v1/ground", json={"question": "When?"}, timeout=60
            )
            _wait_for(lambda: _in_flight(url) == 1)
            with pytest.raises(openai.RateLimitError) as caught:
                client.chat.completions.create(
                    model="grounding", messages=[{"role": "user", "content": "When?"}]
                )
            assert caught.value.response.headers["Retry-After"] == "1"
            assert caught.value.code == "server_busy"
            gate.set()
            assert held.result(timeout=30).status_code == 200
        _wait_for(lambda: _in_flight(url) == 0)


def test_a_slow_generation_gets_504_and_a_waiting_one_503() -> None:
    gate = threading.Event()
    serve = _serve(ScriptedGrounder(gate), max_concurrent=1, max_queue=1, request_timeout_s=0.5)
    with serve() as url:
        running = requests.post(f"{url}/v1/ground", json={"question": "When?"}, timeout=60)
        assert running.status_code == 504 and running.json()["error"]["code"] == "timeout"
        assert _in_flight(url) == 1, "the timed-out worker still counts until it ends"
        waiting = requests.post(f"{url}/v1/ground", json={"question": "When?"}, timeout=60)
        assert waiting.status_code == 503 and waiting.json()["error"]["code"] == "no_capacity"
        gate.set()
        _wait_for(lambda: _in_flight(url) == 0)
        assert (
            requests.post(f"{url}/v1/ground", json={"question": "When?"}, timeout=60).status_code
            == 200
        )


def test_a_failure_mid_stream_reaches_the_openai_client_as_an_error() -> None:
    grounder = ScriptedGrounder(fail=DecoderError("the endpoint hung up"), fail_after=3)
    with _serve(grounder)() as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="none", max_retries=0, timeout=60)
        stream = client.chat.completions.create(
            model="grounding", messages=[{"role": "user", "content": "When?"}], stream=True
        )
        pieces: list[str] = []
        with pytest.raises(openai.APIError, match="upstream failed"):
            for chunk in stream:
                pieces.append(chunk.choices[0].delta.content or "")
        assert "".join(pieces) == "The lighthouse was"
        _wait_for(lambda: _in_flight(url) == 0)


def test_a_failure_before_the_first_piece_is_a_plain_4xx() -> None:
    grounder = ScriptedGrounder(fail=InputError("the question is empty"), fail_after=0)
    with _serve(grounder)() as url:
        body = {
            "model": "grounding",
            "stream": True,
            "messages": [{"role": "user", "content": "?"}],
        }
        response = requests.post(f"{url}/v1/chat/completions", json=body, timeout=60)
        assert response.status_code == 400
        assert response.json()["error"] == {
            "message": "the question is empty",
            "type": "invalid_request_error",
            "param": None,
            "code": "InputError",
        }


@pytest.mark.parametrize("pieces", [1, 50], ids=["one-piece", "many-pieces"])
def test_a_chunked_body_over_the_limit_is_413_and_no_keys_means_no_auth(pieces: int) -> None:
    """Without Content-Length the limit is counted as the body arrives, whole or in pieces."""
    with _serve(ScriptedGrounder(), max_body_bytes=1000)() as url:

        def chunks() -> Iterator[bytes]:
            text = b'{"answer": "' + b"x" * 5000 + b'", "sources": ["x"]}'
            size = -(-len(text) // pieces)
            for start in range(0, len(text), size):
                yield text[start : start + size]

        response = requests.post(
            f"{url}/v1/check",
            data=chunks(),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"
        small = requests.post(
            f"{url}/v1/check", json={"answer": ANSWER, "sources": [SOURCE]}, timeout=60
        )
        assert small.status_code == 200 and small.json()["supported"] is True


def test_allowed_grounders_are_built_at_start_and_once() -> None:
    built: list[GrounderKey] = []

    def factory(key: GrounderKey) -> ScriptedGrounder:
        built.append(key)
        return ScriptedGrounder()

    settings = ServiceSettings(
        index="demo", max_cached_grounders=2, allowed_decoders=frozenset({"a", "b", "c"})
    )
    with thread_server(create_app(settings, factory=factory)) as url:
        assert [key.decoder for key in built] == ["extractive", "a", "b", "c"]  # before any request
        for decoder in ("a", "b", "a", "c", "a"):
            body = {"question": "When?", "decoder": decoder}
            assert requests.post(f"{url}/v1/ground", json=body, timeout=60).status_code == 200
    assert len(built) == 4  # all four kept, though max_cached_grounders is 2
    assert all(key.index == "demo" for key in built)


def test_api_keys_come_from_a_comma_separated_list() -> None:
    assert parse_api_keys(" a, b ,,c ") == frozenset({"a", "b", "c"})
    assert parse_api_keys("") == frozenset() == parse_api_keys(None)
