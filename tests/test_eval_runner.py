"""Reading rows, running scorers, predictions.jsonl and resume, metrics.json and reports."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest
from sklearn import metrics as sk

from grounding.checking import ClaimScore, Scorer, get_scorer
from grounding.errors import InputError
from grounding.evaluation.data import read_questions, read_rows
from grounding.evaluation.evaluate import evaluate
from grounding.evaluation.runner import read_predictions, run_scorer
from tests.eval_rows import make_rows, write_rows

BAD_LINES = (
    "{not json",
    json.dumps({"id": "no-label", "task": "qa", "sources": ["s"], "answer": "a"}),
    json.dumps({"id": "bad-span", "sources": ["s"], "answer": "short", "label": 1,
                "spans": [{"start": 2, "end": 99}]}),
    json.dumps({"id": "row-0", "sources": ["s"], "answer": "again", "label": 0}),
    json.dumps(["a", "list"]),
    json.dumps({"id": "empty", "sources": ["  "], "answer": "a", "label": 0}),
)  # fmt: skip


class CountingScorer(Scorer):
    """The overlap scorer, counting how many claims it is asked about."""

    name = "counting"

    def __init__(self) -> None:
        self.inner = get_scorer("overlap")
        self.claims = 0

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        self.claims += len(claims)
        return self.inner.score(claims, sources)


def test_malformed_rows_are_reported_by_line_and_left_out(tmp_path):
    path = write_rows(tmp_path / "rows.jsonl", make_rows(5), BAD_LINES)
    result = read_rows(path)
    assert [row.id for row in result.rows] == [f"row-{i}" for i in range(5)]
    assert [error.line for error in result.errors] == [6, 7, 8, 9, 10, 11]
    messages = [str(error) for error in result.errors]
    assert messages[0].startswith("line 6: not valid JSON")
    assert "label" in messages[1]
    assert "outside the answer" in messages[2]
    assert "repeats" in messages[3]
    assert "every source is empty" in messages[5]
    assert result.lines == [1, 2, 3, 4, 5]


def test_missing_file_and_empty_data_name_the_fix(tmp_path):
    with pytest.raises(InputError, match="no such data file"):
        read_rows(tmp_path / "missing.jsonl")
    path = write_rows(tmp_path / "bad.jsonl", [], ("{oops",))
    with pytest.raises(InputError, match=r"no usable rows.*line 1"):
        evaluate(path, tmp_path / "out", scorers=("overlap",), progress=False)


def test_questions_accept_expected_answer_aliases(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"id": "a", "question": "Who?", "answer_text": "Elias"}\n{"id": "b", "question": ""}\n',
        encoding="utf-8",
    )
    result = read_questions(path)
    assert [(q.id, q.expected) for q in result.rows] == [("a", "Elias")]
    assert result.errors[0].line == 2


def test_evaluate_writes_contract_metrics_that_match_scikit_learn(tmp_path):
    path = write_rows(tmp_path / "rows.jsonl", make_rows(60), BAD_LINES[:1])
    result = evaluate(path, tmp_path / "out", scorers=("overlap",), progress=False)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    for key in ("n", "checker", "example", "span", "by_task", "seconds", "examples_per_second"):
        assert key in metrics
    assert metrics["n"] == 60 and metrics["checker"] == "overlap"
    assert set(metrics["by_task"]) == {"qa", "summary", "data2txt"}
    assert metrics["data"]["skipped_rows"] == [
        {"line": 61, "message": metrics["data"]["skipped_rows"][0]["message"]}
    ]
    predictions = list(read_predictions(tmp_path / "out" / "predictions.jsonl"))
    assert len(predictions) == 60
    labels = np.array([p.label for p in predictions])
    predicted = np.array([p.predicted for p in predictions])
    scores = np.array([p.score for p in predictions])
    # the predicted label is the report's verdict, and the score its complement
    assert all(p.predicted == int(not p.report.supported) for p in predictions)
    assert all(p.score == pytest.approx(1 - p.report.score) for p in predictions)
    example = metrics["example"]
    assert 0 < example["f1"] < 1  # the rows are made so the baseline makes mistakes
    assert example["f1"] == pytest.approx(sk.f1_score(labels, predicted))
    assert example["precision"] == pytest.approx(sk.precision_score(labels, predicted))
    assert example["recall"] == pytest.approx(sk.recall_score(labels, predicted))
    assert example["balanced_accuracy"] == pytest.approx(
        sk.balanced_accuracy_score(labels, predicted)
    )
    assert example["auroc"] == pytest.approx(sk.roc_auc_score(labels, scores))
    qa = [i for i, p in enumerate(predictions) if p.task == "qa"]
    assert metrics["by_task"]["qa"]["f1"] == pytest.approx(sk.f1_score(labels[qa], predicted[qa]))
    assert metrics["span"]["rows"] == sum(1 for p in predictions if p.gold_spans)
    assert result.summaries[0].span.recall > 0.5  # foreign sentences are found by overlap
    html = (tmp_path / "out" / "report.html").read_text()
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "Niu et al." in html and "Niu et al." in markdown
    assert f"{example['f1']:.3f}" in html and f"{example['f1']:.3f}" in markdown
    assert html.count("data:image/png;base64,") >= 5
    assert "http://" not in html.replace("https://aclanthology.org", "")
    assert "class='gold'" in html and "pred" in html


def test_two_scorers_side_by_side(tmp_path):
    path = write_rows(tmp_path / "rows.jsonl", make_rows(30))
    evaluate(path, tmp_path / "out", scorers=("overlap", CountingScorer()), progress=False)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert list(metrics["scorers"]) == ["overlap", "counting"]
    assert metrics["checker"] == "overlap"
    assert metrics["scorers"]["counting"]["example"] == metrics["scorers"]["overlap"]["example"]
    assert "counting" in (tmp_path / "out" / "report.md").read_text()


def test_interrupted_run_resumes_without_rescoring(tmp_path):
    rows = read_rows(write_rows(tmp_path / "rows.jsonl", make_rows(20))).rows
    out = tmp_path / "predictions.jsonl"
    first = CountingScorer()
    run_scorer(rows[:12], first, out, progress=False)
    with out.open("a", encoding="utf-8") as handle:  # a write torn by the interruption
        handle.write('{"id": "row-12", "scorer": "coun')
    second = CountingScorer()
    run = run_scorer(rows, second, out, progress=False)
    assert run.reused == 12
    assert [p.id for p in run.predictions] == [row.id for row in rows]
    assert 0 < second.claims < first.claims  # only the 8 missing rows were scored
    assert len(list(read_predictions(out))) == 20
    assert all(line.startswith("{") and line.endswith("}") for line in out.read_text().splitlines())
    third = CountingScorer()
    again = run_scorer(rows, third, out, threshold=0.7, progress=False)
    assert again.reused == 0 and third.claims > 0  # another threshold is another run


def test_changed_rows_are_rescored_on_resume(tmp_path):
    raw = make_rows(6)
    path = write_rows(tmp_path / "rows.jsonl", raw)
    out = tmp_path / "predictions.jsonl"
    run_scorer(read_rows(path).rows, CountingScorer(), out, progress=False)
    raw[2]["answer"] = "A completely different answer about penguins."
    rows = read_rows(write_rows(path, raw)).rows
    run = run_scorer(rows, CountingScorer(), out, progress=False)
    assert run.reused == 5
    assert run.predictions[2].report.claims[0].text.startswith("A completely different")
    assert len(list(read_predictions(out))) == 6
