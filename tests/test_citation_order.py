"""Sources numbered in the order the answer first cites them, consistently everywhere:
markers, sources, grounding chunks and supports, the support report, warnings, the stream."""

from __future__ import annotations

from grounding.cli.ask import render_answer
from grounding.orchestration.attribution import StreamNumbers, in_citation_order
from grounding.orchestration.grounder import Grounder
from grounding.schema import (
    Claim,
    Delta,
    Final,
    GroundedAnswer,
    GroundingChunk,
    GroundingMetadata,
    GroundingSupport,
    Segment,
    Source,
    Span,
    SupportReport,
)
from tests.test_pipeline import ListRetriever, ScriptedDecoder


def _support(answer: str, text: str, indices: list[int]) -> GroundingSupport:
    start = answer.index(text)
    segment = Segment(start_index=start, end_index=start + len(text), text=text)
    return GroundingSupport(
        segment=segment, grounding_chunk_indices=indices, confidence_scores=[0.9] * len(indices)
    )


def _twelve_sources() -> GroundedAnswer:
    answer = "Alpha is one [12]. Beta is two [3, 12]. Gamma is three."
    sources = [
        Source(index=n, title=f"doc {n}", uri=f"file:///d/{n}.md", text=f"text {n}", origin="local")
        for n in range(1, 13)
    ]
    gamma = answer.index("Gamma")
    claims = [
        Claim(
            text="Alpha is one [12].", start=0, end=18, score=0.9, supported=True, citations=[12]
        ),
        Claim(
            text="Beta is two [3, 12].", start=19, end=39, score=0.2, supported=False, citations=[3]
        ),
        Claim(text="Gamma is three.", start=gamma, end=len(answer), score=0.1, supported=False),
    ]
    report = SupportReport(
        score=0.4,
        supported=False,
        claims=claims,
        checker="x",
        unsupported_spans=[Span(start=gamma, end=len(answer), text=answer[gamma:])],
    )
    return GroundedAnswer(
        answer=answer,
        sources=sources,
        grounding_metadata=GroundingMetadata(
            grounding_chunks=[
                GroundingChunk(index=s.index, title=s.title, uri=s.uri) for s in sources
            ],
            grounding_supports=[
                _support(answer, "Alpha is one", [12]),
                _support(answer, "Beta is two", [3, 12]),
            ],
        ),
        support=report,
        warnings=[
            "citation [3] on 'Beta is two' is not supported by source 3",
            "source [12] (file:///d/12.md) contains text that reads like instructions",
        ],
    )


def test_first_cited_becomes_one_and_offsets_follow_the_shorter_markers() -> None:
    result = in_citation_order(_twelve_sources())
    assert result.answer == "Alpha is one [1]. Beta is two [2, 1]. Gamma is three."
    assert [s.index for s in result.sources] == list(range(1, 13))
    assert [s.title for s in result.sources[:4]] == ["doc 12", "doc 3", "doc 1", "doc 2"]
    chunks = result.grounding_metadata.grounding_chunks
    assert [(c.index, c.title) for c in chunks[:2]] == [(1, "doc 12"), (2, "doc 3")]
    supports = result.grounding_metadata.grounding_supports
    assert [s.grounding_chunk_indices for s in supports] == [[1], [2, 1]]
    for support in supports:
        segment = support.segment
        assert result.answer[segment.start_index : segment.end_index] == segment.text
    for claim in result.support.claims:
        assert result.answer[claim.start : claim.end] == claim.text
    assert [c.text for c in result.support.claims][:2] == [
        "Alpha is one [1].",
        "Beta is two [2, 1].",
    ]
    assert [c.citations for c in result.support.claims] == [[1], [2], []]
    (span,) = result.support.unsupported_spans
    assert span.text == "Gamma is three." == result.answer[span.start : span.end]
    assert result.warnings == [
        "citation [2] on 'Beta is two' is not supported by source 2",
        "source [1] (file:///d/12.md) contains text that reads like instructions",
    ]


def test_an_answer_already_in_citation_order_is_left_alone() -> None:
    once = in_citation_order(_twelve_sources())
    assert in_citation_order(once) is once
    refused = _twelve_sources().model_copy(update={"answered": False})
    assert in_citation_order(refused, first=[12, 3]) is refused


def test_stream_numbers_renumber_markers_split_across_pieces() -> None:
    numbers = StreamNumbers(source_count=3)
    shown = [
        numbers.feed("Berths ["),
        numbers.feed("3]. Lit in 1874 [2"),
        numbers.feed(", 3]."),
        numbers.feed(" Nothing [9]."),
        numbers.flush(),
    ]
    assert shown == ["Berths ", "[1]. Lit in 1874 ", "[2, 1].", " Nothing.", ""]
    assert numbers.order == {3: 1, 2: 2}


def test_the_pipeline_numbers_by_first_citation_in_the_stream_and_the_answer() -> None:
    texts = {
        "lighthouse": "The Varnholt lighthouse was first lit on 3 March 1874 by Ingrid Sollberg.",
        "harbour": "The harbour has forty berths and a fish market on Saturdays.",
    }
    written = (
        "The harbour has forty berths [2]. The Varnholt lighthouse was first lit on "
        "3 March 1874 [1]."
    )
    grounder = Grounder(
        index=ListRetriever(texts), decoder=ScriptedDecoder(written), scorer="overlap"
    )
    question = "How many berths has the harbour, and when was the lighthouse first lit?"
    events = list(grounder.stream(question))
    deltas = [event.text for event in events if isinstance(event, Delta)]
    final = events[-1]
    assert isinstance(final, Final)
    answer = final.answer
    assert answer.answer.startswith("The harbour has forty berths [1].")
    assert "1874 [2]." in answer.answer
    assert "".join(deltas) == answer.answer  # the stream shows the same numbers
    assert [s.title for s in answer.sources] == ["Harbour", "Lighthouse"]
    assert [s.index for s in answer.sources] == [1, 2]
    assert [s.rank for s in answer.sources] == [2, 1]  # the retrieved order stays readable


def test_source_list_follows_citation_order_and_groups_only_cited_numbers() -> None:
    sources = [
        Source(index=1, title="Node os", uri="file:///d/os.md", text="a", origin="local"),
        Source(index=2, title="Node os", uri="file:///d/os.md", text="b", origin="local"),
        Source(index=3, title="Node fs", uri="file:///d/fs.md", text="c", origin="local"),
    ]
    answer = "fs.open opens [3]. os.EOL ends lines [2]."
    result = GroundedAnswer(
        answer=answer,
        sources=sources,
        grounding_metadata=GroundingMetadata(
            grounding_supports=[
                _support(answer, "os.EOL ends lines", [2]),
                _support(answer, "fs.open opens", [3]),
            ]
        ),
        support=SupportReport(
            score=1.0, supported=True, claims=[], unsupported_spans=[], checker="x"
        ),
    )
    listed = [line for line in render_answer(result).splitlines() if line.startswith("  [")]
    assert listed[0].startswith("  [3] Node fs")
    assert listed[1].startswith("  [2] Node os") and "not cited" not in listed[1]
    assert listed[2].startswith("  [1] Node os") and listed[2].endswith("(not cited)")
