"""Whole questions through the Grounder: right answers first, then support, citations, latency.

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

import contextlib
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from grounding.checking import Scorer
from grounding.checking.relevance import RELEVANT_AT, is_refusal
from grounding.core.text import blank_citation_markers, content_words
from grounding.errors import GroundingError, InputError
from grounding.evaluation.answers import cites_document, match_answer
from grounding.evaluation.data import QuestionRow, RowError, read_questions
from grounding.evaluation.pipeline_report import write_pipeline_reports
from grounding.evaluation.pipeline_results import PipelineResult, QuestionResult
from grounding.evaluation.runner import progress_bar
from grounding.evaluation.summary import write_json
from grounding.generation.base import Decoder
from grounding.generation.prompt import build_prompt
from grounding.orchestration.refine import Refinement
from grounding.retrieval.base import Retriever
from grounding.schema import GroundedAnswer

__all__ = ["PipelineResult", "QuestionResult", "evaluate_pipeline", "judge_citations"]

MATCH_AT = 0.8


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


def _correctness(
    row: QuestionRow, answer: GroundedAnswer, threshold_relevant: float
) -> dict[str, Any]:
    refused = not answer.answered or is_refusal(answer.answer)
    shown_right = (
        not refused
        and answer.support.supported
        and (answer.relevance is None or answer.relevance >= threshold_relevant)
    )
    fields: dict[str, Any] = {
        "answerable": row.is_answerable,
        "answer_doc": row.answer_doc,
        "refused": refused,
    }
    wrong = row.is_answerable is False
    if row.is_answerable and row.expected is not None:
        match = match_answer("" if refused else answer.answer, row.expected)
        fields.update(exact=match.exact, contains=match.contains, f1=match.f1)
        wrong = not match.contains
    if row.is_answerable and row.answer_doc:
        cited = {
            index
            for support in answer.grounding_metadata.grounding_supports
            for index in support.grounding_chunk_indices
        }
        uris = [s.uri for s in answer.sources if s.index in cited and not refused]
        fields["right_document"] = cites_document(uris, row.answer_doc)
        fields["retrieved_document"] = cites_document(
            [s.uri for s in answer.sources], row.answer_doc
        )
    fields["wrong_but_shown_right"] = wrong and shown_right
    return fields


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


def preference_pair(
    grounder: Any, id_: str, question: str, answer: GroundedAnswer
) -> dict[str, Any] | None:
    """The best and the worst best-of-n candidate as one DPO pair; None without a strict order.

    `prompt` is the completion prompt the decoder saw (instructions, fenced sources, question),
    `chosen` and `rejected` the two answers as written; their reward breakdowns ride along.
    """
    candidates = answer.grounding_metadata.candidates
    if len(candidates) < 2:
        return None
    ranked = sorted(candidates, key=lambda c: -c.reward.total)
    chosen, rejected = ranked[0], ranked[-1]
    if chosen.reward.total <= rejected.reward.total or chosen.answer == rejected.answer:
        return None
    budget = grounder.decoder.context_tokens - grounder.max_tokens
    prompt = build_prompt(question, answer.sources, grounder.decoder.count_tokens, budget)
    return {
        "id": id_,
        "prompt": prompt.completion,
        "chosen": chosen.answer,
        "rejected": rejected.answer,
        "chosen_reward": chosen.reward.model_dump(),
        "rejected_reward": rejected.reward.model_dump(),
    }


@contextlib.contextmanager
def _maybe_open(path: str | Path | None) -> Iterator[TextIO | None]:
    if path is None:
        yield None
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as handle:
        yield handle


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
        **_correctness(row, answer, RELEVANT_AT),
    )


def evaluate_pipeline(
    data_path: str | Path,
    out_dir: str | Path,
    index: str | Retriever | None = None,
    decoder: str | Decoder = "extractive",
    scorer: str | None = None,
    threshold: float | None = None,
    progress: bool | None = None,
    refinement: Refinement | None = None,
    export_preferences: str | Path | None = None,
    max_tokens: int = 256,
    reranker: str | None = None,
) -> PipelineResult:
    """Ask every question of `data_path` and write metrics.json, reports and predictions.

    `refinement` turns on best-of-n and repair; `export_preferences` (best-of-n only) writes the
    chosen and rejected candidates of each question as DPO pairs (see `preference_pair`).
    """
    from grounding.orchestration.grounder import Grounder

    if export_preferences and (refinement is None or refinement.best_of < 2):
        raise InputError("--export-preferences needs --best-of 2 or more: pairs come from them")
    data = read_questions(data_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    grounder = Grounder(
        index=index, decoder=decoder, scorer=scorer, threshold=threshold, refiner=refinement,
        max_tokens=max_tokens, reranker=reranker,
    )  # fmt: skip
    result = PipelineResult(out, [], list(data.errors))
    pairs = 0
    with (
        (out / "predictions.jsonl").open("w", encoding="utf-8") as handle,
        _maybe_open(export_preferences) as preferences,
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
                pair = preference_pair(grounder, row.id, row.question, answered.answer)
                if preferences is not None and pair is not None:
                    preferences.write(json.dumps(pair, ensure_ascii=False) + "\n")
                    pairs += 1
            bar.update(1)
    if not result.results:
        raise GroundingError(f"no question of {data_path} could be answered")
    result.metrics = pipeline_metrics(
        result.results,
        index if isinstance(index, str | None) else getattr(index, "name", "custom"),
        grounder.decoder.name,
        grounder.scorer.name,
    )
    result.metrics["reranker"] = grounder.reranker.name
    if export_preferences:
        result.metrics["preference_pairs"] = pairs
    result.metrics["skipped_rows"] = [
        {"line": e.line, "message": e.message} for e in result.skipped
    ]
    write_json(out / "metrics.json", result.metrics)
    write_pipeline_reports(result)
    return result
