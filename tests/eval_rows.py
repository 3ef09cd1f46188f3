"""Labelled rows for the eval tests, written in the data README's format (no shared data needed).

Supported answers copy sentences of their source; unsupported ones add a sentence of
words the source never uses, labelled as a gold span. A few rows are made hard on purpose
(a paraphrase with new words but label 0, an unsupported claim that reuses source words)
so no scorer is perfect and every cell of the confusion matrix is filled.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

__all__ = ["make_rows", "write_rows"]

_TOPICS = [
    ("lighthouse", "The lighthouse was first lit in 1874. Its keeper was Elias Brandt. "
     "The lantern room is reached by 142 steps."),
    ("harbour", "The harbour froze in the winter of 1902. Fishing boats stayed in port for "
     "six weeks. The ice was cut by hand."),
    ("library", "The town library opened in 1921 with 800 books. A fire in 1950 destroyed "
     "the west wing. It was rebuilt within two years."),
    ("railway", "The railway reached the valley in 1888. Trains ran twice a day. "
     "The line closed in 1964 after floods."),
]  # fmt: skip
_FOREIGN = [
    "Astronauts later painted the tower purple with volcanic glitter.",
    "A famous violinist composed seventeen symphonies about penguins there.",
    "Engineers installed quantum batteries beneath the marble fountain.",
]
_TASKS = ["qa", "summary", "data2txt"]


def make_rows(n: int = 60, seed: int = 0) -> list[dict]:
    """`n` rows, about 40% unsupported, with gold spans on the unsupported sentence."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        name, source = _TOPICS[i % len(_TOPICS)]
        sentences = source.split(". ")
        answer = ". ".join(rng.sample(sentences, 2)).rstrip(".") + "."
        label, spans = 0, []
        kind = i % 10
        if kind in (1, 4, 7):
            extra = rng.choice(_FOREIGN)
            spans = [{"start": len(answer) + 1, "end": len(answer) + 1 + len(extra), "type": "x"}]
            answer, label = f"{answer} {extra}", 1
        elif kind == 9:  # unsupported, but made of source words: hard to catch
            answer, label = answer.replace("18", "19", 1) if "18" in answer else answer, 1
        elif kind == 5:  # supported paraphrase with new words: a likely false positive
            answer = f"{answer} Visitors describe it fondly as remarkable heritage."
        rows.append(
            {
                "id": f"row-{i}",
                "task": _TASKS[i % 3],
                "question": f"Tell me about the {name}." if i % 3 == 0 else None,
                "sources": [source],
                "answer": answer,
                "label": label,
                "spans": spans,
                "origin": {"dataset": "RAGTruth", "model": "test"},
            }
        )
    return rows


def write_rows(path: Path, rows: list[dict], extra_lines: tuple[str, ...] = ()) -> Path:
    """Write rows as JSONL, then any raw `extra_lines` (malformed rows for the tests)."""
    lines = [json.dumps(row) for row in rows] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
