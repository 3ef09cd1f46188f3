"""Best-of-n and verify-then-repair: the checker's reward used to choose and to fix answers.

A `Refinement` is a `Refiner` (`orchestration/grounder.py`): it makes the answer from the
Grounder's public steps (retrieve, prompt, generate, finish), from outside the Grounder:

- best-of-n: the decoder's usual answer plus n - 1 sampled ones, each finished (citations,
  check) and scored by `grounding.checking.reward` from the support report and relevance
  `finish` gave it (nothing is scored twice); the highest total wins, ties go to the
  earliest. Every candidate stays in `grounding_metadata.candidates` with its objectives.
- repair: for each unsupported claim, search again with the question and the claim; cite a new
  source that supports it, else replace it with a sentence the decoder writes from that
  evidence when the checker supports it, else remove it. The claims of a round are checked
  against their new evidence in one batch. At most `rounds` rounds; every step is in
  `grounding_metadata.repair`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from grounding.checking import check, check_many
from grounding.checking.reward import parse_weights, reward
from grounding.core.text import blank_citation_markers, sentence_spans
from grounding.errors import InputError
from grounding.generation.base import whole
from grounding.generation.citations import insert_markers, marker_at
from grounding.generation.prompt import Prompt
from grounding.orchestration.grounder import Grounder
from grounding.orchestration.steps import Evidence
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

__all__ = ["COPIED_NOTE", "Refinement"]

COPIED_NOTE = "no repair needed: the {decoder} decoder copies its sentences from the sources"
Action = Literal["cited", "regenerated", "removed", "kept"]


@dataclass(frozen=True)
class Refinement:
    """Best-of-n (`best_of` > 1 answers, the best kept) and repair (`repair`: unsupported
    claims cited anew, rewritten or removed, for at most `rounds` rounds)."""

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

    def answer(
        self,
        grounder: Grounder,
        question: str,
        evidence: Evidence,
        history: Sequence[Message],
        max_tokens: int,
    ) -> GroundedAnswer:
        """The answer to `question` from `evidence` (what the Grounder retrieved and found to
        answer it) after best-of-n and/or repair, with its reward attached.

        `max_tokens` caps the tokens of each answer the decoder writes."""
        prompted = grounder.prompt(question, evidence, history, max_tokens)
        texts = _candidates(grounder, prompted.prompt, self, max_tokens)
        answers = [grounder.finish(question, text, prompted.evidence) for text in texts]
        scored = [self._reward(question, answer) for answer in answers]
        best = max(range(len(answers)), key=lambda i: (scored[i].total, -i))
        answer = answers[best]
        update: dict[str, object] = {}
        if self.best_of > 1:
            update["candidates"] = [
                Candidate(answer=a.answer, reward=r, chosen=i == best)
                for i, (a, r) in enumerate(zip(answers, scored, strict=True))
            ]
        final_reward = scored[best]
        if self.repair:
            answer, update["repair"] = _repair(
                grounder, question, answer, prompted.evidence, self, max_tokens
            )
            final_reward = self._reward(question, answer)
        metadata = answer.grounding_metadata.model_copy(update=update)
        return answer.model_copy(update={"grounding_metadata": metadata, "reward": final_reward})

    def _reward(self, question: str, answer: GroundedAnswer) -> RewardReport:
        """The reward of a finished answer, from the report and relevance it already has."""
        return reward(question, answer.answer, answer.sources, self.weights,
                      report=answer.support, relevance=answer.relevance)  # fmt: skip


def _candidates(
    grounder: Grounder, prompt: Prompt, refinement: Refinement, limit: int
) -> list[str]:
    first = whole(grounder.generate(prompt, limit)).text
    if refinement.best_of == 1:
        return [first]
    decoder = grounder.decoder
    if not decoder.samples:
        raise InputError(
            f"best-of-n needs a decoder that samples (gemma, openai); "
            f"{decoder.name!r} writes one answer"
        )
    more = decoder.sample(
        prompt, refinement.best_of - 1, limit, refinement.temperature, refinement.seed
    )
    return [first, *more]


def _repair(
    grounder: Grounder,
    question: str,
    answer: GroundedAnswer,
    evidence: Evidence,
    refinement: Refinement,
    limit: int,
) -> tuple[GroundedAnswer, RepairReport]:
    if grounder.decoder.copies_sources:
        return answer, RepairReport(note=COPIED_NOTE.format(decoder=grounder.decoder.name))
    steps: list[RepairStep] = []
    rounds = 0
    for round_ in range(1, refinement.rounds + 1):
        unsupported = [c for c in answer.support.claims if not c.supported]
        if not unsupported:
            break
        rounds = round_
        sources = list(answer.sources)
        searched = [_search(grounder, question, claim, sources) for claim in unsupported]
        scores = _scores(grounder, searched)
        edits: list[tuple[Claim, str]] = []
        for claim, found, claim_scores in zip(unsupported, searched, scores, strict=True):
            step, replacement = _repair_claim(
                grounder, question, claim, found, claim_scores, sources, round_, limit
            )
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
        answer = grounder.finish(question, text, replace(evidence, sources=tuple(sources)))
    note = "" if steps else "no repair needed: every claim is supported"
    return answer, RepairReport(rounds=rounds, steps=steps, note=note)


@dataclass(frozen=True)
class _Searched:
    """A claim as plain text, what a search with the question and the claim found, and which
    of those hits are new to the answer (`candidates`)."""

    plain: str
    hits: list[SearchHit]
    candidates: list[SearchHit]


def _search(
    grounder: Grounder, question: str, claim: Claim, sources: Sequence[Source]
) -> _Searched:
    plain = " ".join(blank_citation_markers(claim.text).split())
    hits = grounder.retriever.search(f"{question} {plain}", k=grounder.k)  # the web too, if on
    known = {s.text for s in sources}
    return _Searched(plain, hits, [h for h in hits if h.chunk.text not in known])


def _scores(grounder: Grounder, searched: Sequence[_Searched]) -> list[list[float]]:
    """For each claim, its support by each of its candidates alone: one batch for the round."""
    pairs = [(s.plain, [hit.chunk.text]) for s in searched for hit in s.candidates]
    reports = iter(check_many(pairs, grounder.scorer, grounder.threshold, refusal=False))
    return [[next(reports).score for _ in s.candidates] for s in searched]


def _repair_claim(
    grounder: Grounder,
    question: str,
    claim: Claim,
    found: _Searched,
    scores: Sequence[float],
    sources: list[Source],
    round_: int,
    limit: int,
) -> tuple[RepairStep, str | None]:
    """One claim: cite new evidence, regenerate from it, or remove it. Appends to `sources`.

    `scores` are the claim's support by each of its candidates; a candidate an earlier
    claim of the round has made a source since is not new evidence."""
    known = {s.text for s in sources}
    fresh = [(hit, score) for hit, score in zip(found.candidates, scores, strict=True)
             if hit.chunk.text not in known]  # fmt: skip
    known_count = len(sources)

    def step(action: Action, after: float | None = None, text: str = "") -> RepairStep:
        return RepairStep(
            round=round_, claim=claim.text, action=action, score_before=round(claim.score, 4),
            score_after=None if after is None else round(after, 4), replacement=text,
            sources_added=[s.index for s in sources[known_count:]],
        )  # fmt: skip

    if fresh:
        hit, support = max(fresh, key=lambda pair: pair[1])
        if support >= grounder.threshold:
            source = Source.from_hit(hit, len(sources) + 1)
            sources.append(source)
            bare = _without_markers(claim.text)
            replacement, _ = insert_markers(bare, [(marker_at(bare, 0, len(bare)), source.index)])
            return step("cited", support, replacement), replacement
    evidence = [hit for hit, _ in fresh] or found.hits
    sentence = _regenerate(grounder, question, evidence, sources, limit)
    if sentence:
        texts = [s.text for s in sources]
        report = check(sentence, texts, grounder.scorer, grounder.threshold, refusal=False)
        if report.claims and report.score >= grounder.threshold:
            return step("regenerated", report.score, sentence), sentence
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
    local = tuple(Source.from_hit(hit, i) for i, hit in enumerate(evidence, start=1))
    prompt = grounder.prompt(question, Evidence(local), max_tokens=limit).prompt
    text = whole(grounder.generate(prompt, limit)).text.strip()
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


def _apply(answer: str, claims: Sequence[Claim], edits: Sequence[tuple[Claim, str]]) -> str:
    """`answer` with each edited claim's region (up to the next claim) replaced."""
    starts = sorted(c.start for c in claims)
    for claim, replacement in sorted(edits, key=lambda e: -e[0].start):
        later = [s for s in starts if s > claim.start]
        end = later[0] if later else len(answer)
        kept = replacement + (" " if later else "") if replacement else ""
        answer = answer[: claim.start] + kept + answer[end:]
    return answer.strip()
