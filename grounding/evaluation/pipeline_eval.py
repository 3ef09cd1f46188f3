"""Whole questions through the Grounder: each answer, its citations judged by the scorer and
its correctness against the row recorded, written to predictions.jsonl; then metrics.json
(`pipeline_metrics.py`, where each figure is defined), the reports and, with best-of-n, the
DPO preference pairs.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from grounding.checking import Scorer
from grounding.checking.relevance import RELEVANT_AT, is_refusal
from grounding.core.text import blank_citation_markers, content_words
from grounding.errors import GroundingError, InputError
from grounding.evaluation.answers import cites_document, match_answer
from grounding.evaluation.data import QuestionRow, RowError, read_questions
from grounding.evaluation.pipeline_metrics import pipeline_metrics
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
