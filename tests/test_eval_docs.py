"""eval/README.md documents the row formats `grounding eval` really reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

from grounding.evaluation.data import EvalRow, QuestionRow, read_rows

README = Path(__file__).resolve().parent.parent / "eval" / "README.md"


def _section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_every_documented_field_is_a_field_of_the_rows() -> None:
    rows = _section(README.read_text(encoding="utf-8"), "Row format")
    checker, questions = rows.split("Questions, for the whole pipeline", 1)
    named = set(re.findall(r"^\| `(\w+)`", checker, re.MULTILINE))
    assert named == set(EvalRow.model_fields)
    first_names = set(re.findall(r"^\| `(\w+)`", questions, re.MULTILINE))
    assert first_names == set(QuestionRow.model_fields)


def test_the_documented_example_row_is_read(tmp_path: Path) -> None:
    rows = _section(README.read_text(encoding="utf-8"), "Row format")
    example = re.search(r"```json\n(.+?)\n```", rows, re.DOTALL)
    assert example is not None
    row = EvalRow.model_validate(json.loads(example.group(1)))
    span = row.spans[0]
    assert row.answer[span.start : span.end] == "1884"
    path = tmp_path / "rows.jsonl"
    path.write_text(example.group(1) + "\n", encoding="utf-8")
    assert [r.id for r in read_rows(path).rows] == ["r1"]
