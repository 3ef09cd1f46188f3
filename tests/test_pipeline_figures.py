"""The five figures a pipeline run is judged by (issue 24), from hand-made answers: no models."""

from __future__ import annotations

from grounding.evaluation.data import QuestionRow
from grounding.evaluation.pipeline_eval import _correctness
from grounding.evaluation.pipeline_metrics import correctness_metrics, pipeline_metrics
from grounding.evaluation.pipeline_results import PipelineResult, QuestionResult, headline_figures
from grounding.evaluation.tables import fmt_threshold
from grounding.schema import (
    GroundedAnswer,
    GroundingMetadata,
    GroundingSupport,
    Segment,
    Source,
    SupportReport,
)

SOURCES = [
    Source(index=1, title="ls", uri="file:///e/docs/man/ls.txt", text="a", origin="local"),
    Source(index=2, title="cp", uri="file:///e/docs/man/cp.txt", text="b", origin="local"),
]
SUPPORTED = SupportReport(score=1.0, supported=True, claims=[], unsupported_spans=[], checker="x")


def _answer(text: str, cited: int | None, answered: bool = True) -> GroundedAnswer:
    supports = []
    if cited is not None:
        segment = Segment(start_index=0, end_index=len(text), text=text)
        supports = [
            GroundingSupport(
                segment=segment, grounding_chunk_indices=[cited], confidence_scores=[1.0]
            )
        ]
    return GroundedAnswer(
        answer=text,
        sources=SOURCES,
        grounding_metadata=GroundingMetadata(grounding_supports=supports),
        support=SUPPORTED,
        relevance=0.9,
        answered=answered,
    )


def _result(row: QuestionRow, answer: GroundedAnswer) -> QuestionResult:
    return QuestionResult(
        id=row.id, question=row.question, expected=row.expected, answer=answer, citations=0,
        supporting_citations=0, claims=0, covered_claims=0, by_origin={},
        expected_recall=None, seconds=0.1, **_correctness(row, answer, 0.2),
    )  # fmt: skip


def _row(id_: str, expected: str | None, doc: str | None) -> QuestionRow:
    return QuestionRow(
        id=id_, question=f"question {id_}?", expected=expected, answer_doc=doc,
        answerable=expected is not None,
    )  # fmt: skip


ANSWERABLE = [
    # right answer citing the right file
    (_row("a1", "-a", "man/ls.txt"), _answer("Use -a, --all [1].", 1)),
    # wrong answer citing the wrong file, shown as supported and relevant
    (_row("a2", "--parents", "man/cp.txt"), _answer("Use -p [1].", 1)),
    # refused although the right file (cp.txt, source 2) was retrieved
    (_row("a3", "-n", "man/cp.txt"), _answer("The sources do not say.", None, answered=False)),
    # right answer, right file
    (_row("a4", "-R", "man/cp.txt"), _answer("Use -R [2].", 2)),
]


def test_the_five_figures_from_hand_made_answers() -> None:
    unanswerable = [
        (_row("u1", None, None), _answer("The sources do not say.", None, answered=False)),
        (_row("u2", None, None), _answer("Use -x [1].", 1)),  # answered: not refused
    ]
    results = [_result(row, answer) for row, answer in ANSWERABLE + unanswerable]
    assert [r.retrieved_document for r in results[:4]] == [True, True, True, True]
    c = correctness_metrics(results)
    assert (c["answerable"], c["unanswerable"]) == (4, 2)
    assert c["contains"] == 0.5 and c["right_document"] == 0.5 and c["refusal_rate"] == 0.5
    assert c["answerable_wrong_but_shown_right"] == 1  # a2 only: a3 is a refusal
    assert c["answerable_wrong_but_shown_right_rate"] == 0.25
    assert c["wrong_but_shown_right"] == 2  # a2 and the answered unanswerable u2
    assert c["refused_right_document_retrieved"] == 1  # a3
    assert c["refused_right_document_retrieved_rate"] == 0.25
    assert headline_figures(c) == [
        ("answer right", "0.500"),
        ("right file cited", "0.500"),
        ("refused unanswerable", "0.500"),
        ("wrong but shown supported", "1 (0.250 of answerable)"),
        ("refused with the right file retrieved", "1 (0.250 of answerable)"),
    ]


def test_no_unanswerable_questions_reads_n_a_not_zero() -> None:
    c = correctness_metrics([_result(row, answer) for row, answer in ANSWERABLE])
    figures = dict(headline_figures(c))
    assert figures["refused unanswerable"] == "n/a"
    assert figures["answer right"] == "0.500"
    only_unanswerable = correctness_metrics(
        [_result(_row("u1", None, None), _answer("No.", None, answered=False))]
    )
    figures = dict(headline_figures(only_unanswerable))
    assert figures["refused unanswerable"] == "1.000"
    assert figures["answer right"] == figures["wrong but shown supported"] == "n/a"


def test_metrics_written_before_the_new_figures_still_read() -> None:
    old = {"answerable": 3, "unanswerable": 0, "contains": 0.5, "right_document": 1.0,
           "refusal_rate": 0.0}  # fmt: skip
    assert headline_figures(old)[2:] == [
        ("refused unanswerable", "n/a"),
        ("wrong but shown supported", "n/a"),
        ("refused with the right file retrieved", "n/a"),
    ]


def test_report_header_and_table_write_the_threshold_alike() -> None:
    assert fmt_threshold(0.554) == "0.554" and fmt_threshold(0.5) == "0.50"
    assert fmt_threshold(0.55) == "0.55" and fmt_threshold(0.9) == "0.90"


def test_the_summary_line_starts_with_the_five_figures(tmp_path) -> None:
    results = [_result(row, answer) for row, answer in ANSWERABLE]
    metrics = pipeline_metrics(results, "docs", "extractive", "x")
    line = PipelineResult(tmp_path, results, metrics=metrics).summary_line()
    assert line.startswith(
        "4 questions (4 answerable, 0 unanswerable): answer right 0.500, right file cited "
        "0.500, refused unanswerable n/a, wrong but shown supported 1 (0.250 of answerable), "
        "refused with the right file retrieved 1 (0.250 of answerable); "
    )
    assert "0.000" not in line.split(";")[0]
