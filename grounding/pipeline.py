"""The Grounder: one question through retrieval, generation and checking.

The stages never import each other; this module wires them. It is also the
place that asks the checker for post-hoc citations when the decoder forgot
its markers, and flags markers the checker cannot support.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grounding.attribution import StreamNumbers, attribute, in_citation_order
from grounding.checking import Scorer, check, get_scorer, nothing_claimed, scorer_threshold
from grounding.checking.relevance import ANSWERED_AT, RELEVANT_AT, relevance
from grounding.config import Settings
from grounding.core.answer_types import REFUSAL, is_refusal
from grounding.core.text import looks_like_instructions, sentence_spans
from grounding.errors import InputError
from grounding.generation.base import Decoder
from grounding.generation.citations import parse_citations
from grounding.generation.decoders import get_decoder
from grounding.generation.prompt import Prompt, build_prompt, require_question
from grounding.improve import Improve
from grounding.plugins import DECODERS
from grounding.retrieval.base import Retriever
from grounding.retrieval.query import retrieval_query
from grounding.retrieval.rerank.base import Reranker, get_reranker
from grounding.schema import (
    Delta,
    Final,
    GroundedAnswer,
    GroundingChunk,
    GroundingMetadata,
    Message,
    RetrievalMetadata,
    SearchHit,
    Source,
)

__all__ = ["Delta", "Final", "Grounder", "open_index"]  # the stream events live in schema

NO_SOURCES_ANSWER = "No sources were found for this question."
# Below this, no retrieved passage answers the question by the pair model's answer head
# (its best passage's P(answers)): the Grounder refuses before generating. Chosen on the tune
# parts of eval/realdocs, eval/docs300 and eval/squad2e2e (bench/answerable.py sweep).
PASSAGES_ANSWER_AT = 0.15
RERANK_POOL = 6  # candidates a reranker sees, as a multiple of k


def open_index(index: str | Path | Retriever | None, settings: Settings | None = None) -> Retriever:
    """A retriever for `index`: a name, a path, a ready retriever, or None for the demo index.

    `settings` say where named indexes live and how queries are embedded."""
    if isinstance(index, Retriever):
        return index
    if index is not None and not isinstance(index, str | Path):
        raise InputError(f"index must be a name, a path or a Retriever, not {type(index).__name__}")
    from grounding.retrieval.demo import demo_index
    from grounding.retrieval.index.local import LocalIndex

    return demo_index(settings) if index is None else LocalIndex.load(index, settings=settings)


@dataclass
class _Retrieved:
    sources: list[Source]
    queries: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    retrieval: RetrievalMetadata = field(default_factory=RetrievalMetadata)


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
        improve: Improve | None = None,
        reranker: str | Reranker | None = None,
    ) -> None:
        settings = settings or Settings.from_env()  # read once here, passed down
        self.web = web
        add_web: Callable[[Retriever], Retriever] | None = None
        if web:  # a provider name, "auto" or "auto:<provider>"; a missing key fails here, first
            from grounding.retrieval.web import open_web

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
        self.threshold = scorer_threshold(self.scorer) if threshold is None else threshold
        self.max_tokens = max_tokens
        self.improve = improve or Improve()

    def ask(
        self,
        question: str,
        history: Sequence[Message] = (),
        max_tokens: int | None = None,
        improve: Improve | None = None,
    ) -> GroundedAnswer:
        """The grounded answer to `question`, with sources, supports and a support report.

        `improve` (default: the Grounder's) turns on best-of-n and repair for this call.
        """
        *_, final = self.stream(question, history, max_tokens, improve)
        assert isinstance(final, Final)  # stream() always ends with one Final
        return final.answer

    def stream(
        self,
        question: str,
        history: Sequence[Message] = (),
        max_tokens: int | None = None,
        improve: Improve | None = None,
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
        settings = improve or self.improve
        if settings.active:  # best-of-n and repair need whole answers: no token stream
            from grounding.improve import improve as improved_answer

            improved = in_citation_order(improved_answer(self, question, history, settings, limit))
            timings["total"] = time.perf_counter() - started
            yield Delta(improved.answer)
            yield Final(improved.model_copy(update={"timings": timings, "model": _pair_version()}))
            return
        retrieved = self._retrieve(retrieval_query(question, history))  # follow-ups: + context
        timings["retrieval"] = time.perf_counter() - started
        if not retrieved.sources:
            yield Delta(NO_SOURCES_ANSWER)
            yield Final(self._no_sources(retrieved, timings))
            return
        best = self.passage_answers(question, retrieved.sources)
        if best < PASSAGES_ANSWER_AT:
            timings["total"] = time.perf_counter() - started
            yield Delta(REFUSAL)
            reason = (f"no retrieved passage answers the question (the pair model's best "
                      f"passage {best:.2f} < {PASSAGES_ANSWER_AT})")  # fmt: skip
            refusal = self._refusal(REFUSAL, retrieved.sources, retrieved, reason=reason)
            yield Final(refusal.model_copy(update={"timings": timings, "model": _pair_version()}))
            return
        prompt = self._prompt(question, retrieved, history, limit)
        started = time.perf_counter()
        pieces: list[str] = []
        numbers = StreamNumbers(len(prompt.sources))
        said = yield from _relay(self.decoder.stream(prompt, max_tokens=limit), pieces, numbers)
        raw = "".join(pieces)
        cut = said == "length" or (said is None and self.decoder.count_tokens(raw) >= limit)
        timings["generation"] = time.perf_counter() - started
        started = time.perf_counter()
        answer = self._finish(raw, list(prompt.sources), retrieved, question)
        answer = in_citation_order(answer, list(numbers.order))
        timings["checking"] = time.perf_counter() - started
        finish = "length" if cut else "stop"
        update = {"timings": timings, "finish_reason": finish, "model": _pair_version()}
        yield Final(answer.model_copy(update=update))

    @staticmethod
    def passage_answers(question: str, sources: Sequence[Source]) -> float:
        """The best P(a retrieved passage answers `question`), by the pair model's answer head
        over each passage's sentences that best match the question."""
        from grounding.backends.pair import pair_model

        scores = pair_model().answer_scores(question, [s.text for s in sources])
        return float(scores.max()) if len(scores) else 0.0

    def _prompt(
        self, question: str, retrieved: _Retrieved, history: Sequence[Message], limit: int
    ) -> Prompt:
        budget = self.decoder.context_tokens - limit
        prompt = build_prompt(
            question, retrieved.sources, self.decoder.count_tokens, budget, history
        )
        if prompt.dropped:
            retrieved.warnings.append(
                f"{prompt.dropped} source(s) left out to fit the decoder's token budget"
            )
        retrieved.warnings.extend(_instruction_warnings(prompt.sources))
        return prompt

    def _retrieve(self, question: str) -> _Retrieved:
        """The top k hits: every retriever's candidates fused, then reranked as one list."""
        pool = self.k if self.reranker.name == "none" else self.k * RERANK_POOL
        found = self.retriever.retrieve(question, k=pool)  # web faults come back as warnings
        return _Retrieved(
            sources=_number(self.reranker.rerank(question, found.hits, self.k)),
            queries=list(found.queries),
            warnings=list(found.warnings),
            retrieval=found.retrieval.model_copy(update={"reranker": self.reranker.name}),
        )

    def _finish(
        self, raw: str, sources: list[Source], retrieved: _Retrieved, question: str = ""
    ) -> GroundedAnswer:
        """The checked answer; a refusal is not checked, and relevance is scored when
        `question` is given."""
        if is_refusal(raw):
            return self._refusal(raw.strip() or REFUSAL, sources, retrieved)
        texts = [source.text for source in sources]
        parsed = parse_citations(raw.strip(), len(sources))
        warnings = list(retrieved.warnings)
        if parsed.dropped:
            numbers = ", ".join(f"[{n}]" for n in parsed.dropped)
            warnings.append(f"dropped citation markers that point at no source: {numbers}")
        report = check(parsed.answer, texts, scorer=self.scorer, threshold=self.threshold)
        if not report.claims:  # only markers or punctuation: nothing to show or to check
            return self._refusal(REFUSAL, sources, retrieved, reason=(
                f"the decoder wrote no sentence that says anything: {raw.strip()!r}"))  # fmt: skip
        attributed = attribute(parsed, len(sources), report, self.threshold)  # no second check
        warnings += attributed.warnings
        metadata = GroundingMetadata(
            web_search_queries=retrieved.queries,
            grounding_chunks=[
                GroundingChunk(index=s.index, title=s.title, uri=s.uri) for s in sources
            ],
            grounding_supports=attributed.supports,
            retrieval_metadata=retrieved.retrieval,
        )
        score = relevance(question, attributed.answer) if question else None
        if score is not None and score < ANSWERED_AT:  # off-topic: withheld, not shown as an answer
            return self._refusal(
                REFUSAL,
                sources,
                retrieved,
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
            sources=sources,
            grounding_metadata=metadata,
            support=attributed.report,
            warnings=warnings,
            decoder=self.decoder.name,
            relevance=score,
        )

    def _refusal(
        self,
        text: str,
        sources: list[Source],
        retrieved: _Retrieved,
        reason: str = "the retrieved sources do not answer the question",
        withheld: str = "",
    ) -> GroundedAnswer:
        """The sources do not answer: nothing is claimed, so nothing is checked.

        `withheld` is an answer the decoder gave that does not address the question;
        it is kept in a warning, never shown as the answer.
        """
        warnings = list(retrieved.warnings)
        if withheld:
            warnings.append(f"withheld as not addressing the question: {withheld}")
        return GroundedAnswer(
            answer=text,
            sources=sources,
            grounding_metadata=GroundingMetadata(
                web_search_queries=retrieved.queries,
                grounding_chunks=[
                    GroundingChunk(index=s.index, title=s.title, uri=s.uri) for s in sources
                ],
                retrieval_metadata=retrieved.retrieval,
            ),
            support=nothing_claimed(self.scorer, supported=True),
            warnings=warnings,
            decoder=self.decoder.name,
            relevance=0.0,
            answered=False,
            reason=reason,
        )

    def _no_sources(self, retrieved: _Retrieved, timings: dict[str, float]) -> GroundedAnswer:
        return GroundedAnswer(
            answer=NO_SOURCES_ANSWER,
            sources=[],
            grounding_metadata=GroundingMetadata(
                web_search_queries=retrieved.queries, retrieval_metadata=retrieved.retrieval
            ),
            support=nothing_claimed(self.scorer, supported=False),
            warnings=[*retrieved.warnings, "no sources found: nothing to ground the answer in"],
            decoder=self.decoder.name,
            timings=timings,
            relevance=0.0,
            answered=False,
            reason="no sources were found for the question",
        )


def _pair_version() -> str:
    """The version of the pair model behind the passage check and the relevance."""
    from grounding.backends.pair import pair_model

    return pair_model().version


def _instruction_warnings(sources: Sequence[Source]) -> list[str]:
    """A warning for each local source that reads like orders to the model.

    Web passages are flagged (and warned about) where they are fetched.
    """
    return [
        f"source [{source.index}] ({source.uri}) contains text that reads like instructions "
        "to the model; it is used only as quoted evidence"
        for source in sources
        if source.origin == "local" and looks_like_instructions(source.text)
    ]


def _sentences(text: str) -> list[str]:
    """`text` cut after each sentence's end (`text.sentence_spans`, which knows "Dr." and
    "3.5"); the pieces join back to `text`."""
    cuts = [0, *(end for _, end in sentence_spans(text)[:-1]), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(cuts) if b > a]


def _relay(
    pieces: Iterator[str], kept: list[str], numbers: StreamNumbers
) -> Generator[Delta, None, str | None]:
    """Each decoder piece as Deltas, one per sentence it holds, its markers in citation
    order; returns the finish reason the decoder returned, if any."""
    while True:
        try:
            piece = next(pieces)
        except StopIteration as end:
            rest = numbers.flush()
            if rest:
                yield Delta(rest)
            return end.value if end.value in ("stop", "length") else None
        kept.append(piece)
        for sentence in _sentences(numbers.feed(piece)):
            yield Delta(sentence)


def _number(hits: Sequence[SearchHit]) -> list[Source]:
    return [Source.from_hit(hit, i) for i, hit in enumerate(hits, start=1)]
