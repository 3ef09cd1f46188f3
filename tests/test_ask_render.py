"""How `grounding ask` shows an answer: relevance beside support, refusals, per document."""

from __future__ import annotations

from grounding.cli.ask import render_answer
from grounding.schema import (
    GroundedAnswer,
    GroundingMetadata,
    GroundingSupport,
    Segment,
    Source,
    SupportReport,
)

SOURCES = [
    Source(index=1, title="Node os", uri="file:///d/os.md", text="a", origin="local"),
    Source(index=2, title="Node os", uri="file:///d/os.md", text="b", origin="local"),
    Source(index=3, title="Node fs", uri="file:///d/fs.md", text="c", origin="local"),
]
REPORT = SupportReport(score=1.0, supported=True, claims=[], unsupported_spans=[], checker="x")


def _answer(**update: object) -> GroundedAnswer:
    support = GroundingSupport(
        segment=Segment(start_index=0, end_index=10, text="os.EOL is "),
        grounding_chunk_indices=[3],
        confidence_scores=[1.0],
    )
    base = GroundedAnswer(
        answer="os.EOL is \\r\\n on Windows [3].",
        sources=SOURCES,
        grounding_metadata=GroundingMetadata(grounding_supports=[support]),
        support=REPORT,
        relevance=0.9,
    )
    return base.model_copy(update=update)


def test_sources_are_listed_once_per_document_cited_first() -> None:
    lines = render_answer(_answer()).splitlines()
    listed = [line for line in lines if line.startswith("  [")]
    assert listed[0].startswith("  [3] Node fs") and "not cited" not in listed[0]
    assert listed[1].startswith("  [1, 2] Node os") and listed[1].endswith("(not cited)")
    assert len(listed) == 2


def test_relevance_stands_next_to_support() -> None:
    text = render_answer(_answer())
    assert "Support 1.00: supported · Relevance 0.90: answers the question" in text
    off = render_answer(_answer(relevance=0.1))
    assert "Relevance 0.10: may NOT answer the question" in off


def test_a_refusal_says_not_answered_instead_of_a_support_score() -> None:
    text = render_answer(_answer(answered=False, reason="the sources do not answer", relevance=0.0))
    assert "Not answered: the sources do not answer" in text
    assert "Support" not in text
