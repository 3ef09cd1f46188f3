"""Worked examples for the report: the worst mistakes, with the evidence behind each claim.

Worst false positives are supported answers with the highest unsupported score; worst
false negatives are unsupported answers with the lowest. For each claim the report shows
the sentence of each cited source that shares the most content words with the claim.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from grounding.core.text import content_words, sentence_spans
from grounding.evaluation.data import EvalRow
from grounding.evaluation.runner import Prediction

__all__ = ["Evidence", "WorkedExample", "evidence_snippet", "segments", "worst_examples"]

Kind = Literal["false positive", "false negative"]


@dataclass(frozen=True)
class Evidence:
    """A claim and, per cited source, the best matching snippet of that source."""

    claim: str
    score: float
    supported: bool
    snippets: list[tuple[int, str]]  # (1-based source index, snippet)


@dataclass(frozen=True)
class WorkedExample:
    kind: Kind
    row: EvalRow
    prediction: Prediction
    evidence: list[Evidence]


def worst_examples(
    predictions: Sequence[Prediction], rows: Mapping[str, EvalRow], count: int = 3
) -> list[WorkedExample]:
    """The `count` worst false positives, then the `count` worst false negatives."""
    fps = [p for p in predictions if p.label == 0 and p.predicted == 1 and p.id in rows]
    fns = [p for p in predictions if p.label == 1 and p.predicted == 0 and p.id in rows]
    chosen: list[tuple[Kind, Prediction]] = [
        *(("false positive", p) for p in sorted(fps, key=lambda p: -p.score)[:count]),
        *(("false negative", p) for p in sorted(fns, key=lambda p: p.score)[:count]),
    ]
    return [
        WorkedExample(kind, rows[p.id], p, _evidence(p, rows[p.id].sources)) for kind, p in chosen
    ]


def _evidence(prediction: Prediction, sources: Sequence[str]) -> list[Evidence]:
    return [
        Evidence(
            claim=claim.text,
            score=claim.score,
            supported=claim.supported,
            snippets=[
                (index, evidence_snippet(claim.text, sources[index - 1]))
                for index in claim.citations
                if 1 <= index <= len(sources)
            ],
        )
        for claim in prediction.report.claims
    ]


def evidence_snippet(claim: str, source: str, limit: int = 320) -> str:
    """The sentence of `source` sharing the most content words with `claim`, cut to `limit`."""
    wanted = set(content_words(claim))
    best, best_hits = source[:limit], -1
    for start, end in sentence_spans(source):
        hits = len(wanted.intersection(content_words(source[start:end])))
        if hits > best_hits:
            best, best_hits = source[start:end], hits
    return best if len(best) <= limit else best[: limit - 1] + "…"


def segments(
    text: str, gold: Sequence[tuple[int, int]], predicted: Sequence[tuple[int, int]]
) -> list[tuple[str, bool, bool]]:
    """`text` cut where any span starts or ends: (piece, inside gold, inside predicted)."""
    cuts = {0, len(text)}
    for start, end in [*gold, *predicted]:
        cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    points = sorted(cuts)
    pieces = []
    for start, end in itertools.pairwise(points):
        if end > start:
            in_gold = any(s <= start and end <= e for s, e in gold)
            in_predicted = any(s <= start and end <= e for s, e in predicted)
            pieces.append((text[start:end], in_gold, in_predicted))
    return pieces
