"""Whole questions through the Grounder: support, citation quality and latency per stage.

- fully supported rate: answers whose support report says `supported`;
- citation precision: of all (answer segment, cited source) pairs in grounding_supports,
  the share where the scorer finds that one source supports the segment (ALCE-style,
  with the configured scorer as the judge, so it is only as good as that scorer);
- citation recall: of all claims, the share covered by a segment citing a source that
  supports the claim;
- expected answers (optional): the share of the expected answer's content words found
  in the answer; a question "matches" at 0.8 or more;
- latency per stage from `GroundedAnswer.timings` (seconds): mean, median, 95th percentile.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

from grounding.checking import Scorer
from grounding.errors import GroundingError
from grounding.evaluation.data import QuestionRow, RowError, read_questions
from grounding.evaluation.runner import progress_bar
from grounding.evaluation.summary import write_json
from grounding.schema import GroundedAnswer
from grounding.text import blank_citation_markers, content_words

__all__ = ["PipelineResult", "QuestionResult", "evaluate_pipeline", "judge_citations"]

MATCH_AT = 0.8


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


@dataclass
class PipelineResult:
    out_dir: Path
    results: list[QuestionResult]
    skipped: list[RowError] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)

    def summary_line(self) -> str:
        m, c = self.metrics, self.metrics["citation"]
        return (
            f"{m['n']} questions: fully supported {m['fully_supported_rate']:.3f}, citation "
            f"precision {c['precision']:.3f}, recall {c['recall']:.3f}, "
            f"{m['latency']['total']['mean']:.2f} s per question"
        )


def judge_citations(answer: GroundedAnswer, scorer: Scorer, threshold: float) -> dict[str, Any]:
    """Count cited sources that support their segment, and claims with a supporting citation."""
    texts = {source.index: source.text for source in answer.sources}
    cache: dict[tuple[str, int], bool] = {}

    def supports(text: str, index: int) -> bool:
        if (text, index) not in cache:
            verdict = scorer.score([blank_citation_markers(text)], [texts[index]])[0]
            cache[(text, index)] = verdict.support >= threshold
        return cache[(text, index)]

    by_origin: dict[str, list[int]] = {}
    citations = supporting = 0
    for support in answer.grounding_metadata.grounding_supports:
        counts = by_origin.setdefault(support.citation_origin, [0, 0])
        for index in support.grounding_chunk_indices:
            good = index in texts and supports(support.segment.text, index)
            citations, supporting = citations + 1, supporting + good
            counts[0], counts[1] = counts[0] + 1, counts[1] + good
    covered = 0
    for claim in answer.support.claims:
        cited = {
            index
            for s in answer.grounding_metadata.grounding_supports
            if s.segment.start_index < claim.end and claim.start < s.segment.end_index
            for index in s.grounding_chunk_indices
        }
        covered += any(index in texts and supports(claim.text, index) for index in cited)
    return {
        "citations": citations,
        "supporting_citations": supporting,
        "claims": len(answer.support.claims),
        "covered_claims": covered,
        "by_origin": {k: (v[0], v[1]) for k, v in by_origin.items()},
    }


def _expected_recall(expected: str | None, answer: str) -> float | None:
    wanted = set(content_words(expected or ""))
    if not wanted:
        return None
    return len(wanted & set(content_words(answer))) / len(wanted)


def _stats(values: Sequence[float]) -> dict[str, float]:
    array = np.asarray(values, dtype=float)
    if not len(array):
        return {"mean": 0.0, "p50": 0.0, "p95": 0.0}
    return {
        "mean": float(array.mean()),
        "p50": float(np.percentile(array, 50)),
        "p95": float(np.percentile(array, 95)),
    }


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def pipeline_metrics(
    results: Sequence[QuestionResult], index: str | None, decoder: str, checker: str
) -> dict[str, Any]:
    """The metrics.json object of a pipeline run."""
    citations = sum(r.citations for r in results)
    claims = sum(r.claims for r in results)
    origins: dict[str, list[int]] = {}
    for r in results:
        for origin, (count, good) in r.by_origin.items():
            origins.setdefault(origin, [0, 0])
            origins[origin][0] += count
            origins[origin][1] += good
    stages = sorted({stage for r in results for stage in r.answer.timings})
    expected = [r.expected_recall for r in results if r.expected_recall is not None]
    seconds = sum(r.seconds for r in results)
    return {
        "mode": "pipeline",
        "n": len(results),
        "index": index or "demo",
        "decoder": decoder,
        "checker": checker,
        "fully_supported_rate": _ratio(
            sum(r.answer.support.supported for r in results), len(results)
        ),
        "mean_support": _ratio(sum(r.answer.support.score for r in results), len(results)),
        "citation": {
            "precision": _ratio(sum(r.supporting_citations for r in results), citations),
            "recall": _ratio(sum(r.covered_claims for r in results), claims),
            "citations": citations,
            "claims": claims,
            "by_origin": {
                origin: {"citations": c, "precision": _ratio(g, c)}
                for origin, (c, g) in sorted(origins.items())
            },
        },
        "expected": {
            "questions": len(expected),
            "mean_recall": _ratio(sum(expected), len(expected)),
            "match_rate": _ratio(sum(v >= MATCH_AT for v in expected), len(expected)),
        },
        "latency": {
            **{
                stage: _stats([r.answer.timings.get(stage, 0.0) for r in results])
                for stage in stages
            },
            "total": _stats([r.seconds for r in results]),
        },
        "seconds": seconds,
        "examples_per_second": _ratio(len(results), seconds),
    }


def _answer(grounder: Any, row: QuestionRow, threshold: float) -> QuestionResult:
    started = time.perf_counter()
    answer = grounder.ask(row.question)
    seconds = time.perf_counter() - started
    judged = judge_citations(answer, grounder.scorer, threshold)
    return QuestionResult(
        id=row.id,
        question=row.question,
        expected=row.expected,
        answer=answer,
        expected_recall=_expected_recall(row.expected, answer.answer),
        seconds=seconds,
        **judged,
    )


def evaluate_pipeline(
    data_path: str | Path,
    out_dir: str | Path,
    index: str | None = None,
    decoder: str = "extractive",
    scorer: str | None = None,
    threshold: float | None = None,
    progress: bool | None = None,
) -> PipelineResult:
    """Ask every question of `data_path` and write metrics.json, reports and predictions."""
    from grounding.evaluation.pipeline_report import write_pipeline_reports
    from grounding.pipeline import Grounder

    data = read_questions(data_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    grounder = Grounder(index=index, decoder=decoder, scorer=scorer, threshold=threshold)
    result = PipelineResult(out, [], list(data.errors))
    with (
        (out / "predictions.jsonl").open("w", encoding="utf-8") as handle,
        progress_bar(len(data.rows), "pipeline", progress) as bar,
    ):
        for line, row in zip(data.lines, data.rows, strict=True):
            try:
                answered = _answer(grounder, row, grounder.threshold)
            except GroundingError as exc:
                result.skipped.append(RowError(line, f"{row.id!r}: {exc}"))
            else:
                result.results.append(answered)
                handle.write(answered.model_dump_json() + "\n")
                handle.flush()
            bar.update(1)
    if not result.results:
        raise GroundingError(f"no question of {data_path} could be answered")
    result.metrics = pipeline_metrics(
        result.results, index, grounder.decoder.name, grounder.scorer.name
    )
    result.metrics["skipped_rows"] = [
        {"line": e.line, "message": e.message} for e in result.skipped
    ]
    write_json(out / "metrics.json", result.metrics)
    write_pipeline_reports(result)
    return result
