"""Citation markers: parse `[n]`, `[n, m]` and `[n][m]` into supported segments, and
insert a marker where a sentence lacks one.

Markers that point at no source are removed from the answer and reported,
never silently kept. Offsets are Python `str` indices into the final answer
(Gemini counts UTF-8 bytes; convert with `len(answer[:i].encode())` if needed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from grounding.core.text import sentence_spans
from grounding.schema import CITATION_MARKER

__all__ = [
    "CitedSegment",
    "ParsedCitations",
    "insert_markers",
    "inserted_segment",
    "marker_at",
    "parse_citations",
]

_FINAL_PUNCTUATION = re.compile(r"[.!?]+[\"'”’)]*$")
_MARKER = re.compile(r"\s*" + CITATION_MARKER.pattern)
# the run of markers (and closing punctuation) that ends a sentence: "... 1874 [1][2]."
_TRAILING = re.compile(r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+\s*[.!?]*[\"'”’)]*\s*$")


@dataclass(frozen=True)
class CitedSegment:
    """A sentence of the answer (markers excluded) and the source indices it cites."""

    start: int
    end: int
    indices: tuple[int, ...]


@dataclass(frozen=True)
class ParsedCitations:
    answer: str
    segments: tuple[CitedSegment, ...]
    dropped: tuple[int, ...]  # marker numbers that pointed at no source


def parse_citations(answer: str, source_count: int) -> ParsedCitations:
    """Clean invalid markers out of `answer` and attach valid ones to their sentences."""
    cleaned, dropped = _drop_invalid(answer, source_count)
    segments = []
    for start, end, indices in _sentences_with_markers(cleaned):
        if indices:
            segments.append(CitedSegment(start, end, indices))
    return ParsedCitations(cleaned, tuple(segments), tuple(dropped))


def _drop_invalid(answer: str, source_count: int) -> tuple[str, list[int]]:
    dropped: list[int] = []

    def rewrite(match: re.Match[str]) -> str:
        numbers = [int(n) for n in match.group(1).split(",")]
        valid = [n for n in numbers if 1 <= n <= source_count]
        dropped.extend(n for n in numbers if not 1 <= n <= source_count)
        if not valid:
            return ""
        leading = match.group()[: match.group().index("[")]
        return f"{leading}[{', '.join(str(n) for n in valid)}]"

    return _MARKER.sub(rewrite, answer), dropped


def _sentences_with_markers(text: str) -> list[tuple[int, int, tuple[int, ...]]]:
    """Each sentence's span without its trailing markers, and the markers it carries.

    A marker group that opens a sentence ("... 1874. [2] Next") belongs to the
    sentence before it, as most models write it.
    """
    result: list[tuple[int, int, list[int]]] = []
    for start, end in sentence_spans(text):
        position = start
        while (leading := _MARKER.match(text, position)) and leading.end() <= end:
            if result:
                result[-1][2].extend(_numbers(leading))
            position = leading.end()
        while position < end and text[position].isspace():
            position += 1
        indices = [n for m in _MARKER.finditer(text, position, end) for n in _numbers(m)]
        trailing = _TRAILING.search(text, position, end)
        segment_end = trailing.start() if trailing else end
        if segment_end > position:
            result.append((position, segment_end, indices))
        elif result:
            result[-1][2].extend(indices)
    return [(s, e, tuple(dict.fromkeys(ix))) for s, e, ix in result]


def _numbers(match: re.Match[str]) -> list[int]:
    return [int(n) for n in match.group(1).split(",")]


def marker_at(text: str, start: int, end: int) -> int:
    """Where the marker of the sentence `text[start:end]` goes: before its closing
    punctuation ("1874 [1]."), else at its end."""
    punctuation = _FINAL_PUNCTUATION.search(text[start:end])
    return start + punctuation.start() if punctuation else end


def insert_markers(text: str, markers: Sequence[tuple[int, int]]) -> tuple[str, list[int]]:
    """`text` with " [n]" inserted at each (offset, n) (offsets into `text`, ascending), and
    where each inserted marker starts in the new text."""
    pieces, starts, previous, shift = [], [], 0, 0
    for at, number in markers:
        marker = f" [{number}]"
        pieces += [text[previous:at], marker]
        starts.append(at + shift)
        shift += len(marker)
        previous = at
    pieces.append(text[previous:])
    return "".join(pieces), starts


def inserted_segment(text: str, start: int, at: int, number: int) -> CitedSegment:
    """The segment `parse_citations` finds for a sentence that starts at `start` in `text`
    and had no marker until " [number]" was inserted at `at`: the sentence without the
    markers that open it (they belong to the sentence before) or the spaces before `at`."""
    position = start
    while (leading := _MARKER.match(text, position)) and leading.end() <= at:
        position = leading.end()
    while position < at and text[position].isspace():
        position += 1
    return CitedSegment(position, len(text[:at].rstrip()), (number,))
