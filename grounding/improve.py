"""Best-of-n and verify-then-repair: the checker's reward used to choose and to fix answers.

Orchestration over the Grounder's stages, kept out of the stages themselves:

- best-of-n: the decoder's usual answer plus n - 1 sampled ones, each finished (citations,
  check) and scored by `grounding.checking.reward`; the highest total wins, ties go to the
  earliest. Every candidate stays in `grounding_metadata.candidates` with its objectives.
- repair: for each unsupported claim, search again with the question and the claim; cite a new
  source that supports it, else replace it with a sentence the decoder writes from that
  evidence when the checker supports it, else remove it. At most `rounds` rounds; every step is
  in `grounding_metadata.repair`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from grounding.checking.reward import parse_weights, reward
from grounding.core.text import blank_citation_markers, sentence_spans
from grounding.errors import InputError
from grounding.generation.base import Sampler, generate
from grounding.generation.prompt import Prompt, build_prompt
from grounding.retrieval.query import retrieval_query
from grounding.schema import (
    CITATION_MARKER,
    Candidate,
    Claim,
    GroundedAnswer,
    Message,
    RepairReport,
    RepairStep,
    RewardReport,
    SearchHit,
    Source,
)

if TYPE_CHECKING:
    from grounding.pipeline import Grounder, _Retrieved

__all__ = ["EXTRACTIVE_NOTE", "Improve", "improve"]

EXTRACTIVE_NOTE = "no repair needed: the extractive decoder copies its sentences from the sources"
Action = Literal["cited", "regenerated", "removed", "kept"]
_FINAL_PUNCTUATION = re.compile(r"[.!?]+[\"'”’)]*$")


@dataclass(frozen=True)
class Improve:
    """How the Grounder improves an answer: best_of > 1 samples, repair fixes claims."""

    best_of: int = 1
    repair: bool = False
    rounds: int = 2
    weights: str | dict[str, float] | None = None
    temperature: float = 0.8
    seed: int = 0

    def __post_init__(self) -> None:
        if self.best_of < 1:
            raise InputError(f"best-of must be at least 1, not {self.best_of}")
        if not 1 <= self.rounds <= 10:
            raise InputError(f"repair rounds must be between 1 and 10, not {self.rounds}")
        parse_weights(self.weights)  # bad weights fail before any work

    @property
    def active(self) -> bool:
        return self.best_of > 1 or self.repair


def improve(
    grounder: Grounder,
    question: str,
    history: Sequence[Message],
    settings: Improve,
    limit: int | None = None,
) -> GroundedAnswer:
    """The answer to `question` after best-of-n and/or repair, with its reward attached.

    `limit` caps the tokens of each answer the decoder writes (default: the Grounder's).
    """
    limit = grounder.max_tokens if limit is None else limit
    retrieved = grounder._retrieve(retrieval_query(question, history))
    if not retrieved.sources:
        return grounder._no_sources(retrieved, {})
    prompt = grounder._prompt(question, retrieved, history, limit)
    answers = [grounder._finish(text, list(prompt.sources), retrieved, question)
               for text in _candidates(grounder, prompt, settings, limit)]  # fmt: skip
    scored = [_reward(grounder, question, answer, settings) for answer in answers]
    best = max(range(len(answers)), key=lambda i: (scored[i].total, -i))
    answer = answers[best]
    update: dict[str, object] = {}
    if settings.best_of > 1:
        update["candidates"] = [
            Candidate(answer=a.answer, reward=r, chosen=i == best)
            for i, (a, r) in enumerate(zip(answers, scored, strict=True))
        ]
    if settings.repair:
        answer, report = _repair(grounder, question, answer, retrieved, settings, limit)
        update["repair"] = report
    metadata = answer.grounding_metadata.model_copy(update=update)
    final_reward = scored[best] if not settings.repair else _reward(
        grounder, question, answer, settings
    )  # fmt: skip
    return answer.model_copy(update={"grounding_metadata": metadata, "reward": final_reward})


def _candidates(grounder: Grounder, prompt: Prompt, settings: Improve, limit: int) -> list[str]:
    first = generate(grounder.decoder, prompt, max_tokens=limit)
    if settings.best_of == 1:
        return [first]
    if not isinstance(grounder.decoder, Sampler):
        raise InputError(
            f"best-of-n needs a decoder that samples (gemma, openai); "
            f"{grounder.decoder.name!r} writes one answer"
        )
    more = grounder.decoder.sample(
        prompt, settings.best_of - 1, limit, settings.temperature, settings.seed
    )
    return [first, *more]


def _reward(
    grounder: Grounder, question: str, answer: GroundedAnswer, settings: Improve
) -> RewardReport:
    return reward(
        question, answer.answer, answer.sources, settings.weights, grounder.scorer,
        grounder.threshold, answer.support,
    )  # fmt: skip


def _repair(
    grounder: Grounder,
    question: str,
    answer: GroundedAnswer,
    retrieved: _Retrieved,
    settings: Improve,
    limit: int,
) -> tuple[GroundedAnswer, RepairReport]:
    if grounder.decoder.name == "extractive":
        return answer, RepairReport(note=EXTRACTIVE_NOTE)
    steps: list[RepairStep] = []
    rounds = 0
    for round_ in range(1, settings.rounds + 1):
        unsupported = [c for c in answer.support.claims if not c.supported]
        if not unsupported:
            break
        rounds = round_
        sources = list(answer.sources)
        edits: list[tuple[Claim, str]] = []
        for claim in unsupported:
            step, replacement = _repair_claim(grounder, question, claim, sources, round_, limit)
            steps.append(step)
            if replacement is not None:
                edits.append((claim, replacement))
        removed = [i for i, (_, text) in enumerate(edits) if not text]
        if removed and len(removed) == len(answer.support.claims):  # never empty the answer
            del edits[removed[-1]]
            steps[-1] = steps[-1].model_copy(update={"action": "kept"})
        if not edits:
            break
        text = _apply(answer.answer, answer.support.claims, edits)
        answer = grounder._finish(text, sources, retrieved, question)
    note = "" if steps else "no repair needed: every claim is supported"
    return answer, RepairReport(rounds=rounds, steps=steps, note=note)


def _repair_claim(
    grounder: Grounder,
    question: str,
    claim: Claim,
    sources: list[Source],
    round_: int,
    limit: int,
) -> tuple[RepairStep, str | None]:
    """One claim: cite new evidence, regenerate from it, or remove it. Appends to `sources`."""
    plain = " ".join(blank_citation_markers(claim.text).split())
    hits = grounder.retriever.search(f"{question} {plain}", k=grounder.k)  # the web too, if on
    known = {s.text for s in sources}
    fresh = [h for h in hits if h.chunk.text not in known]

    def step(action: Action, after: float | None = None, text: str = "") -> RepairStep:
        return RepairStep(
            round=round_, claim=claim.text, action=action, score_before=round(claim.score, 4),
            score_after=None if after is None else round(after, 4), replacement=text,
            sources_added=[s.index for s in sources[known_count:]],
        )  # fmt: skip

    known_count = len(sources)
    if fresh:
        verdicts = [grounder.scorer.score([plain], [h.chunk.text])[0] for h in fresh]
        best = max(range(len(fresh)), key=lambda i: verdicts[i].support)
        if verdicts[best].support >= grounder.threshold:
            source = Source.from_hit(fresh[best], len(sources) + 1)
            sources.append(source)
            replacement = _with_marker(_without_markers(claim.text), source.index)
            return step("cited", verdicts[best].support, replacement), replacement
    evidence = fresh or hits
    sentence = _regenerate(grounder, question, evidence, sources, limit)
    if sentence:
        texts = [s.text for s in sources]
        verdict = grounder.scorer.score([blank_citation_markers(sentence)], texts)[0]
        if verdict.support >= grounder.threshold:
            return step("regenerated", verdict.support, sentence), sentence
    del sources[known_count:]  # evidence for a removed claim is not cited
    return step("removed"), ""


def _regenerate(
    grounder: Grounder,
    question: str,
    evidence: Sequence[SearchHit],
    sources: list[Source],
    limit: int,
) -> str:
    """One sentence from the decoder over `evidence` (numbered locally, cited globally).

    Evidence it saw that is not yet a source is appended to `sources`.
    """
    if not evidence:
        return ""
    local = [Source.from_hit(hit, i) for i, hit in enumerate(evidence, start=1)]
    budget = grounder.decoder.context_tokens - limit
    prompt = build_prompt(question, local, grounder.decoder.count_tokens, budget)
    text = generate(grounder.decoder, prompt, max_tokens=limit).strip()
    spans = sentence_spans(text)
    if not spans:
        return ""
    sentence = text[spans[0][0] : spans[0][1]]
    known = {s.text: s.index for s in sources}
    mapping: dict[int, int] = {}
    for source in prompt.sources:
        if source.text not in known:
            known[source.text] = len(sources) + 1
            sources.append(source.model_copy(update={"index": len(sources) + 1}))
        mapping[source.index] = known[source.text]

    def renumber(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.findall(r"\d+", match.group(1))]
        kept = [str(mapping[n]) for n in numbers if n in mapping]
        return f"[{', '.join(kept)}]" if kept else ""

    return CITATION_MARKER.sub(renumber, sentence)


def _without_markers(text: str) -> str:
    return re.sub(r"\s+([.!?,;:])", r"\1", " ".join(CITATION_MARKER.sub("", text).split()))


def _with_marker(text: str, index: int) -> str:
    punctuation = _FINAL_PUNCTUATION.search(text)
    at = punctuation.start() if punctuation else len(text)
    return f"{text[:at]} [{index}]{text[at:]}"


def _apply(answer: str, claims: Sequence[Claim], edits: Sequence[tuple[Claim, str]]) -> str:
    """`answer` with each edited claim's region (up to the next claim) replaced."""
    starts = sorted(c.start for c in claims)
    for claim, replacement in sorted(edits, key=lambda e: -e[0].start):
        later = [s for s in starts if s > claim.start]
        end = later[0] if later else len(answer)
        kept = replacement + (" " if later else "") if replacement else ""
        answer = answer[: claim.start] + kept + answer[end:]
    return answer.strip()
