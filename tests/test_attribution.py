"""Post-hoc citations: the checker runs once, and its report is moved past the inserted markers."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from grounding.checking import ClaimScore, Scorer, check
from grounding.checking.scorers.overlap import OverlapScorer
from grounding.generation.citations import parse_citations
from grounding.orchestration.attribution import attribute
from grounding.orchestration.grounder import Grounder
from tests.test_pipeline import TEXTS, ListRetriever, ScriptedDecoder

SOURCES = [TEXTS["lighthouse"], TEXTS["harbour"]]
# Two unmarked claims the checker supports, one marked by the decoder, one unsupported.
ANSWER = (
    "The lighthouse was first lit on 3 March 1874. The harbour has forty berths! "
    "It has a fish market on Saturdays [2]. The moon is made of cheese"
)


class CountingScorer(Scorer):
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0
        self.inner = OverlapScorer()

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        self.calls += 1
        return self.inner.score(claims, sources)


def test_the_shifted_report_is_the_report_a_second_check_would_give() -> None:
    parsed = parse_citations(ANSWER, len(SOURCES))
    first = check(parsed.answer, SOURCES, scorer="overlap")
    done = attribute(parsed, first, 0.5)
    assert done.answer == (
        "The lighthouse was first lit on 3 March 1874 [1]. The harbour has forty berths [2]! "
        "It has a fish market on Saturdays [2]. The moon is made of cheese"
    )
    again = check(done.answer, SOURCES, scorer="overlap")  # the overlap scorer is per claim
    assert done.report == again
    assert [span.text for span in done.report.unsupported_spans] == ["moon", "made", "cheese"]
    origins = [(s.segment.text, s.citation_origin) for s in done.supports]
    assert origins == [
        ("The lighthouse was first lit on 3 March 1874", "checker"),
        ("The harbour has forty berths", "checker"),
        ("It has a fish market on Saturdays", "decoder"),
    ]


@pytest.mark.parametrize(
    "answer",
    [ANSWER,
     "[2] The lighthouse was first lit on 3 March 1874 . The harbour has forty berths [9]!",
     'It was lit in 1874 (by Ingrid Sollberg). He said "the harbour has forty berths." [1]',
     "The harbour has forty berths [1][2]. [1] It has a fish market on Saturdays"],
)  # fmt: skip
def test_the_carried_segments_are_those_a_second_parse_would_find(answer: str) -> None:
    parsed = parse_citations(answer, len(SOURCES))
    done = attribute(parsed, check(parsed.answer, SOURCES, scorer="overlap"), 0.5)
    assert done.answer != parsed.answer  # the checker added a marker
    again = parse_citations(done.answer, len(SOURCES)).segments
    assert [(s.segment.start_index, s.segment.end_index) for s in done.supports] == [
        (segment.start, segment.end) for segment in again
    ]
    assert [s.grounding_chunk_indices for s in done.supports] == [list(g.indices) for g in again]


def test_the_pipeline_runs_the_checker_once_per_answer() -> None:
    scorer = CountingScorer()
    grounder = Grounder(
        index=ListRetriever(TEXTS),
        decoder=ScriptedDecoder("The lighthouse was first lit on 3 March 1874."),
        scorer=scorer,
        threshold=0.5,
    )
    result = grounder.ask("When was the lighthouse first lit?")
    assert result.answer == "The lighthouse was first lit on 3 March 1874 [1]."
    assert scorer.calls == 1
    (support,) = result.grounding_metadata.grounding_supports
    assert support.citation_origin == "checker"
    assert all(result.answer[c.start : c.end] == c.text for c in result.support.claims)
