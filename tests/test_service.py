"""The HTTP service, started for real with `grounding serve` on the demo index.

Driven with the official `openai` client (sync and streaming) and `requests`;
every response is also checked against the service's own OpenAPI document.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from grounding.schema import GroundedAnswer, GroundingMetadata, SupportReport
from tests.service_server import cli_server

pytestmark = pytest.mark.slow

KEY = "sk-test-4f9a1c"
QUESTION = "When was the Varnholt Head Lighthouse first lit?"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service") / "server.log"


@pytest.fixture(scope="module")
def server(log_path: Path, grounding_exe: str) -> Iterator[str]:
    """`grounding serve` on the demo index, with two API keys configured."""
    env = {"GROUNDING_API_KEYS": f"other-key, {KEY}", "TOKENIZERS_PARALLELISM": "false"}
    args = ["--decoder", "extractive", "--max-concurrent", "2", "--allow-scorers", "overlap"]
    with cli_server(grounding_exe, log_path.parent / "home", log_path, args, env) as url:
        yield url


@pytest.fixture(scope="module")
def client(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key=KEY, max_retries=0, timeout=60)


def _user(text: str = QUESTION) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def _assert_grounded(answer: str, metadata: GroundingMetadata, n_sources: int) -> None:
    assert answer.strip()
    assert metadata.grounding_chunks, "the answer names its sources"
    assert metadata.grounding_supports, "segments of the answer are tied to sources"
    for support in metadata.grounding_supports:
        segment = support.segment
        assert answer[segment.start_index : segment.end_index] == segment.text
        assert all(1 <= index <= n_sources for index in support.grounding_chunk_indices)


def test_openai_client_gets_a_grounded_answer(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="grounding", messages=_user())
    content = completion.choices[0].message.content or ""
    extra = completion.model_extra or {}
    metadata = GroundingMetadata.model_validate(extra["grounding_metadata"])
    support = SupportReport.model_validate(extra["support"])
    assert completion.object == "chat.completion"
    assert completion.choices[0].finish_reason == "stop"
    assert "1874" in content
    _assert_grounded(content, metadata, len(extra["sources"]))
    assert support.supported and support.claims
    assert all(content[c.start : c.end] == c.text for c in support.claims)


def test_max_tokens_is_honoured_and_a_cut_answer_says_length(client: openai.OpenAI) -> None:
    full = client.chat.completions.create(model="grounding", messages=_user())
    cut = client.chat.completions.create(model="grounding", messages=_user(), max_tokens=3)
    assert full.choices[0].finish_reason == "stop"
    assert cut.choices[0].finish_reason == "length"
    assert len(cut.choices[0].message.content or "") <= len(full.choices[0].message.content or "")
    stream = client.chat.completions.create(
        model="grounding", messages=_user(), max_tokens=3, stream=True
    )
    reasons = [chunk.choices[0].finish_reason for chunk in stream if chunk.choices]
    assert reasons[-1] == "length"


def test_openai_streaming_matches_the_sync_answer(client: openai.OpenAI) -> None:
    sync = client.chat.completions.create(model="grounding", messages=_user())
    chunks = list(client.chat.completions.create(model="grounding", messages=_user(), stream=True))
    assert all(chunk.object == "chat.completion.chunk" for chunk in chunks)
    assert len({chunk.id for chunk in chunks}) == 1
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    last = chunks[-1]
    extra = last.model_extra or {}
    assert last.choices[0].finish_reason == "stop"
    assert all(chunk.choices[0].finish_reason is None for chunk in chunks[:-1])
    assert extra["answer"] == sync.choices[0].message.content
    assert streamed.strip() == extra["answer"].strip()
    metadata = GroundingMetadata.model_validate(extra["grounding_metadata"])
    _assert_grounded(extra["answer"], metadata, len(extra["sources"]))
    assert SupportReport.model_validate(extra["support"]) == SupportReport.model_validate(
        (sync.model_extra or {})["support"]
    )


def test_stream_is_server_sent_events_ending_in_done(server: str) -> None:
    body = {"model": "grounding", "messages": _user(), "stream": True}
    response = requests.post(
        f"{server}/v1/chat/completions", json=body, headers=AUTH, stream=True, timeout=60
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [line for line in response.iter_lines(decode_unicode=True) if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    final = json.loads(events[-2].removeprefix("data: "))
    assert set(final) >= {"grounding_metadata", "support", "sources", "answer"}


def test_conversation_history_is_accepted(client: openai.OpenAI) -> None:
    messages = [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "When does the winter ferry leave?"},
        {"role": "assistant", "content": "I do not know."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "How many steps lead to the lantern room "},
                {"type": "text", "text": "of the lighthouse?"},
            ],
        },
    ]
    completion = client.chat.completions.create(model="grounding", messages=messages)  # type: ignore[arg-type]
    assert "142" in (completion.choices[0].message.content or "")


def test_a_follow_up_question_is_searched_with_the_earlier_turns(client: openai.OpenAI) -> None:
    """ "When is it held?" alone finds the schools page first; after the festival question,
    the search borrows that turn (grounding.retrieval.query) and finds the festival."""
    follow_up = {"role": "user", "content": "When is it held?"}
    conversation = [
        {"role": "user", "content": "What is the herring festival?"},
        {"role": "assistant", "content": "A yearly festival in Varnholt."},
        follow_up,
    ]

    def first_source(messages: list[dict[str, str]]) -> str:
        completion = client.chat.completions.create(model="grounding", messages=messages)  # type: ignore[arg-type]
        sources = (completion.model_extra or {})["sources"]  # numbered by citation
        best = min(sources, key=lambda source: source["rank"])  # the best retrieved
        return str(best["uri"]).rsplit("/", 1)[-1]

    assert first_source([follow_up]) != "herring-festival.md"  # alone it means nothing
    assert first_source(conversation) == "herring-festival.md"


def test_models_lists_the_one_model(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["grounding"]
    assert client.models.retrieve("grounding").id == "grounding"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_ground_returns_the_answer_json(server: str) -> None:
    response = requests.post(
        f"{server}/v1/ground", json={"question": QUESTION}, headers=AUTH, timeout=60
    )
    assert response.status_code == 200, response.text
    answer = GroundedAnswer.model_validate(response.json())
    assert "1874" in answer.answer
    assert [source.index for source in answer.sources] == list(range(1, len(answer.sources) + 1))
    assert set(answer.timings) == {"retrieval", "generation", "checking"}
    _assert_grounded(answer.answer, answer.grounding_metadata, len(answer.sources))
    assert answer.answered and answer.grounding_metadata.retrieval_metadata.reranker == "none"


def test_a_question_the_sources_do_not_answer_comes_back_refused(server: str) -> None:
    question = "Which version of libffi first added support for RISC-V?"
    ground = requests.post(
        f"{server}/v1/ground", json={"question": question}, headers=AUTH, timeout=60
    ).json()
    assert ground["answered"] is False and ground["reason"]  # the documented fields
    assert ground["support"]["claims"] == []  # a refusal is not scored as a hallucination
    chat = _chat(server, {"model": "grounding", "messages": _user(question)}).json()
    assert chat["answered"] is False and chat["reason"] == ground["reason"]


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"question": QUESTION, "index": "no-such-index"}, 400, "index"),
        ({"question": QUESTION, "index": "../../etc"}, 400, "index"),
        ({"question": QUESTION, "decoder": "no-such-decoder"}, 400, "decoder"),
        ({"question": "   "}, 400, "question"),
        ({"question": "x" * 20_000}, 400, "question"),
        ({"index": "demo"}, 400, "question"),
    ],
)
def test_ground_rejects_bad_input(server: str, body: dict, status: int, param: str | None) -> None:
    response = requests.post(f"{server}/v1/ground", json=body, headers=AUTH, timeout=60)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"] and error["type"] and error["param"] == param


def test_a_decoder_the_operator_did_not_allow_is_refused_before_any_work(server: str) -> None:
    body = {"question": QUESTION, "decoder": "openai"}  # a registered decoder, not allowed here
    response = requests.post(f"{server}/v1/ground", json=body, headers=AUTH, timeout=60)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "decoder_not_allowed"
    assert error["message"] == "decoder 'openai' is not served here; this server serves: extractive"


def test_check_scores_supported_above_unsupported(server: str) -> None:
    sources = ["The Varnholt Head Lighthouse was first lit at dusk on 14 October 1874."]
    good = {"answer": "The lighthouse was first lit in October 1874.", "sources": sources}
    bad = {
        "answer": "The lighthouse was first lit in 1874. Martians painted it purple in 1990.",
        "sources": sources,
        "scorer": "overlap",
    }
    supported = requests.post(f"{server}/v1/check", json=good, headers=AUTH, timeout=60)
    unsupported = requests.post(f"{server}/v1/check", json=bad, headers=AUTH, timeout=60)
    assert supported.status_code == unsupported.status_code == 200
    good_report = SupportReport.model_validate(supported.json())
    bad_report = SupportReport.model_validate(unsupported.json())
    assert good_report.supported and not bad_report.supported
    assert good_report.score > bad_report.score
    assert good_report.claims[0].citations == [1]
    assert any("Martians" in span.text for span in bad_report.unsupported_spans)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"answer": "", "sources": ["text"]}, "InputError"),
        ({"answer": "Something.", "sources": []}, "InputError"),
        ({"answer": "Something.", "sources": ["text"], "scorer": "nope"}, "scorer_not_allowed"),
        ({"answer": "S.", "sources": ["t"], "scorer": "cross-encoder"}, "scorer_not_allowed"),
        ({"answer": "Something.", "sources": ["t"] * 101}, "too_many_sources"),
        ({"answer": "Something."}, "invalid_request"),
    ],
)
def test_check_rejects_bad_input(server: str, body: dict, code: str) -> None:
    response = requests.post(f"{server}/v1/check", json=body, headers=AUTH, timeout=60)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code


def _chat(server: str, body: object, headers: dict[str, str] = AUTH) -> requests.Response:
    return requests.post(f"{server}/v1/chat/completions", json=body, headers=headers, timeout=60)


def _error(response: requests.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    error: dict[str, str] = response.json()["error"]
    assert set(error) >= {"message", "type", "code"} and error["message"]
    return error


def test_invalid_json_is_400(server: str) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    response = requests.post(
        f"{server}/v1/chat/completions", data=b'{"model": ', headers=headers, timeout=60
    )
    assert "JSON" in _error(response, 400)["message"]


def test_unknown_model_is_404_for_the_openai_client(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=_user())
    assert caught.value.code == "model_not_found"


def test_empty_messages_is_400_for_the_openai_client(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="grounding", messages=[])
    assert caught.value.code == "empty_messages"


def test_oversized_body_is_413(server: str) -> None:
    body = {"model": "grounding", "messages": _user("lighthouse " * 120_000)}
    assert _error(_chat(server, body), 413)["code"] == "request_too_large"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"messages": _user() * 65}, "too_many_messages"),
        ({"messages": _user("x" * 16_001)}, "message_too_long"),
        ({"max_tokens": 1_000_000}, "max_tokens_too_large"),
        ({"max_completion_tokens": 5000}, "max_tokens_too_large"),
        ({"max_tokens": 0}, "invalid_request"),
        ({"messages": [*_user(), {"role": "assistant", "content": "Hi."}]}, "no_question"),
        ({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}, None),
        ({"messages": [{"role": "robot", "content": "Hi."}]}, "invalid_request"),
        ({"messages": "When?"}, "invalid_request"),
    ],
)
def test_bad_chat_input_is_400(server: str, extra: dict, code: str | None) -> None:
    body = {"model": "grounding", "messages": _user(), **extra}
    assert _error(_chat(server, body), 400)["code"] == code


def test_wrong_or_missing_key_is_401(server: str) -> None:
    wrong = openai.OpenAI(base_url=f"{server}/v1", api_key="sk-wrong", max_retries=0, timeout=60)
    with pytest.raises(openai.AuthenticationError):
        wrong.chat.completions.create(model="grounding", messages=_user())
    missing = requests.post(
        f"{server}/v1/check", json={"answer": "a", "sources": ["a"]}, timeout=60
    )
    assert _error(missing, 401)["code"] == "invalid_api_key"
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    basic = _chat(server, {}, headers={"Authorization": f"Basic {KEY}"})
    assert _error(basic, 401)["code"] == "invalid_api_key"
    assert requests.get(f"{server}/healthz", timeout=60).json()["status"] == "ok"


def test_request_ids_and_an_access_log_without_secrets(server: str, log_path: Path) -> None:
    marker = "Which zebra-crossing on Quillon Street is oldest?"
    echoed = _chat(server, {"model": "grounding", "messages": _user(marker)},
                   headers={**AUTH, "X-Request-ID": "trace-123"})  # fmt: skip
    assert echoed.status_code == 200
    assert echoed.headers["X-Request-ID"] == "trace-123"
    fresh = requests.get(f"{server}/v1/models", headers=AUTH, timeout=60).headers["X-Request-ID"]
    assert len(fresh) == 32
    answered = _chat(server, {"model": "grounding", "messages": _user()})
    source_text = answered.json()["sources"][0]["text"]
    log = log_path.read_text(encoding="utf-8")
    line = next(line for line in log.splitlines() if "request_id=trace-123" in line)
    assert "path=/v1/chat/completions status=200" in line
    assert "retrieval_ms=" in line and "support=" in line  # refused before generating
    answered_id = answered.headers["X-Request-ID"]
    full = next(line for line in log.splitlines() if f"request_id={answered_id}" in line)
    for stage in ("retrieval_ms=", "generation_ms=", "checking_ms=", "support="):
        assert stage in full
    assert f"request_id={fresh}" in log
    assert KEY not in log and "zebra-crossing" not in log
    assert source_text[:60] not in log


_CONFORMANCE = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def test_every_response_matches_the_openapi_document(server: str) -> None:
    """Generated requests for every operation, and each success path, match /openapi.json."""
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/chat/completions", "/v1/ground", "/v1/check"}
    calls = 0
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        def generated(case: schemathesis.Case) -> None:
            nonlocal calls
            calls += 1
            case.validate_response(case.call(base_url=server, headers=AUTH), checks=_CONFORMANCE)

        generated()
    chat = {"model": "grounding", "messages": _user()}
    explicit = [
        ("/v1/chat/completions", "POST", chat, 200),
        ("/v1/chat/completions", "POST", {**chat, "stream": True}, 200),
        ("/v1/chat/completions", "POST", {**chat, "model": "x"}, 404),
        ("/v1/ground", "POST", {"question": QUESTION}, 200),
        ("/v1/check", "POST", {"answer": "Lit in 1874.", "sources": ["Lit in 1874."]}, 200),
        ("/v1/check", "POST", {"answer": "", "sources": ["Lit in 1874."]}, 400),
    ]
    for path, method, body, status in explicit:
        case = schema[path][method].Case(body=body, media_type="application/json")
        response = case.call(base_url=server, headers=AUTH)
        assert response.status_code == status
        case.validate_response(response, checks=_CONFORMANCE)
    for path, params in [
        ("/healthz", {}),
        ("/v1/models", {}),
        ("/v1/models/{model}", {"model": "grounding"}),
    ]:
        case = schema[path]["GET"].Case(path_parameters=params)
        case.validate_response(case.call(base_url=server, headers=AUTH), checks=_CONFORMANCE)
    assert calls >= len(operations)


def test_serve_with_a_missing_index_fails_in_one_line(grounding_exe: str, tmp_path: Path) -> None:
    env = {**os.environ, "GROUNDING_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [grounding_exe, "serve", "--index", "no-such-index", "--port", "0"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("error: no index 'no-such-index'")
    assert "Traceback" not in done.stderr
