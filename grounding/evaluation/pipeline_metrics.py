"""A pipeline run's metrics.json: right answers first, then support, citations, latency.

- correctness (first in metrics.json): over answerable questions with an expected answer,
  exact match, contains-expected and token F1 (`evaluation/answers.py`); the share of
  answerable questions whose cited sources include the expected document (and whose
  retrieved sources do); the refusal rate on unanswerable questions (and the false-refusal
  rate on answerable ones); the count of answers that are wrong (no expected answer in them,
  or an answer to an unanswerable question) yet shown as supported and relevant, over all
  questions and over the answerable ones; and the answerable questions refused although the
  expected document was among the retrieved sources. The five figures of issue 24 lead the
  summary (`pipeline_results.headline_figures`);
- fully supported rate: answers whose support report says `supported` (a refusal is
  supported: it claims nothing); answered and supported: the share of questions that got an
  answer, not a refusal, that is fully supported;
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

from collections.abc import Sequence
from typing import Any

import numpy as np

from grounding.evaluation.pipeline_results import QuestionResult

__all__ = ["correctness_metrics", "pipeline_metrics"]

MATCH_AT = 0.8


def correctness_metrics(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """The correctness block of metrics.json (see the module docstring)."""
    answerable = [r for r in results if r.answerable is True]
    unanswerable = [r for r in results if r.answerable is False]
    matched = [r for r in answerable if r.contains is not None]
    documents = [r for r in answerable if r.right_document is not None]
    wrong = sum(r.wrong_but_shown_right for r in results)
    wrong_answerable = sum(r.wrong_but_shown_right for r in answerable)
    retrieved = [r for r in answerable if r.retrieved_document is not None]
    refused_retrieved = sum(r.refused and bool(r.retrieved_document) for r in answerable)
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "exact": _ratio(sum(bool(r.exact) for r in matched), len(matched)),
        "contains": _ratio(sum(bool(r.contains) for r in matched), len(matched)),
        "token_f1": _ratio(sum(r.f1 or 0.0 for r in matched), len(matched)),
        "right_document": _ratio(sum(bool(r.right_document) for r in documents), len(documents)),
        "refusal_rate": _ratio(sum(r.refused for r in unanswerable), len(unanswerable)),
        "false_refusal_rate": _ratio(sum(r.refused for r in answerable), len(answerable)),
        "wrong_but_shown_right": wrong,
        "wrong_but_shown_right_rate": _ratio(wrong, len(results)),
        # the issue-24 figures: shares of the answerable questions
        "answerable_wrong_but_shown_right": wrong_answerable,
        "answerable_wrong_but_shown_right_rate": _ratio(wrong_answerable, len(answerable)),
        "retrieved_document": _ratio(
            sum(bool(r.retrieved_document) for r in retrieved), len(retrieved)
        ),
        "refused_right_document_retrieved": refused_retrieved,
        "refused_right_document_retrieved_rate": _ratio(refused_retrieved, len(answerable)),
        "mean_relevance": _ratio(
            sum(r.answer.relevance or 0.0 for r in results),
            sum(r.answer.relevance is not None for r in results),
        ),
    }


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
    rewards = [r.answer.reward for r in results if r.answer.reward is not None]
    seconds = sum(r.seconds for r in results)
    return {
        "mode": "pipeline",
        "n": len(results),
        "correctness": correctness_metrics(results),
        "index": index or "demo",
        "decoder": decoder,
        "checker": checker,
        "fully_supported_rate": _ratio(
            sum(r.answer.support.supported for r in results), len(results)
        ),
        "answered_supported_rate": _ratio(
            sum(r.answer.support.supported and not r.refused for r in results), len(results)
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
        "reward": {
            "answers": len(rewards),
            "mean_total": _ratio(sum(r.total for r in rewards), len(rewards)),
            "objectives": {
                name: _ratio(sum(r.objectives.get(name, 0.0) for r in rewards), len(rewards))
                for name in sorted({n for r in rewards for n in r.objectives})
            },
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
