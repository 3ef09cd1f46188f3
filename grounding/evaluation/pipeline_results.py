"""The typed results of a pipeline evaluation, shared by the run and its reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from grounding.evaluation.data import RowError
from grounding.schema import GroundedAnswer

__all__ = ["PipelineResult", "QuestionResult", "headline_figures"]


class QuestionResult(BaseModel):
    """One question's answer and how its citations fared, as stored in predictions.jsonl."""

    model_config = ConfigDict(frozen=True)

    id: str
    question: str
    expected: str | None
    answer: GroundedAnswer
    citations: int  # (segment, source) pairs
    supporting_citations: int
    claims: int
    covered_claims: int
    by_origin: dict[str, tuple[int, int]]  # origin -> (citations, supporting)
    expected_recall: float | None
    seconds: float
    answerable: bool | None = None  # None: the row does not say
    answer_doc: str | None = None
    exact: bool | None = None  # None: no expected answer to compare with
    contains: bool | None = None
    f1: float | None = None
    right_document: bool | None = None  # None: no expected document
    retrieved_document: bool | None = None  # the expected document among the sources given
    refused: bool = False
    wrong_but_shown_right: bool = False  # wrong, yet shown as supported and relevant


def headline_figures(correctness: dict[str, Any]) -> list[tuple[str, str]]:
    """The five figures a pipeline run is judged by, first in its summary and reports.

    "n/a" where a figure has no questions to count (no unanswerable questions, say), not
    0.000. Tolerates metrics.json files written before the last two figures existed.
    """
    c = correctness
    answerable, unanswerable = c.get("answerable", 0), c.get("unanswerable", 0)

    def share(key: str, there: bool) -> str:
        return f"{c[key]:.3f}" if there and key in c else "n/a"

    def counted(key: str) -> str:
        if not answerable or key not in c:
            return "n/a"
        return f"{c[key]} ({c[key + '_rate']:.3f} of answerable)"

    return [
        ("answer right", share("contains", answerable > 0)),
        ("right file cited", share("right_document", answerable > 0)),
        ("refused unanswerable", share("refusal_rate", unanswerable > 0)),
        ("wrong but shown supported", counted("answerable_wrong_but_shown_right")),
        ("refused with the right file retrieved", counted("refused_right_document_retrieved")),
    ]


@dataclass
class PipelineResult:
    out_dir: Path
    results: list[QuestionResult]
    skipped: list[RowError] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    def summary_line(self) -> str:
        m, c, r = self.metrics, self.metrics["citation"], self.metrics["correctness"]
        figures = ", ".join(f"{name} {value}" for name, value in headline_figures(r))
        return (
            f"{m['n']} questions ({r['answerable']} answerable, {r['unanswerable']} "
            f"unanswerable): {figures}; all questions: wrong but shown supported "
            f"{r['wrong_but_shown_right']} ({r['wrong_but_shown_right_rate']:.3f}), fully "
            f"supported {m['fully_supported_rate']:.3f}, citation "
            f"precision {c['precision']:.3f}, recall {c['recall']:.3f}, "
            f"{m['latency']['total']['mean']:.2f} s per question"
        )
