"""Reading labelled eval rows (and pipeline questions) from JSONL, one error per bad line.

A malformed row is reported with its line number and left out; it is never silently
mixed in. The row format is the one of the data README: id, task, question, sources,
answer, label (1 = the answer holds unsupported content), spans, origin.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, model_validator

from grounding.errors import InputError

__all__ = [
    "DATASET_CITATIONS",
    "EvalRow",
    "GoldSpan",
    "QuestionRow",
    "ReadResult",
    "RowError",
    "read_questions",
    "read_rows",
    "row_fingerprint",
]

# origin.dataset -> how to cite it (the papers the data README names).
DATASET_CITATIONS: dict[str, tuple[str, str]] = {
    "ragtruth": (
        "Niu et al., RAGTruth: A Hallucination Corpus for Developing Trustworthy "
        "Retrieval-Augmented Language Models, ACL 2024",
        "https://aclanthology.org/2024.acl-long.585/",
    ),
    "qags": (
        "Wang et al., Asking and Answering Questions to Evaluate the Factual Consistency "
        "of Summaries, ACL 2020",
        "https://aclanthology.org/2020.acl-main.450/",
    ),
}


class GoldSpan(BaseModel):
    """An unsupported part of the answer, as labelled by people."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    type: str = ""


class EvalRow(BaseModel):
    """One labelled answer: does `answer` stay within `sources`?"""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    task: str = "unknown"
    question: str | None = None
    sources: list[str] = Field(min_length=1)
    answer: str
    label: Literal[0, 1]
    spans: list[GoldSpan] = []
    origin: dict[str, Any] = {}

    @model_validator(mode="after")
    def _check(self) -> EvalRow:
        if not self.answer.strip():
            raise ValueError("answer is empty")
        if not any(source.strip() for source in self.sources):
            raise ValueError("every source is empty")
        for span in self.spans:
            if not span.start <= span.end <= len(self.answer):
                raise ValueError(
                    f"span {span.start}-{span.end} lies outside the answer "
                    f"({len(self.answer)} characters)"
                )
        return self

    @property
    def dataset(self) -> str:
        """The origin data set's name, or '' when the row does not say."""
        return str(self.origin.get("dataset", ""))


class QuestionRow(BaseModel):
    """One question for the pipeline evaluation, with an optional expected answer."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    expected: str | None = Field(
        default=None,
        validation_alias=AliasChoices("expected", "expected_answer", "answer", "answer_text"),
    )
    # The document that holds the answer: a path its source URI or id ends with.
    answer_doc: str | None = Field(
        default=None, validation_alias=AliasChoices("answer_doc", "document", "expected_doc")
    )
    # False for a question the corpus cannot answer; None: answerable when `expected` is given.
    answerable: bool | None = None

    @property
    def is_answerable(self) -> bool | None:
        """Whether the sources hold an answer: `answerable`, else True when one is expected.

        None when the row says neither (the question counts for no correctness figure).
        """
        if self.answerable is not None:
            return self.answerable
        return True if self.expected is not None else None


@dataclass(frozen=True)
class RowError:
    """A line of the input that was left out, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


RowT = TypeVar("RowT", bound=BaseModel)


@dataclass
class ReadResult(Generic[RowT]):
    """The rows that could be read, and the lines that could not."""

    path: Path
    rows: list[RowT] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # the line number of each row


def read_rows(path: str | Path) -> ReadResult[EvalRow]:
    """Labelled rows of `path`; malformed lines and repeated ids become `errors`."""
    return _read(Path(path), EvalRow.model_validate)


def read_questions(path: str | Path) -> ReadResult[QuestionRow]:
    """Pipeline questions of `path` (id, question, optional expected answer)."""
    return _read(Path(path), QuestionRow.model_validate)


def row_fingerprint(row: EvalRow) -> str:
    """A short hash of what a scorer sees, so a resumed run never reuses a stale prediction."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(row.answer.encode("utf-8"))
    for source in row.sources:
        digest.update(b"\x1e" + source.encode("utf-8"))
    return digest.hexdigest()[:16]


def _read(path: Path, validate: Callable[[Any], RowT]) -> ReadResult[RowT]:
    if not path.is_file():
        raise InputError(f"no such data file: {path} (give a JSONL file, one row a line)")
    result: ReadResult[RowT] = ReadResult(path=path)
    seen: set[str] = set()
    for number, line in _lines(path):
        try:
            row = validate(json.loads(line))
        except json.JSONDecodeError as exc:
            result.errors.append(RowError(number, f"not valid JSON ({exc.msg})"))
            continue
        except ValidationError as exc:
            result.errors.append(RowError(number, _describe(exc)))
            continue
        row_id = str(getattr(row, "id", ""))
        if row_id in seen:
            result.errors.append(RowError(number, f"id {row_id!r} repeats an earlier row"))
            continue
        seen.add(row_id)
        result.rows.append(row)
        result.lines.append(number)
    return result


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, line
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text: save it as UTF-8 JSONL") from exc


def _describe(exc: ValidationError) -> str:
    """The first problem of a validation error, in one short line."""
    problem = exc.errors()[0]
    where = ".".join(str(part) for part in problem.get("loc", ())) or "row"
    message = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}" if where != "row" else message
