"""Citations of two origins: markers the decoder wrote, and markers the checker adds.

After the checker has scored an answer once, `attribute` inserts the checker's
best source after each supported claim that carries no marker, moves the
report's offsets past what was inserted (the checker does not run again), and
ties every cited segment to its sources with a confidence and an origin.
Markers the checker cannot support are flagged.

`in_citation_order` then numbers the sources in the order the answer first cites them
([1] is the first source cited), consistently in the answer's markers, its sources, its
grounding chunks and supports, its support report and its warnings; `StreamNumbers`
gives streamed text the same numbers as it comes.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from grounding.generation.citations import (
    CitedSegment,
    ParsedCitations,
    insert_markers,
    inserted_segment,
    marker_at,
)
from grounding.schema import (
    CITATION_MARKER,
    Claim,
    GroundedAnswer,
    GroundingMetadata,
    GroundingSupport,
    Segment,
    Span,
    SupportReport,
)

__all__ = ["Attributed", "StreamNumbers", "attribute", "in_citation_order"]


@dataclass(frozen=True)
class Attributed:
    """The answer with the checker's markers, its report in that answer's offsets, the supports."""

    answer: str
    report: SupportReport
    supports: list[GroundingSupport]
    warnings: list[str]


def attribute(parsed: ParsedCitations, report: SupportReport, threshold: float) -> Attributed:
    """Add the checker's citations to `parsed.answer` and build its grounding supports.

    `report` is the checker's report on `parsed.answer`; it is carried over to the new
    answer by shifting offsets, not computed again, and so are the parsed segments (the
    markers are parsed once).
    """
    markers = _checker_markers(parsed.answer, parsed.segments, report)
    answer = parsed.answer
    segments: Sequence[CitedSegment] = parsed.segments
    added: list[int] = []  # where (in the new answer) each marker the checker added starts
    if markers:
        answer, added = insert_markers(parsed.answer, [(at, n) for at, n, _ in markers])
        moved = _mover([(at, n) for at, n, _ in markers])
        report = _shifted(report, answer, moved)
        segments = sorted(
            [CitedSegment(moved(s.start), moved(s.end), s.indices) for s in parsed.segments]
            + [
                inserted_segment(answer, moved(start), new_at, n)
                for (_, n, start), new_at in zip(markers, added, strict=True)
            ],
            key=lambda segment: segment.start,
        )
    supports = [
        _support(answer, segment, report, _origin(answer, segment, added)) for segment in segments
    ]
    return Attributed(answer, report, supports, _flag_unsupported_markers(supports, threshold))


def _checker_markers(
    answer: str, segments: Sequence[CitedSegment], report: SupportReport
) -> list[tuple[int, int, int]]:
    """(offset, source, claim start) of the marker for each supported claim that no decoder
    marker covers, in order."""
    cited = [(segment.start, segment.end) for segment in segments]
    markers: list[tuple[int, int, int]] = []
    for claim in report.claims:
        if not claim.supported or not claim.citations:
            continue
        if any(s < claim.end and claim.start < e for s, e in cited):
            continue
        markers.append((marker_at(answer, claim.start, claim.end), claim.citations[0], claim.start))
    return sorted(markers)


def _mover(markers: Sequence[tuple[int, int]]) -> Callable[[int], int]:
    """Where an offset of the answer lands once the (offset, n) markers are inserted."""
    positions = [at for at, _ in markers]
    totals = [0]
    for _, number in markers:
        totals.append(totals[-1] + len(f" [{number}]"))

    def moved(offset: int) -> int:  # a marker inserted at or before `offset` pushes it on
        return offset + totals[bisect.bisect_right(positions, offset)]

    return moved


def _shifted(report: SupportReport, answer: str, moved: Callable[[int], int]) -> SupportReport:
    """`report` in the offsets of `answer`, the text with the markers inserted."""
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


def _origin(
    answer: str, segment: CitedSegment, added: Sequence[int]
) -> Literal["decoder", "checker"]:
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


_SPACED_MARKER = re.compile(r"(\s*)" + CITATION_MARKER.pattern)


class StreamNumbers:
    """Renumbers the markers of streamed text by first citation, as `in_citation_order` does.

    A marker split across pieces ("[" then "2]") is held back until it closes. `order`
    lists the original source numbers in the order they were first cited.
    """

    def __init__(self, source_count: int) -> None:
        self.source_count = source_count
        self.order: dict[int, int] = {}  # original number -> new number
        self._held = ""

    def feed(self, text: str) -> str:
        """What of `text` (and what was held back) can be shown now, renumbered."""
        text, self._held = self._held + text, ""
        open_marker = re.search(r"\[[\d,\s]{0,40}$", text)
        if open_marker:
            text, self._held = text[: open_marker.start()], text[open_marker.start() :]
        return _SPACED_MARKER.sub(self._rewrite, text)

    def flush(self) -> str:
        """Whatever is still held back at the end of the stream."""
        held, self._held = self._held, ""
        return _SPACED_MARKER.sub(self._rewrite, held)

    def _rewrite(self, match: re.Match[str]) -> str:
        numbers = [int(n) for n in match.group(2).split(",")]
        valid = [n for n in numbers if 1 <= n <= self.source_count]
        for number in valid:
            self.order.setdefault(number, len(self.order) + 1)
        if not valid:
            return ""  # a marker that points at no source is dropped from the answer too
        return f"{match.group(1)}[{', '.join(str(self.order[n]) for n in valid)}]"


def in_citation_order(answer: GroundedAnswer, first: Sequence[int] = ()) -> GroundedAnswer:
    """`answer` with its sources numbered in the order they are first cited.

    `first` lists original numbers already shown in that order (a stream's `order`); the
    other cited sources follow in the order the answer cites them, uncited ones last in
    their old order. Nothing changes when the numbering already follows citation order, or
    for a refusal (it cites nothing; a withheld answer in its warnings keeps its numbers).
    """
    if not answer.answered:
        return answer
    numbers = [source.index for source in answer.sources]
    cited = [i for s in sorted(answer.grounding_metadata.grounding_supports,
                               key=lambda s: s.segment.start_index)
             for i in s.grounding_chunk_indices]  # fmt: skip
    order = list(dict.fromkeys(n for n in [*first, *cited, *numbers] if n in numbers))
    mapping = {old: new for new, old in enumerate(order, start=1)}
    if all(old == new for old, new in mapping.items()):
        return answer
    text, moved = _renumbered_text(answer.answer, mapping)
    return answer.model_copy(update={
        "answer": text,
        "sources": sorted((s.model_copy(update={"index": mapping[s.index]})
                           for s in answer.sources), key=lambda s: s.index),
        "grounding_metadata": _renumbered_metadata(answer, text, mapping, moved),
        "support": _renumbered_report(answer.support, text, mapping, moved),
        "warnings": [_renumbered_warning(w, mapping) for w in answer.warnings],
    })  # fmt: skip


def _renumbered_text(text: str, mapping: Mapping[int, int]) -> tuple[str, Callable[[int], int]]:
    """`text` with every marker renumbered, and where each old offset lands in it."""
    edits: list[tuple[int, int, int]] = []  # (old start, old end, new length)

    def rewrite(match: re.Match[str]) -> str:
        numbers = [mapping.get(int(n), int(n)) for n in match.group(1).split(",")]
        new = f"[{', '.join(str(n) for n in numbers)}]"
        edits.append((match.start(), match.end(), len(new)))
        return new

    renumbered = CITATION_MARKER.sub(rewrite, text)

    def moved(offset: int) -> int:
        shift = 0
        for start, end, length in edits:
            if end <= offset:
                shift += length - (end - start)
            elif start < offset:  # inside a marker: stay inside the new one
                return start + shift + min(offset - start, length)
        return offset + shift

    return renumbered, moved


def _renumbered_metadata(
    answer: GroundedAnswer, text: str, mapping: Mapping[int, int], moved: Callable[[int], int]
) -> GroundingMetadata:
    metadata = answer.grounding_metadata
    supports = []
    for support in metadata.grounding_supports:
        start, end = moved(support.segment.start_index), moved(support.segment.end_index)
        supports.append(support.model_copy(update={
            "segment": Segment(start_index=start, end_index=end, text=text[start:end]),
            "grounding_chunk_indices": [mapping.get(i, i)
                                        for i in support.grounding_chunk_indices],
        }))  # fmt: skip
    chunks = sorted((c.model_copy(update={"index": mapping.get(c.index, c.index)})
                     for c in metadata.grounding_chunks), key=lambda c: c.index)  # fmt: skip
    candidates = [c.model_copy(update={"answer": _renumbered_text(c.answer, mapping)[0]})
                  for c in metadata.candidates]  # fmt: skip
    repair = metadata.repair
    if repair is not None:
        repair = repair.model_copy(update={"steps": [step.model_copy(update={
            "replacement": _renumbered_text(step.replacement, mapping)[0],
            "sources_added": [mapping.get(i, i) for i in step.sources_added],
        }) for step in repair.steps]})  # fmt: skip
    return metadata.model_copy(update={
        "grounding_supports": supports, "grounding_chunks": chunks,
        "candidates": candidates, "repair": repair,
    })  # fmt: skip


def _renumbered_report(
    report: SupportReport, text: str, mapping: Mapping[int, int], moved: Callable[[int], int]
) -> SupportReport:
    claims = [
        claim.model_copy(update={
            "start": moved(claim.start), "end": moved(claim.end),
            "text": text[moved(claim.start) : moved(claim.end)],
            "citations": [mapping.get(i, i) for i in claim.citations],
        })
        for claim in report.claims
    ]  # fmt: skip
    spans = [Span(start=moved(s.start), end=moved(s.end), text=text[moved(s.start) : moved(s.end)])
             for s in report.unsupported_spans]  # fmt: skip
    return report.model_copy(update={"claims": claims, "unsupported_spans": spans})


_NUMBERED = re.compile(r"(citation \[|source \[|by source )(\d+)")


def _renumbered_warning(warning: str, mapping: Mapping[int, int]) -> str:
    """A warning's "source [n]", "citation [n]" and "by source n" in the new numbers."""
    return _NUMBERED.sub(
        lambda m: m.group(1) + str(mapping.get(int(m.group(2)), int(m.group(2)))), warning
    )
