"""Token-labelled windows for the neural tagger: the tune split plus synthetic rows, as arrays.

    python bench/split_data.py                                  # once
    python train/neural_data.py --out train/out/neural          # about a minute

Writes OUT/windows-L{max_length}.npz per window size (input ids, segment lengths, labels,
the row and fold of each window) and OUT/rows.jsonl (id, fold, real, task, label of each row).
Rows: RAGTruth and QAGS tune rows (real) and `synthetic.synthetic_rows` of them. A window
(`windows`) is a piece of the answer (whole sentences, at most `answer_tokens` tokens) as the
first segment and, as the second, the question and the source units (sentences; "field:
value" facts of a record) that share the most rare words with it, in source order. Labels: 1
for answer tokens inside a gold span, 0 for other answer tokens, -1 (ignored) for evidence and
special tokens and for every token of an unsupported row without spans (QAGS). Folds: 5, by
source (the hash of the sources), so a model never sees a row's source when it predicts that
row. The holdout files are never read.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))
sys.path.insert(0, str(ROOT / "bench"))

from split_data import source_key  # noqa: E402
from synthetic import synthetic_rows  # noqa: E402

from grounding.backends.embedding_model import embedding_model_path  # noqa: E402
from grounding.checking.scorers.pair import evidence_units  # noqa: E402
from grounding.core.text import content_words, sentence_spans  # noqa: E402

FOLDS = 5
SIZES = {512: 256, 384: 192}  # max_length: answer tokens per window


@dataclass(frozen=True)
class Window:
    """One model input: answer[start:end] against the chosen evidence text."""

    start: int
    end: int
    evidence: str


def _chunks(answer: str, limit: int, count: Any) -> list[tuple[int, int]]:
    """Whole sentences of the answer grouped greedily into pieces of at most `limit` tokens."""
    pieces: list[tuple[int, int]] = []
    start = end = None
    used = 0
    for s, e in sentence_spans(answer) or [(0, len(answer))]:
        n = count(answer[s:e])
        if start is not None and used + n > limit:
            pieces.append((start, end))  # type: ignore[arg-type]
            start, used = None, 0
        if start is None:
            start = s
        end, used = e, used + n
    if start is not None:
        pieces.append((start, end))  # type: ignore[arg-type]
    return pieces


def windows(
    question: str | None,
    sources: Sequence[str],
    answer: str,
    count: Any,
    max_length: int = 512,
    answer_tokens: int = 256,
) -> list[Window]:
    """The model inputs for one answer. `count(text)` is the tokenizer's token count.

    Each piece's evidence is the source units sharing the most rare content words with it
    (inverse document frequency over the units), as many as fit, kept in source order.
    """
    units = evidence_units(sources)
    unit_words = [set(content_words(u)) for u in units]
    frequency = Counter(w for words in unit_words for w in words)
    idf = {w: math.log(1 + len(units) / f) for w, f in frequency.items()}
    lengths = [count(u) for u in units]
    head = f"{question.strip()}\n" if question and question.strip() else ""
    out = []
    for start, end in _chunks(answer, answer_tokens, count):
        words = set(content_words(answer[start:end]))
        budget = max_length - 3 - count(answer[start:end]) - (count(head) if head else 0)
        ranked = sorted(
            range(len(units)),
            key=lambda i: (-sum(idf[w] for w in unit_words[i] & words), i),
        )
        chosen: list[int] = []
        for i in ranked:
            if lengths[i] <= budget:
                chosen.append(i)
                budget -= lengths[i]
            if budget < 8:
                break
        evidence = head + " ".join(units[i] for i in sorted(chosen))
        out.append(Window(start, end, evidence))
    return out


def fold_of(sources: list[str]) -> int:
    """The row's fold: from other digits of the hash that `split_data` splits holdout by."""
    return int(source_key(sources)[8:16], 16) % FOLDS


def load(data: Path) -> list[dict]:
    rows = []
    for name in ("ragtruth-tune.jsonl", "qags-tune.jsonl"):
        with (data / name).open(encoding="utf-8") as lines:
            rows.extend(json.loads(line) for line in lines if line.strip())
    return rows


def encode(rows: list[dict], real: list[bool], max_length: int, answer_tokens: int) -> dict:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(embedding_model_path()) / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    tokenizer.enable_truncation(max_length=max_length)
    ids, labels, first, total, row_of = [], [], [], [], []
    for r, row in enumerate(rows):
        gold = row.get("spans") or []
        unknown = row["label"] == 1 and not gold
        for w in windows(row.get("question"), row["sources"], row["answer"], count,
                         max_length, answer_tokens):  # fmt: skip
            enc = tokenizer.encode(row["answer"][w.start : w.end], w.evidence)
            y = np.full(max_length, -1, dtype=np.int8)
            for t, (segment, (s, e)) in enumerate(zip(enc.sequence_ids, enc.offsets, strict=True)):
                if segment == 0 and e > s and not unknown:
                    a, b = w.start + s, w.start + e
                    y[t] = int(any(a < g["end"] and g["start"] < b for g in gold))
            x = np.zeros(max_length, dtype=np.uint16)
            x[: len(enc.ids)] = enc.ids
            ids.append(x)
            labels.append(y)
            first.append(enc.type_ids.count(0))
            total.append(len(enc.ids))
            row_of.append(r)
    return {
        "ids": np.stack(ids),
        "labels": np.stack(labels),
        "first": np.asarray(first, dtype=np.int16),
        "total": np.asarray(total, dtype=np.int16),
        "row": np.asarray(row_of, dtype=np.int32),
        "fold": np.asarray([fold_of(rows[r]["sources"]) for r in row_of], dtype=np.int8),
        "real": np.asarray([real[r] for r in row_of], dtype=bool),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "eval" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "train" / "out" / "neural")
    args = parser.parse_args()
    tune = load(args.data)
    synthetic = synthetic_rows(tune)
    rows = tune + synthetic
    real = [True] * len(tune) + [False] * len(synthetic)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "rows.jsonl").open("w", encoding="utf-8") as out:
        for row, is_real in zip(rows, real, strict=True):
            meta = {k: row[k] for k in ("id", "task", "label")}
            out.write(json.dumps({**meta, "fold": fold_of(row["sources"]), "real": is_real}) + "\n")
    for max_length, answer_tokens in SIZES.items():
        arrays = encode(rows, real, max_length, answer_tokens)
        np.savez_compressed(args.out / f"windows-L{max_length}.npz", **arrays)
        print(f"L{max_length}: {len(arrays['ids'])} windows from {len(rows)} rows "
              f"({len(tune)} real, {len(synthetic)} synthetic)")  # fmt: skip


if __name__ == "__main__":
    main()
