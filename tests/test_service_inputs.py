"""The service's inputs are what they claim to be, and /healthz tells strangers little
(issue 26, item 8); on a real uvicorn server with a scripted grounder."""

from __future__ import annotations

import pytest
import requests

from grounding.service import ServiceSettings, create_app
from tests.service_server import thread_server
from tests.test_service_limits import ScriptedGrounder

CHAT = {"model": "grounding", "messages": [{"role": "user", "content": "When was it lit?"}]}


def _app(**settings: object) -> object:
    values: dict[str, object] = {"index": "secret-notes", "preload": False, **settings}
    return create_app(ServiceSettings(**values), factory=lambda key: ScriptedGrounder())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/chat/completions", {**CHAT, "stream": "yes"}, "stream"),
        ("/v1/chat/completions", {**CHAT, "stream": 1}, "stream"),
        ("/v1/chat/completions", {**CHAT, "max_tokens": True}, "max_tokens"),
        ("/v1/chat/completions", {**CHAT, "max_tokens": "64"}, "max_tokens"),
        ("/v1/chat/completions", {**CHAT, "max_completion_tokens": 1.5}, "max_completion_tokens"),
        ("/v1/chat/completions", {**CHAT, "n": True}, "n"),
        ("/v1/ground", {"question": "When?", "repair": "yes"}, "repair"),
        ("/v1/ground", {"question": "When?", "best_of": True}, "best_of"),
    ],
)
def test_non_boolean_and_non_integer_fields_are_a_400(path: str, body: dict, param: str) -> None:
    with thread_server(_app()) as url:
        response = requests.post(url + path, json=body, timeout=60)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and param in error["message"]


def test_real_booleans_and_integers_still_work() -> None:
    with thread_server(_app()) as url:
        response = requests.post(
            url + "/v1/chat/completions", json={**CHAT, "stream": False, "max_tokens": 64},
            timeout=60,
        )  # fmt: skip
    assert response.status_code == 200, response.text


def test_check_caps_sources_per_request_and_their_size() -> None:
    with thread_server(_app()) as url:
        many = requests.post(
            url + "/v1/check", json={"answer": "It was lit.", "sources": ["Lit."] * 65}, timeout=60
        )
        long = requests.post(
            url + "/v1/check",
            json={"answer": "It was lit.", "sources": ["Lit.", "x " * 10_001]},
            timeout=60,
        )
    assert many.status_code == 400 and many.json()["error"]["code"] == "too_many_sources"
    assert "65 sources; the limit is 64" in many.json()["error"]["message"]
    assert long.status_code == 400 and long.json()["error"]["code"] == "source_too_long"
    assert "source 2 has 20002 characters" in long.json()["error"]["message"]


def test_healthz_names_the_index_only_to_callers_with_a_key() -> None:
    with thread_server(_app(api_keys=frozenset({"sk-right"}))) as url:
        anonymous = requests.get(url + "/healthz", timeout=60)
        wrong = requests.get(url + "/healthz", headers={"Authorization": "Bearer x"}, timeout=60)
        keyed = requests.get(
            url + "/healthz", headers={"Authorization": "Bearer sk-right"}, timeout=60
        )
    assert anonymous.status_code == wrong.status_code == keyed.status_code == 200
    assert anonymous.json() == wrong.json() == {"status": "ok"}
    assert keyed.json()["index"] == "secret-notes" and keyed.json()["status"] == "ok"
    assert "in_flight" in keyed.json()


def test_healthz_without_keys_configured_says_what_it_serves() -> None:
    with thread_server(_app()) as url:
        body = requests.get(url + "/healthz", timeout=60).json()
    assert body["index"] == "secret-notes" and body["capacity"] >= 1
