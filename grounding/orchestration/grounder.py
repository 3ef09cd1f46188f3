"""The Grounder: one question through retrieval, generation and checking.

The stages never import each other; this module wires them, in public steps with typed
results that `ask` and `stream` compose, and that a `Refiner` (best-of-n and repair,
`orchestration/refine.py`) composes from outside:

    retrieve(question, history) -> Evidence      the numbered sources, with what retrieval said
    prompt(question, evidence, history) -> Prompted   the prompt, and the evidence it kept
    generate(prompt) -> pieces ... Generated     the decoder's text as it writes it
    finish(question, text, evidence) -> GroundedAnswer   citations resolved, checked, judged

`finish` is also where the checker's citations are added to claims the decoder left
without markers, and markers the checker cannot support are flagged.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from grounding.checking import Scorer, check, get_scorer
from grounding.checking.relevance import ANSWERED_AT, RELEVANT_AT, relevance
from grounding.config import Settings
from grounding.core.answer_types import REFUSAL, is_refusal
from grounding.core.text import sentence_spans
from grounding.errors import InputError
from grounding.generation.base import Decoder, Generated, written
from grounding.generation.citations import parse_citations
from grounding.generation.decoders import DECODERS, get_decoder
from grounding.generation.prompt import Prompt, build_prompt, require_question
from grounding.orchestration.attribution import StreamNumbers, attribute, in_citation_order
from grounding.orchestration.steps import (
    NO_SOURCES_ANSWER,
    Evidence,
    Prompted,
    grounding_chunks,
    instruction_warnings,
    no_sources_answer,
    numbered,
    refusal_answer,
)
from grounding.retrieval.base import Retriever
from grounding.retrieval.query import retrieval_query
from grounding.retrieval.rerank.base import Reranker, get_reranker
from grounding.schema import (
    Delta,
    Final,
    GroundedAnswer,
    GroundingMetadata,
    Message,
    Source,
)

__all__ = ["Grounder", "Refiner", "open_index"]

# Below this, no retrieved passage answers the question by the pair model's answer head
# (its best passage's P(answers)): the Grounder refuses before generating. Chosen on the tune
# parts of eval/realdocs, eval/docs300 and eval/squad2e2e (bench/answerable.py sweep).
PASSAGES_ANSWER_AT = 0.15
RERANK_POOL = 6  # candidates a reranker that reorders sees, as a multiple of k


def open_index(index: str | Path | Retriever | None, settings: Settings | None = None) -> Retriever:
    """A retriever for `index`: a name, a path, a ready retriever, or None for the demo index.

    `settings` say where named indexes live and how queries are embedded."""
    if isinstance(index, Retriever):
        return index
    if index is not None and not isinstance(index, str | Path):
        raise InputError(f"index must be a name, a path or a Retriever, not {type(index).__name__}")
    from grounding.retrieval.demo import demo_index
    from grounding.retrieval.stores.base import open_store

    return demo_index(settings) if index is None else open_store(index, settings)


class Refiner(Protocol):
    """Makes the answer from the Grounder's public steps instead of one plain pass, as
    best-of-n and repair do (`orchestration.refine.Refinement`); `active` says whether it
    has anything to do."""

    @property
    def active(self) -> bool: ...

    def answer(
        self,
        grounder: Grounder,
        question: str,
        evidence: Evidence,
        history: Sequence[Message],
        max_tokens: int,
    ) -> GroundedAnswer: ...


class Grounder:
    """Answers questions from an index (and optionally the web) with checked citations.

    >>> grounder = Grounder()                       # the bundled demo index
    >>> result = grounder.ask("When was the Varnholt lighthouse first lit?")
    >>> result.answer, result.support.score
    """

    def __init__(
        self,
        index: str | Path | Retriever | None = None,
        web: str | None = None,
        decoder: str | Decoder = "extractive",
        scorer: str | Scorer | None = None,
        k: int = 5,
        threshold: float | None = None,
        max_tokens: int = 256,
        web_threshold: float | None = None,
        settings: Settings | None = None,
        refiner: Refiner | None = None,
        reranker: str | Reranker | None = None,
    ) -> None:
        settings = settings or Settings.from_env()  # read once here, passed down
        self.web = web
        add_web: Callable[[Retriever], Retriever] | None = None
        if web:  # a provider name, "auto" or "auto:<provider>"; a missing key fails here, first
            from grounding.retrieval.web.augment import open_web

            add_web = open_web(web, threshold=web_threshold, settings=settings)
        if isinstance(decoder, str) and decoder:
            DECODERS.load(decoder)  # a misspelt name fails now, not after a first index build
        local = open_index(index, settings)
        self.retriever = add_web(local) if add_web else local  # the one retriever asked
        self.reranker = (
            reranker if isinstance(reranker, Reranker) else get_reranker(reranker, settings)
        )
        self.decoder = get_decoder(decoder, settings) if isinstance(decoder, str) else decoder
        self.scorer = scorer if isinstance(scorer, Scorer) else get_scorer(scorer, settings)
        self.k = k
        self.threshold = self.scorer.threshold if threshold is None else threshold
        self.max_tokens = max_tokens
        self.refiner = refiner

    def ask(
        self,
        question: str,
        history: Sequence[Message] = (),
        max_tokens: int | None = None,
        refiner: Refiner | None = None,
    ) -> GroundedAnswer:
        """The grounded answer to `question`, with sources, supports and a support report.

        `refiner` (default: the Grounder's) makes the answer by best-of-n and repair.
        """
        *_, final = self.stream(question, history, max_tokens, refiner)
        assert isinstance(final, Final)  # stream() always ends with one Final
        return final.answer

    def stream(
        self,
        question: str,
        history: Sequence[Message] = (),
        max_tokens: int | None = None,
        refiner: Refiner | None = None,
    ) -> Iterator[Delta | Final]:
        """`Delta`s of text as the decoder writes them, then one `Final` with the answer.

        A decoder's piece that holds several sentences comes as one Delta per sentence.
        Sources are numbered in the order the answer first cites them, in the Deltas as in
        the Final. Citations are resolved once the answer is complete, so the final answer
        text may differ from the streamed text where markers were dropped or added.
        `max_tokens` (default: the Grounder's) caps what the decoder writes.
        """
        limit = self.max_tokens if max_tokens is None else max_tokens
        timings: dict[str, float] = {}
        started = time.perf_counter()
        require_question(question)  # before any retrieval work
        refiner = self.refiner if refiner is None else refiner
        evidence = self.retrieve(question, history)
        timings["retrieval"] = time.perf_counter() - started
        if not evidence.sources:
            yield Delta(NO_SOURCES_ANSWER)
            yield Final(self.no_sources(evidence).model_copy(update={"timings": timings}))
            return
        best = self.passage_answers(question, evidence.sources)
        if best < PASSAGES_ANSWER_AT:
            timings["total"] = time.perf_counter() - started
            yield Delta(REFUSAL)
            reason = (f"no retrieved passage answers the question (the pair model's best "
                      f"passage {best:.2f} < {PASSAGES_ANSWER_AT})")  # fmt: skip
            refusal = refusal_answer(REFUSAL, evidence, self.decoder.name, self.scorer, reason)
            yield Final(refusal.model_copy(update={"timings": timings, "model": _pair_version()}))
            return
        if refiner is not None and refiner.active:  # whole answers: no token stream
            refined = in_citation_order(refiner.answer(self, question, evidence, history, limit))
            timings["total"] = time.perf_counter() - started
            yield Delta(refined.answer)
            yield Final(refined.model_copy(update={"timings": timings, "model": _pair_version()}))
            return
        prompted = self.prompt(question, evidence, history, limit)
        started = time.perf_counter()
        numbers = StreamNumbers(len(prompted.evidence.sources))
        generated = yield from _relay(self.generate(prompted.prompt, limit), numbers)
        timings["generation"] = time.perf_counter() - started
        started = time.perf_counter()
        answer = self.finish(question, generated.text, prompted.evidence)
        answer = in_citation_order(answer, list(numbers.order))
        timings["checking"] = time.perf_counter() - started
        update = {
            "timings": timings,
            "finish_reason": generated.finish_reason,
            "model": _pair_version(),
        }
        yield Final(answer.model_copy(update=update))

    def retrieve(self, question: str, history: Sequence[Message] = ()) -> Evidence:
        """The top k hits for `question` (a follow-up's query takes context from `history`):
        every retriever's candidates fused, then reranked as one list, numbered from 1."""
        query = retrieval_query(question, history)
        pool = self.k * RERANK_POOL if self.reranker.reorders else self.k
        found = self.retriever.retrieve(query, k=pool)  # web faults come back as warnings
        return Evidence(
            sources=tuple(numbered(self.reranker.rerank(query, found.hits, self.k))),
            queries=tuple(found.queries),
            warnings=tuple(found.warnings),
            retrieval=found.retrieval.model_copy(update={"reranker": self.reranker.name}),
        )

    @staticmethod
    def passage_answers(question: str, sources: Sequence[Source]) -> float:
        """The best P(a retrieved passage answers `question`), by the pair model's answer head
        over each passage's sentences that best match the question."""
        from grounding.backends.pair import pair_model

        scores = pair_model().answer_scores(question, [s.text for s in sources])
        return float(scores.max()) if len(scores) else 0.0

    def prompt(
        self,
        question: str,
        evidence: Evidence,
        history: Sequence[Message] = (),
        max_tokens: int | None = None,
    ) -> Prompted:
        """The decoder's prompt within its token budget (its context less `max_tokens`), and
        the evidence it holds, with the prompt's warnings added."""
        limit = self.max_tokens if max_tokens is None else max_tokens
        budget = self.decoder.context_tokens - limit
        prompt = build_prompt(
            question, evidence.sources, self.decoder.count_tokens, budget, history
        )
        warnings = [f"{prompt.dropped} source(s) left out to fit the decoder's token budget"
                    ] if prompt.dropped else []  # fmt: skip
        warnings += instruction_warnings(prompt.sources)
        kept = replace(evidence, sources=prompt.sources, warnings=(*evidence.warnings, *warnings))
        return Prompted(prompt, kept)

    def generate(
        self, prompt: Prompt, max_tokens: int | None = None
    ) -> Generator[str, None, Generated]:
        """The decoder's text pieces as it writes them; returns the whole text and why it
        stopped (`generation.base.whole` waits for it)."""
        return written(self.decoder, prompt, self.max_tokens if max_tokens is None else max_tokens)

    def finish(self, question: str, text: str, evidence: Evidence) -> GroundedAnswer:
        """The checked answer of the decoder's `text` over `evidence`: its markers parsed once,
        the checker's citations added, supports built and relevance judged. Whether `text`
        is a refusal is decided once, here; a refusal is not checked."""
        if is_refusal(text):
            return refusal_answer(text.strip() or REFUSAL, evidence, self.decoder.name, self.scorer)
        sources = evidence.sources
        parsed = parse_citations(text.strip(), len(sources))
        warnings = list(evidence.warnings)
        if parsed.dropped:
            numbers = ", ".join(f"[{n}]" for n in parsed.dropped)
            warnings.append(f"dropped citation markers that point at no source: {numbers}")
        texts = [source.text for source in sources]
        report = check(parsed.answer, texts, self.scorer, self.threshold, refusal=False)
        if not report.claims:  # only markers or punctuation: nothing to show or to check
            return refusal_answer(REFUSAL, evidence, self.decoder.name, self.scorer, reason=(
                f"the decoder wrote no sentence that says anything: {text.strip()!r}"))  # fmt: skip
        attributed = attribute(parsed, report, self.threshold)  # no second check
        warnings += attributed.warnings
        metadata = GroundingMetadata(
            web_search_queries=list(evidence.queries),
            grounding_chunks=grounding_chunks(sources),
            grounding_supports=attributed.supports,
            retrieval_metadata=evidence.retrieval,
        )
        score = relevance(question, attributed.answer, refusal=False) if question else None
        if score is not None and score < ANSWERED_AT:  # off-topic: withheld, not shown as an answer
            return refusal_answer(
                REFUSAL,
                evidence,
                self.decoder.name,
                self.scorer,
                reason=f"the best answer the sources gave does not address the question "
                f"(relevance {score:.2f} < {ANSWERED_AT})",
                withheld=attributed.answer,
            )
        if score is not None and score < RELEVANT_AT:
            warnings.append(
                f"the answer may not address the question (relevance {score:.2f} "
                f"< {RELEVANT_AT}): check it against the question, not only the sources"
            )
        return GroundedAnswer(
            answer=attributed.answer,
            sources=list(sources),
            grounding_metadata=metadata,
            support=attributed.report,
            warnings=warnings,
            decoder=self.decoder.name,
            relevance=score,
        )

    def no_sources(self, evidence: Evidence) -> GroundedAnswer:
        """The answer when retrieval found nothing: unsupported, with a warning and a reason."""
        return no_sources_answer(evidence, self.decoder.name, self.scorer)


def _pair_version() -> str:
    """The version of the pair model behind the passage check and the relevance."""
    from grounding.backends.pair import pair_model

    return pair_model().version


def _sentences(text: str) -> list[str]:
    """`text` cut after each sentence's end (`text.sentence_spans`, which knows "Dr." and
    "3.5"); the pieces join back to `text`."""
    cuts = [0, *(end for _, end in sentence_spans(text)[:-1]), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(cuts) if b > a]


def _relay(
    pieces: Generator[str, None, Generated], numbers: StreamNumbers
) -> Generator[Delta, None, Generated]:
    """Each decoder piece as Deltas, one per sentence it holds, its markers in citation
    order; returns what `pieces` returns."""
    while True:
        try:
            piece = next(pieces)
        except StopIteration as end:
            rest = numbers.flush()
            if rest:
                yield Delta(rest)
            generated: Generated = end.value
            return generated
        for sentence in _sentences(numbers.feed(piece)):
            yield Delta(sentence)
