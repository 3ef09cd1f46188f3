"""Each decoder, with real parts: a loopback OpenAI-compatible server, the real embedder, Gemma."""

from __future__ import annotations

import pytest

from grounding.errors import ConfigError, DecoderError
from grounding.generation.base import whole, written
from grounding.generation.citations import parse_citations
from grounding.generation.decoders import get_decoder
from grounding.generation.prompt import build_prompt
from grounding.schema import Source
from tests.openai_server import Reply, openai_server

SOURCES = [
    Source(
        index=1,
        title="Harbour",
        uri="harbour.md",
        text="The harbour has forty berths. A fish market opens there on Saturdays.",
        origin="local",
    ),
    Source(
        index=2,
        title="Lighthouse",
        uri="lighthouse.md",
        text="The Varnholt lighthouse was first lit on 3 March 1874. Its first keeper was "
        "Ingrid Sollberg, who kept it for thirty-one years.",
        origin="local",
    ),
]
QUESTION = "When was the Varnholt lighthouse first lit?"


def _prompt(decoder):
    return build_prompt(QUESTION, SOURCES, decoder.count_tokens, decoder.context_tokens - 128)


def test_openai_decoder_streams_the_reply_and_sends_the_fenced_prompt(monkeypatch) -> None:
    with openai_server([Reply("It was first lit in 1874 [2].")]) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("GROUNDING_MODEL", "test-model")
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        decoder = get_decoder("openai")
        pieces = list(decoder.stream(_prompt(decoder), max_tokens=64))
    assert len(pieces) > 1 and "".join(pieces) == "It was first lit in 1874 [2]."
    sent = server.requests[0]
    assert sent["model"] == "test-model" and sent["stream"] is True and sent["max_tokens"] == 64
    assert sent["messages"][0]["role"] == "system"
    assert '<source id="2" title="Lighthouse">' in sent["messages"][-1]["content"]
    assert server.headers[0]["Authorization"] == "Bearer sk-test"


def test_openai_decoder_retries_429_and_5xx_honouring_retry_after() -> None:
    replies = [
        Reply(status=429, headers={"Retry-After": "0"}),
        Reply(status=503),
        Reply("Fine [1]."),
    ]
    with openai_server(replies) as server:
        decoder = get_decoder("openai", base_url=server.url, model="m", retries=3)
        assert whole(written(decoder, _prompt(decoder))).text == "Fine [1]."
    assert len(server.requests) == 3


def test_openai_decoder_gives_up_with_a_decoder_error() -> None:
    with openai_server([Reply(status=500), Reply(status=500)]) as server:
        decoder = get_decoder("openai", base_url=server.url, model="m", retries=1)
        with pytest.raises(DecoderError, match="500"):
            whole(written(decoder, _prompt(decoder)))


def test_openai_decoder_reports_an_unreachable_endpoint() -> None:
    decoder = get_decoder("openai", base_url="http://127.0.0.1:9/v1", model="m", retries=0)
    with pytest.raises(DecoderError, match="cannot reach"):
        whole(written(decoder, _prompt(decoder)))


def test_openai_decoder_without_configuration_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        get_decoder("openai")


def test_unknown_decoder_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="extractive, gemma, openai"):
        get_decoder("gpt-9")


@pytest.mark.slow
def test_extractive_decoder_answers_from_the_best_sentence_and_cites_it() -> None:
    decoder = get_decoder("extractive")
    answer = whole(written(decoder, _prompt(decoder))).text
    assert answer.startswith("The Varnholt lighthouse was first lit on 3 March 1874 [2].")
    parsed = parse_citations(answer, len(SOURCES))
    assert parsed.segments[0].indices == (2,) and parsed.dropped == ()
    assert whole(written(decoder, _prompt(decoder))).text == answer  # deterministic


@pytest.mark.slow
def test_extractive_decoder_declines_when_nothing_is_relevant() -> None:
    decoder = get_decoder("extractive")
    prompt = build_prompt(
        "What is the boiling point of mercury?", SOURCES, decoder.count_tokens, 4000
    )
    assert "do not answer" in whole(written(decoder, prompt)).text


def test_gemma_output_stops_where_the_base_model_repeats_the_pattern() -> None:
    from grounding.generation.decoders.gemma import _until_stop

    looping = ["The body systems work together [1].", "\nAnswer: The body", " systems work [1]."]
    assert "".join(_until_stop(iter(looping))) == "The body systems work together [1]."
    pieces = ["  It was lit in 1874 [2].", " The keeper was", " Elias Brandt [1].\nQuestion: x"]
    assert "".join(_until_stop(iter(pieces))) == (
        "It was lit in 1874 [2]. The keeper was Elias Brandt [1]."
    )


@pytest.mark.slow
def test_gemma_decoder_answers_offline_from_the_sources(capfd: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("transformers")
    from grounding.config import model_cache_dir
    from grounding.generation.decoders.gemma_model import GEMMA_CACHE_NAME

    first_use = not (model_cache_dir() / GEMMA_CACHE_NAME / "config.json").is_file()
    decoder = get_decoder("gemma")
    said = capfd.readouterr().err  # stderr is not a terminal here
    if first_use:  # the converted weights are cached once per model cache
        assert "copying the 242 MB model" in said and "converting it once" in said
        assert (model_cache_dir() / GEMMA_CACHE_NAME / "model.safetensors").is_file()
    assert "%|" not in said and "it/s" not in said  # no progress bar off a terminal
    answer = whole(written(decoder, _prompt(decoder), max_tokens=48)).text
    assert answer.strip(), "Gemma wrote nothing"
    assert "<source" not in answer and "Question:" not in answer  # stop sequences honoured
    assert "1874" in answer
