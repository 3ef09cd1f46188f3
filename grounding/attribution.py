"""Citations of two origins: markers the decoder wrote, and markers the checker adds.

After the checker has scored an answer once, `attribute` inserts the checker's
best source after each supported claim that carries no marker, moves the
report's offsets past what was inserted (the checker does not run again), and
ties every cited segment to its sources with a confidence and an origin.
Markers the checker cannot support are flagged.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from grounding.generation.citations import CitedSegment, ParsedCitations, parse_citations
from grounding.schema import Claim, GroundingSupport, Segment, Span, SupportReport

__all__ = ["Attributed", "attribute"]

_FINAL_PUNCTUATION = re.compile(r"[.!?]+[\"'”’)]*$")


@dataclass(frozen=True)
class Attributed:
    """The answer with the checker's markers, its report in that answer's offsets, the supports."""

    answer: str
    report: SupportReport
    supports: list[GroundingSupport]
    warnings: list[str]


def attribute(
    parsed: ParsedCitations, source_count: int, report: SupportReport, threshold: float
) -> Attributed:
    """Add the checker's citations to `parsed.answer` and build its grounding supports.

    `report` is the checker's report on `parsed.answer`; it is carried over to
    the new answer by shifting offsets, not computed again.
    """
    insertions = _checker_markers(parsed.answer, parsed.segments, report)
    answer = parsed.answer
    segments: Sequence[CitedSegment] = parsed.segments
    added: set[int] = set()  # where (in the new answer) each marker the checker added starts
    if insertions:
        answer, added = _insert(parsed.answer, insertions)
        report = _shifted(report, answer, insertions)
        segments = parse_citations(answer, source_count).segments
    supports = [
        _support(answer, segment, report, _origin(answer, segment, added)) for segment in segments
    ]
    return Attributed(answer, report, supports, _flag_unsupported_markers(supports, threshold))


def _checker_markers(
    answer: str, segments: Sequence[CitedSegment], report: SupportReport
) -> list[tuple[int, str]]:
    """(offset, " [n]") for each supported claim that no decoder marker covers, in order."""
    cited = [(segment.start, segment.end) for segment in segments]
    insertions: list[tuple[int, str]] = []
    for claim in report.claims:
        if not claim.supported or not claim.citations:
            continue
        if any(s < claim.end and claim.start < e for s, e in cited):
            continue
        text = answer[claim.start : claim.end]
        punctuation = _FINAL_PUNCTUATION.search(text)
        at = claim.start + (punctuation.start() if punctuation else len(text))
        insertions.append((at, f" [{claim.citations[0]}]"))
    return sorted(insertions)


def _insert(answer: str, insertions: list[tuple[int, str]]) -> tuple[str, set[int]]:
    """The answer with the markers in, and where each marker starts in it."""
    pieces, starts, previous, shift = [], set(), 0, 0
    for at, marker in insertions:
        pieces += [answer[previous:at], marker]
        starts.add(at + shift)
        shift += len(marker)
        previous = at
    pieces.append(answer[previous:])
    return "".join(pieces), starts


def _shifted(
    report: SupportReport, answer: str, insertions: list[tuple[int, str]]
) -> SupportReport:
    """`report` in the offsets of `answer`, the text with `insertions` made."""
    positions = [at for at, _ in insertions]
    totals = [0]
    for _, marker in insertions:
        totals.append(totals[-1] + len(marker))

    def moved(offset: int) -> int:  # a marker inserted at or before `offset` pushes it on
        return offset + totals[bisect.bisect_right(positions, offset)]

    claims = [
        Claim(
            text=answer[moved(c.start) : moved(c.end)],
            start=moved(c.start),
            end=moved(c.end),
            score=c.score,
            supported=c.supported,
            citations=c.citations,
        )
        for c in report.claims
    ]
    spans = [
        Span(start=moved(s.start), end=moved(s.end), text=answer[moved(s.start) : moved(s.end)])
        for s in report.unsupported_spans
    ]
    return report.model_copy(update={"claims": claims, "unsupported_spans": spans})


def _origin(answer: str, segment: CitedSegment, added: set[int]) -> Literal["decoder", "checker"]:
    """ "checker" when the marker right after the segment is one `attribute` added."""
    return (
        "checker"
        if any(segment.end <= at and not answer[segment.end : at].strip() for at in added)
        else "decoder"
    )


def _support(
    answer: str, segment: CitedSegment, report: SupportReport, origin: Literal["decoder", "checker"]
) -> GroundingSupport:
    """A support whose confidence per source is the claim's score when the checker agrees."""
    start, end = segment.start, segment.end
    overlapping = [c for c in report.claims if c.start < end and start < c.end]
    claim = max(overlapping, key=lambda c: min(c.end, end) - max(c.start, start), default=None)
    confidences = [
        round(claim.score, 4) if claim and index in claim.citations else 0.0
        for index in segment.indices
    ]
    return GroundingSupport(
        segment=Segment(start_index=start, end_index=end, text=answer[start:end]),
        grounding_chunk_indices=list(segment.indices),
        confidence_scores=confidences,
        citation_origin=origin,
    )


def _flag_unsupported_markers(supports: Sequence[GroundingSupport], threshold: float) -> list[str]:
    warnings = []
    for support in supports:
        for index, confidence in zip(
            support.grounding_chunk_indices, support.confidence_scores, strict=True
        ):
            if confidence < threshold:
                snippet = support.segment.text[:60]
                warnings.append(
                    f"citation [{index}] on {snippet!r} is not supported by source {index}"
                )
    return warnings
