"""The data that flows between stages, defined once.

Every model here is frozen: stages hand each other values, never shared state.
The JSON shapes of `GroundedAnswer` and `SupportReport` are the contracts of
docs/ARCHITECTURE.md; fields may be added, never renamed or removed.
Offsets are Python `str` indices (code points), not UTF-8 bytes as in Gemini.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CITATION_MARKER",
    "Candidate",
    "Chunk",
    "Claim",
    "Delta",
    "Final",
    "GroundedAnswer",
    "GroundingChunk",
    "GroundingMetadata",
    "GroundingSupport",
    "Message",
    "RepairReport",
    "RepairStep",
    "RetrievalMetadata",
    "RewardReport",
    "SearchHit",
    "Segment",
    "Source",
    "Span",
    "SupportReport",
    "strip_citation_markers",
]

# An inline citation in an answer: [1], [2, 3]; group 1 holds the numbers.
CITATION_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")

_SOURCE_MARKERS = re.compile(r"[ \t]*" + CITATION_MARKER.pattern)


def strip_citation_markers(text: str) -> str:
    """`text` without citation markers (and the spaces before them): "in 1911 [2][3]." -> "in
    1911.". Applied to source text before it reaches a prompt or an answer, so that the
    only markers an answer carries are its own (a source's [2] is not a citation of ours)."""
    return _SOURCE_MARKERS.sub("", text)


Origin = Literal["local", "web"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Chunk(_Frozen):
    """A piece of a document, with its character offsets in that document."""

    id: str
    doc_id: str
    title: str
    uri: str
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    tags: tuple[str, ...] = ()
    section: str = ""  # the headings the chunk starts under ("release 1.12 › Bug fixes")
    page: int | None = Field(default=None, ge=1)  # the PDF page it is on (1-based); None: no pages


class SearchHit(_Frozen):
    """A chunk found by a retriever, with the retriever's score (higher is better)."""

    chunk: Chunk
    score: float
    origin: Origin = "local"
    retriever: str = ""


class Source(_Frozen):
    """A numbered source as shown to the decoder and returned to the user."""

    index: int = Field(ge=1)
    title: str
    uri: str
    text: str
    origin: Origin
    section: str = ""  # the headings its text starts under in its document
    page: int | None = Field(default=None, ge=1)  # the PDF page it is on (1-based)
    # its place in the retrieved order (1 = best); `index` follows the answer's citation order
    rank: int | None = Field(default=None, ge=1)

    @classmethod
    def from_hit(cls, hit: SearchHit, index: int) -> Source:
        """The hit's chunk as source number `index`, ranked `index` among those retrieved; the
        citation markers its text carries are taken out (`strip_citation_markers`), so only
        the answer's own markers cite."""
        chunk = hit.chunk
        return cls(index=index, title=chunk.title, uri=chunk.uri,
                   text=strip_citation_markers(chunk.text), origin=hit.origin,
                   section=chunk.section, page=chunk.page, rank=index)  # fmt: skip


class Segment(_Frozen):
    """A part of the answer: `text == answer[start_index:end_index]`."""

    start_index: int = Field(ge=0)
    end_index: int = Field(ge=0)
    text: str


class GroundingChunk(_Frozen):
    index: int = Field(ge=1)
    title: str
    uri: str


class GroundingSupport(_Frozen):
    """A segment of the answer and the sources that support it.

    `citation_origin` says who made the link: "decoder" for a marker the
    decoder wrote, "checker" for one attached afterwards from the checker's
    claim-to-source alignment.
    """

    segment: Segment
    grounding_chunk_indices: list[int]
    confidence_scores: list[float]
    citation_origin: Literal["decoder", "checker"] = "decoder"


class RetrievalMetadata(_Frozen):
    """Whether the web was searched for this answer, and why; which reranker ordered it.

    `web_search_used` is true only when a search answered; a search that failed
    leaves it false and says why in `web_error`. `web_results`: passages it found.
    """

    web_search_used: bool = False
    dynamic_retrieval_score: float | None = None
    reason: str = ""
    web_error: str = ""  # the failed search's error, e.g. "brave: HTTP 401 (bad key)"
    web_results: int = 0  # web passages the search found (before fusion with local hits)
    reranker: str = ""  # the rerank stage that ordered the sources ("none": fused order)


class RewardReport(_Frozen):
    """A multi-objective reward: each objective in [0, 1], the weights, and their weighted mean.

    `total` is sum(weight * objective) / sum(weight) over the weighted objectives.
    """

    total: float = Field(ge=0.0, le=1.0)
    objectives: dict[str, float]
    weights: dict[str, float]


class Candidate(_Frozen):
    """One answer best-of-n sampled, with its reward; `chosen` marks the one returned."""

    answer: str
    reward: RewardReport
    chosen: bool = False


class RepairStep(_Frozen):
    """What verify-then-repair did to one unsupported claim.

    `action` is "cited" (new evidence supports it and is cited), "regenerated" (replaced by a
    sentence the decoder wrote from the evidence), "removed", or "kept" (removing it would
    leave no answer). `score_after` is None for a removed claim.
    """

    round: int = Field(ge=1)
    claim: str
    action: Literal["cited", "regenerated", "removed", "kept"]
    score_before: float
    score_after: float | None = None
    replacement: str = ""
    sources_added: list[int] = []


class RepairReport(_Frozen):
    """The repair rounds run on the answer; `note` says why none ran when none did."""

    rounds: int = 0
    steps: list[RepairStep] = []
    note: str = ""


class GroundingMetadata(_Frozen):
    web_search_queries: list[str] = []
    grounding_chunks: list[GroundingChunk] = []
    grounding_supports: list[GroundingSupport] = []
    retrieval_metadata: RetrievalMetadata = RetrievalMetadata()
    candidates: list[Candidate] = []  # best-of-n: every candidate with its reward
    repair: RepairReport | None = None  # verify-then-repair, when asked for


class Claim(_Frozen):
    """One checkable statement of the answer and how well the sources support it."""

    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    score: float = Field(ge=0.0, le=1.0)
    supported: bool
    citations: list[int] = []


class Span(_Frozen):
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class SupportReport(_Frozen):
    """How well an answer is supported by its sources (score 1 = all supported)."""

    score: float = Field(ge=0.0, le=1.0)
    supported: bool
    claims: list[Claim]
    unsupported_spans: list[Span]
    checker: str
    model: str | None = None  # the pair model's version ("pair-1") when the scorer used it


class Message(_Frozen):
    """One chat message, as decoders take them."""

    role: Literal["system", "user", "assistant"]
    content: str


class GroundedAnswer(_Frozen):
    """The answer, its numbered sources, Gemini-style grounding metadata and its support."""

    answer: str
    sources: list[Source]
    grounding_metadata: GroundingMetadata
    support: SupportReport
    warnings: list[str] = []
    decoder: str = ""
    timings: dict[str, float] = {}  # seconds per stage: retrieval, generation, checking
    # Does the answer address the question (grounding.checking.relevance)? None: not scored.
    relevance: float | None = Field(default=None, ge=0.0, le=1.0)
    # False when the sources do not answer the question; `reason` then says why.
    answered: bool = True
    reason: str = ""
    # "length" when the decoder stopped at its token limit, as OpenAI's finish_reason says it.
    finish_reason: Literal["stop", "length"] = "stop"
    reward: RewardReport | None = None  # present when a reward was computed (best-of-n, repair)
    # The pair model's version ("pair-1") when it judged this answer: the passage check and the
    # relevance come from its answer head.
    model: str | None = None


@dataclass(frozen=True)
class Delta:
    """A stream event: a piece of answer text, as the decoder wrote it."""

    text: str


@dataclass(frozen=True)
class Final:
    """The last stream event: the grounded answer, citations resolved and checked."""

    answer: GroundedAnswer
