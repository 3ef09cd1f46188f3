"""Labelled rows -> word-level feature tables for training and measuring the learned checker.

Used by `train/train_checker.py` and `bench/checker.py`. A row is one line of the eval JSONL
(`id, task, sources, answer, label, spans`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grounding.checking.claims import claim_texts
from grounding.checking.scorers.learned.features import TOKEN_FEATURES, token_features
from grounding.checking.scorers.learned.source_index import build_evidence

__all__ = ["Example", "char_f1", "load_rows", "prepare"]

PRIOR = TOKEN_FEATURES.index("word_prior")


@dataclass
class Example:
    """One answer's word tokens with labels at word, claim and answer level."""

    row: dict
    claim_spans: list[tuple[int, int]]
    claim_index: np.ndarray
    token_spans: list[tuple[int, int]]  # answer offsets
    words: list[str]
    x: np.ndarray
    y_token: np.ndarray
    y_claim: np.ndarray
    label: int
    group: str


def load_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _overlaps(start: int, end: int, spans: list[dict]) -> bool:
    return any(start < s["end"] and s["start"] < end for s in spans)


def prepare(row: dict) -> Example:
    """Features and labels of one row."""
    spans, texts = claim_texts(row["answer"])
    table = token_features(texts, build_evidence(row["sources"]))
    token_spans = [
        (spans[k][0] + s, spans[k][0] + e)
        for k, (s, e) in zip(table.claim_index, table.spans, strict=True)
    ]
    gold = row.get("spans") or []
    y_token = np.asarray([_overlaps(s, e, gold) for s, e in token_spans], dtype=np.int64)
    y_claim = np.asarray([_overlaps(s, e, gold) for s, e in spans], dtype=np.int64)
    label = int(row["label"])
    if label and not gold:
        y_claim[:] = 1  # no spans given: every claim is suspect (QAGS rows are one sentence)
    return Example(
        row=row,
        claim_spans=spans,
        claim_index=table.claim_index,
        token_spans=token_spans,
        words=table.words,
        x=table.features,
        y_token=y_token,
        y_claim=y_claim,
        label=label,
        group=json.dumps(row["sources"])[:2000],
    )


def char_f1(
    predicted: list[list[tuple[int, int]]], gold: list[list[dict]]
) -> tuple[float, float, float]:
    """Micro character-overlap precision, recall and F1 over all rows."""
    tp = fp = fn = 0
    for pred, spans in zip(predicted, gold, strict=True):
        p = {i for s, e in pred for i in range(s, e)}
        g = {i for s in spans for i in range(s["start"], s["end"])}
        tp += len(p & g)
        fp += len(p - g)
        fn += len(g - p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
