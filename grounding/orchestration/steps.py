"""The typed values that pass between the Grounder's steps, and the small pieces that
build them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from grounding.checking import Scorer, nothing_claimed
from grounding.core.text import looks_like_instructions
from grounding.generation.prompt import Prompt
from grounding.schema import (
    GroundedAnswer,
    GroundingChunk,
    GroundingMetadata,
    RetrievalMetadata,
    SearchHit,
    Source,
)

__all__ = [
    "NO_SOURCES_ANSWER",
    "Evidence",
    "Prompted",
    "grounding_chunks",
    "instruction_warnings",
    "no_sources_answer",
    "numbered",
    "refusal_answer",
]

NO_SOURCES_ANSWER = "No sources were found for this question."


@dataclass(frozen=True)
class Evidence:
    """What an answer is grounded in: numbered sources, the queries that found them and
    the warnings gathered so far, with the retrieval's metadata."""

    sources: tuple[Source, ...]
    queries: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    retrieval: RetrievalMetadata = field(default_factory=RetrievalMetadata)


@dataclass(frozen=True)
class Prompted:
    """A prompt, and the evidence it holds: the sources that fit the decoder's budget, with
    the prompt's own warnings (sources left out, sources that read like orders) added."""

    prompt: Prompt
    evidence: Evidence


def grounding_chunks(sources: Sequence[Source]) -> list[GroundingChunk]:
    """The grounding chunk of each source, as the answer JSON lists them."""
    return [GroundingChunk(index=s.index, title=s.title, uri=s.uri) for s in sources]


def instruction_warnings(sources: Sequence[Source]) -> list[str]:
    """A warning for each local source that reads like orders to the model.

    Web passages are flagged (and warned about) where they are fetched.
    """
    return [
        f"source [{source.index}] ({source.uri}) contains text that reads like instructions "
        "to the model; it is used only as quoted evidence"
        for source in sources
        if source.origin == "local" and looks_like_instructions(source.text)
    ]


def numbered(hits: Sequence[SearchHit]) -> list[Source]:
    """The hits as sources numbered from 1, in order."""
    return [Source.from_hit(hit, i) for i, hit in enumerate(hits, start=1)]


def refusal_answer(
    text: str,
    evidence: Evidence,
    decoder: str,
    scorer: Scorer,
    reason: str = "the retrieved sources do not answer the question",
    withheld: str = "",
) -> GroundedAnswer:
    """The sources do not answer: nothing is claimed, so nothing is checked.

    `withheld` is an answer the decoder gave that does not address the question;
    it is kept in a warning, never shown as the answer.
    """
    warnings = list(evidence.warnings)
    if withheld:
        warnings.append(f"withheld as not addressing the question: {withheld}")
    return GroundedAnswer(
        answer=text,
        sources=list(evidence.sources),
        grounding_metadata=GroundingMetadata(
            web_search_queries=list(evidence.queries),
            grounding_chunks=grounding_chunks(evidence.sources),
            retrieval_metadata=evidence.retrieval,
        ),
        support=nothing_claimed(scorer, supported=True),
        warnings=warnings,
        decoder=decoder,
        relevance=0.0,
        answered=False,
        reason=reason,
    )


def no_sources_answer(evidence: Evidence, decoder: str, scorer: Scorer) -> GroundedAnswer:
    """The answer when retrieval found nothing: unsupported, with a warning and a reason."""
    return GroundedAnswer(
        answer=NO_SOURCES_ANSWER,
        sources=[],
        grounding_metadata=GroundingMetadata(
            web_search_queries=list(evidence.queries), retrieval_metadata=evidence.retrieval
        ),
        support=nothing_claimed(scorer, supported=False),
        warnings=[*evidence.warnings, "no sources found: nothing to ground the answer in"],
        decoder=decoder,
        relevance=0.0,
        answered=False,
        reason="no sources were found for the question",
    )
