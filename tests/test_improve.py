"""Best-of-n and verify-then-repair, with the real default checker.

A scripted decoder and a word-overlap retriever isolate the orchestration; the real decoders
over HTTP are exercised in test_replay.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from grounding.checking.reward import OBJECTIVES
from grounding.core.text import content_words
from grounding.errors import InputError
from grounding.evaluation.pipeline_eval import evaluate_pipeline
from grounding.generation.base import Decoder
from grounding.generation.prompt import Prompt
from grounding.orchestration.grounder import Grounder
from grounding.orchestration.refine import COPIED_NOTE, Refinement
from grounding.retrieval.base import Retriever
from grounding.schema import Chunk, SearchHit

DOCS = {
    "lighthouse": "The Varnholt lighthouse stands on the northern cape of Halsoy. It was first "
    "lit in 1874 and is 32 metres tall.",
    "keeper": "Ingrid Moe, the keeper of the Varnholt lighthouse, kept a logbook of every storm "
    "between 1890 and 1921.",
    "ferry": "The ferry to Osk leaves the harbour twice a day, at seven and at five.",
}
QUESTION = "When was the Varnholt lighthouse first lit?"


class OverlapRetriever(Retriever):
    """Ranks the documents by content words shared with the query."""

    name = "overlap"

    def __init__(self, docs: dict[str, str]) -> None:
        self.hits = [
            SearchHit(chunk=Chunk(id=k, doc_id=k, title=k.title(), uri=f"{k}.md", text=t,
                                  start=0, end=len(t)), score=1.0)
            for k, t in docs.items()
        ]  # fmt: skip

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        words = set(content_words(query))
        ranked = sorted(self.hits, key=lambda h: -len(words & set(content_words(h.chunk.text))))
        return ranked[:k]


class ScriptedSampler(Decoder):
    """`stream` replies with `answers` in turn; `sample` with `samples`."""

    name = "scripted"
    context_tokens = 4096
    samples = True

    def __init__(self, answers: list[str], samples: list[str] = ()) -> None:  # type: ignore[assignment]
        self.answers = list(answers)
        self.samples = list(samples)

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def stream(self, prompt: Prompt, max_tokens: int = 256) -> Iterator[str]:
        yield self.answers.pop(0)

    def sample(self, prompt: Prompt, n: int, max_tokens: int = 256, temperature: float = 0.8,
               seed: int = 0) -> list[str]:  # fmt: skip
        assert n == len(self.samples)
        return list(self.samples)


GOOD = "The Varnholt lighthouse was first lit in 1874 [1]. It is 32 metres tall [1]."
INVENTED = (
    "The Varnholt lighthouse was first lit in 1874 [1]. King Haakon painted it red in 1990 [1]."
)
WRONG_MARKER = "The Varnholt lighthouse was first lit in 1874 [3]. It is 32 metres tall [3]."


def _grounder(decoder: object, k: int = 3, **settings: object) -> Grounder:
    return Grounder(index=OverlapRetriever(DOCS), decoder=decoder, k=k,  # type: ignore[arg-type]
                    refiner=Refinement(**settings))  # type: ignore[arg-type]  # fmt: skip


def test_best_of_n_returns_the_candidate_with_the_highest_total() -> None:
    decoder = ScriptedSampler([INVENTED], samples=[WRONG_MARKER, GOOD])
    result = _grounder(decoder, best_of=3).ask(QUESTION)
    candidates = result.grounding_metadata.candidates
    assert len(candidates) == 3 and sum(c.chosen for c in candidates) == 1
    totals = [c.reward.total for c in candidates]
    chosen = next(c for c in candidates if c.chosen)
    assert chosen.reward.total == max(totals)
    assert result.answer == chosen.answer and "Haakon" not in result.answer
    assert result.reward == chosen.reward
    # each candidate's objectives say why it lost
    invented, wrong, good = candidates
    assert invented.reward.objectives["support"] < good.reward.objectives["support"]
    assert (
        wrong.reward.objectives["citation_precision"] < good.reward.objectives["citation_precision"]
    )


def test_best_of_n_survives_candidates_that_say_nothing_or_only_a_number() -> None:
    decoder = ScriptedSampler(["1874 [1]."], samples=["[1].", INVENTED])
    result = _grounder(decoder, best_of=3).ask(QUESTION)
    candidates = result.grounding_metadata.candidates
    assert candidates[0].answer == "1874 [1]."  # a terse answer is scored
    empty = candidates[1]  # markers only: a refusal, whose relevance is 0
    assert empty.answer.startswith("The sources do not answer") and not empty.chosen
    assert empty.reward.objectives["relevance"] == 0.0


def test_best_of_n_and_repair_withhold_an_off_topic_answer_as_the_plain_path_does() -> None:
    off_topic = "The ferry to Osk leaves the harbour twice a day [1]."
    plain = _grounder(ScriptedSampler([off_topic])).ask(QUESTION)
    assert not plain.answered
    for settings in ({"best_of": 2}, {"repair": True}):
        decoder = ScriptedSampler([off_topic], samples=[GOOD])
        result = _grounder(decoder, **settings).ask(QUESTION)
        assert result.relevance is not None
        if settings.get("best_of"):  # the off-topic candidate is a refusal; the good one wins
            first, second = result.grounding_metadata.candidates
            assert not first.chosen and first.answer == plain.answer
            assert second.chosen and result.answered and result.relevance >= 0.4
        else:
            assert not result.answered and result.answer == plain.answer


def test_best_of_n_needs_a_sampling_decoder() -> None:
    with pytest.raises(InputError, match="samples"):
        _grounder("extractive", best_of=2).ask(QUESTION)
    with pytest.raises(InputError):
        Refinement(best_of=0)


def test_repair_cites_new_evidence_for_a_claim() -> None:
    answer = GOOD + " Ingrid Moe kept a logbook of every storm between 1890 and 1921 [1]."
    result = _grounder(ScriptedSampler([answer]), k=1, repair=True).ask(QUESTION)
    repair = result.grounding_metadata.repair
    assert repair is not None and repair.rounds >= 1
    step = repair.steps[0]
    assert step.action == "cited" and "Ingrid Moe" in step.claim
    assert step.score_after is not None and step.score_after > step.score_before
    assert step.sources_added == [2] and result.sources[1].title == "Keeper"
    assert "[2]" in result.answer and "Ingrid Moe" in result.answer
    assert result.support.supported
    assert result.reward is not None


def test_repair_removes_a_claim_nothing_supports() -> None:
    answer = GOOD + " It was painted red in 1990 by King Haakon [1]."
    regenerated = "King Haakon painted the tower red in 1990 [1]."  # still unsupported
    decoder = ScriptedSampler([answer, regenerated])
    result = _grounder(decoder, k=1, repair=True).ask(QUESTION)
    repair = result.grounding_metadata.repair
    assert repair is not None
    assert [s.action for s in repair.steps] == ["removed"]
    assert repair.steps[0].score_after is None
    assert "Haakon" not in result.answer and "1874" in result.answer
    assert result.support.supported


def test_repair_with_the_extractive_decoder_says_none_is_needed() -> None:
    result = _grounder("extractive", repair=True).ask(QUESTION)
    repair = result.grounding_metadata.repair
    assert (
        repair is not None
        and repair.note == COPIED_NOTE.format(decoder="extractive")
        and repair.steps == []
    )


def test_preference_pairs_are_written_in_the_dpo_shape(tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    rows = [{"id": "q1", "question": QUESTION, "expected": "first lit in 1874"},
            {"id": "q2", "question": "How tall is the Varnholt lighthouse?"}]  # fmt: skip
    questions.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    decoder = ScriptedSampler([INVENTED, GOOD], samples=[GOOD])  # q2's candidates tie
    pairs = tmp_path / "pairs.jsonl"
    result = evaluate_pipeline(questions, tmp_path / "out", index=OverlapRetriever(DOCS),
                               decoder=decoder, refinement=Refinement(best_of=2),  # type: ignore[arg-type]
                               export_preferences=pairs)  # fmt: skip
    lines = [json.loads(line) for line in pairs.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 1 == result.metrics["preference_pairs"]  # no pair from a tie
    pair = lines[0]
    assert {"prompt", "chosen", "rejected"} <= set(pair) and pair["id"] == "q1"
    assert pair["chosen"] == GOOD and pair["rejected"] == INVENTED
    assert QUESTION in pair["prompt"] and DOCS["lighthouse"] in pair["prompt"]
    assert pair["chosen_reward"]["total"] > pair["rejected_reward"]["total"]
    assert set(pair["chosen_reward"]["objectives"]) == set(OBJECTIVES)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["reward"]["answers"] == 2 and metrics["correctness"]["token_f1"] > 0.3
    with pytest.raises(InputError, match="best-of"):
        evaluate_pipeline(questions, tmp_path / "o2", index=OverlapRetriever(DOCS),
                          decoder=decoder, export_preferences=pairs)  # type: ignore[arg-type]  # fmt: skip


def test_the_service_maps_openai_n_to_best_of_n() -> None:
    from grounding.service import GrounderKey, ServiceSettings, create_app
    from tests.service_server import thread_server

    def factory(key: GrounderKey) -> Grounder:
        return _grounder(ScriptedSampler([INVENTED] * 3, samples=[WRONG_MARKER, GOOD]))

    app = create_app(ServiceSettings(index="demo", decoder="scripted"), factory=factory)
    with thread_server(app) as url:
        body = {"model": "grounding", "messages": [{"role": "user", "content": QUESTION}]}
        reply = requests.post(f"{url}/v1/chat/completions", json={**body, "n": 3}, timeout=120)
        assert reply.status_code == 200, reply.text
        data = reply.json()
        texts = [choice["message"]["content"] for choice in data["choices"]]
        assert [c["index"] for c in data["choices"]] == [0, 1, 2]
        assert texts[0] == GOOD
        assert set(texts[1:]) == {INVENTED, WRONG_MARKER}
        candidates = data["grounding_metadata"]["candidates"]
        assert max(c["reward"]["total"] for c in candidates) == data["reward"]["total"]
        streamed = requests.post(f"{url}/v1/chat/completions",
                                 json={**body, "n": 2, "stream": True}, timeout=60)  # fmt: skip
        assert streamed.status_code == 400 and "n" in streamed.json()["error"]["message"]
        too_many = requests.post(f"{url}/v1/chat/completions", json={**body, "n": 99}, timeout=60)
        assert too_many.status_code == 400


def test_best_of_n_and_repair_refuse_when_no_passage_answers_as_the_plain_path_does() -> None:
    """The passage check is decided once, before any path generates: with sources that do not
    say when the lighthouse was lit, no candidate is written and the refusal says why."""
    sources = {k: DOCS[k] for k in ("keeper", "ferry")}
    asked = "When was the Varnholt lighthouse first lit?"

    for settings in ({}, {"best_of": 2}, {"repair": True}):
        decoder = ScriptedSampler([GOOD], samples=[GOOD])
        grounder = Grounder(index=OverlapRetriever(sources), decoder=decoder,
                            refiner=Refinement(**settings))  # type: ignore[arg-type]  # fmt: skip
        result = grounder.ask(asked)
        assert not result.answered and "no retrieved passage answers the question" in result.reason
        assert decoder.answers == [GOOD]  # refused before the decoder wrote anything
