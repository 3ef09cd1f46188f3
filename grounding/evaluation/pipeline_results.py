"""The typed results of a pipeline evaluation, shared by the run and its reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from grounding.evaluation.data import RowError
from grounding.schema import GroundedAnswer

__all__ = ["PipelineResult", "QuestionResult"]


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
    refused: bool = False
    wrong_but_shown_right: bool = False  # wrong, yet shown as supported and relevant


@dataclass
class PipelineResult:
    out_dir: Path
    results: list[QuestionResult]
    skipped: list[RowError] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    def summary_line(self) -> str:
        m, c, r = self.metrics, self.metrics["citation"], self.metrics["correctness"]
        return (
            f"{m['n']} questions: contains expected {r['contains']:.3f}, right document "
            f"{r['right_document']:.3f}, refused unanswerable {r['refusal_rate']:.3f}, "
            f"wrong but shown supported {r['wrong_but_shown_right']} "
            f"({r['wrong_but_shown_right_rate']:.3f}); fully supported "
            f"{m['fully_supported_rate']:.3f}, citation "
            f"precision {c['precision']:.3f}, recall {c['recall']:.3f}, "
            f"{m['latency']['total']['mean']:.2f} s per question"
        )
