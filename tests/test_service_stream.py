"""The HTTP stream sends the answer sentence by sentence, as `Grounder.stream` does,
driven with the official `openai` client against the service on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from grounding.generation.base import Decoder
from grounding.orchestration.grounder import Grounder
from grounding.service import GrounderKey, ServiceSettings, create_app
from tests.service_server import cli_server, thread_server
from tests.test_pipeline import ListRetriever

TEXTS = {
    "festival": "The Varnholt Herring Festival is held on the first weekend of August. "
    "It was first held in 1923 to mark the end of the herring season.",
    "harbour": "The harbour has forty berths and a fish market on Saturdays.",
}
WRITTEN = (
    "The Varnholt Herring Festival is held on the first weekend of August. "
    "It was first held in 1923 to mark the end of the herring season [1]."
)


class OnePieceDecoder(Decoder):
    """Writes the whole two-sentence answer as one piece, as the extractive decoder does."""

    name = "one-piece"
    context_tokens = 4096

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, prompt: object, max_tokens: int = 256) -> Iterator[str]:
        yield WRITTEN


def _unmarked(text: str) -> str:
    return re.sub(r"\s*\[\d+(?:, \d+)*\]", "", text).strip()


def _content_deltas(client: openai.OpenAI, question: str) -> tuple[list[str], dict[str, object]]:
    chunks = list(
        client.chat.completions.create(
            model="grounding", messages=[{"role": "user", "content": question}], stream=True
        )
    )
    deltas = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    return deltas, chunks[-1].model_extra or {}


def test_a_two_sentence_answer_streams_in_two_deltas() -> None:
    def factory(key: GrounderKey) -> Grounder:
        return Grounder(index=ListRetriever(TEXTS), decoder=OnePieceDecoder(), scorer="overlap")

    app = create_app(ServiceSettings(index="demo", decoder="one-piece"), factory=factory)
    with thread_server(app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=60)
        deltas, extra = _content_deltas(client, "When is the Varnholt Herring Festival held?")
    assert deltas == [
        "The Varnholt Herring Festival is held on the first weekend of August.",
        " It was first held in 1923 to mark the end of the herring season [1].",
    ]
    # the checker may cite the first sentence too once the answer is complete: the final
    # answer (in the last chunk) then has one marker more than the stream
    assert _unmarked("".join(deltas)) == _unmarked(str(extra["answer"]))


@pytest.mark.slow
def test_grounding_serve_streams_sentences_as_they_come(grounding_exe: str, tmp_path: Path) -> None:
    args = ["--decoder", "extractive"]
    with cli_server(grounding_exe, tmp_path / "home", tmp_path / "server.log", args) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=120)
        deltas, extra = _content_deltas(client, "When is the Varnholt Herring Festival held?")
    answer = str(extra["answer"])
    assert answer.count(". ") >= 1, answer  # the festival's passage: two sentences
    assert len(deltas) >= 2, deltas
    assert _unmarked("".join(deltas)) == _unmarked(answer)
