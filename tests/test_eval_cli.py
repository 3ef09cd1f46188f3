"""`grounding eval` in a subprocess: scoring, comparing, the pipeline, and bad input."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.eval_rows import make_rows, write_rows


def run(grounding_exe, *args, check=True):
    result = subprocess.run(
        [grounding_exe, "eval", *map(str, args)], capture_output=True, text=True, timeout=600
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_eval_then_compare(grounding_exe, tmp_path):
    data = write_rows(tmp_path / "rows.jsonl", make_rows(40), ("{broken",))
    first = run(grounding_exe, data, "--out", tmp_path / "a", "--scorer", "overlap")
    assert "warning: skipped line 41: not valid JSON" in first.stderr
    assert "| overlap | 0.50 | 40 |" in first.stdout
    for name in ("metrics.json", "report.html", "report.md", "predictions.jsonl"):
        assert (tmp_path / "a" / name).stat().st_size > 0
    again = run(grounding_exe, data, "--out", tmp_path / "a", "--scorer", "overlap")
    assert "reused 40" in again.stderr
    run(grounding_exe, data, "--out", tmp_path / "b", "--threshold", "0.554", "--scorer", "overlap")
    for folder, threshold in (("a", "0.50"), ("b", "0.554")):  # header and table agree
        report = (tmp_path / folder / "report.md").read_text()
        assert f"## Headline (threshold {threshold})" in report
        assert f"| overlap | {threshold} | 40 |" in report
    compared = run(
        grounding_exe, "--compare", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "c"
    )
    comparison = json.loads((tmp_path / "c" / "comparison.json").read_text())
    a = json.loads((tmp_path / "a" / "metrics.json").read_text())
    b = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert comparison["n"] == 40
    assert comparison["f1_difference"] == pytest.approx(b["example"]["f1"] - a["example"]["f1"])
    assert comparison["ci_low"] <= comparison["f1_difference"] <= comparison["ci_high"]
    assert "95% CI" in compared.stdout
    assert "AUROC (ranking)" in (tmp_path / "c" / "report.md").read_text()


def test_bad_usage_and_bad_input(grounding_exe, tmp_path):
    usage = run(grounding_exe, "--out", tmp_path / "x", check=False)
    assert usage.returncode == 2 and "DATA.jsonl" in usage.stderr
    missing = run(grounding_exe, tmp_path / "none.jsonl", "--out", tmp_path / "x", check=False)
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: no such data file")
    data = write_rows(tmp_path / "rows.jsonl", make_rows(4))
    unknown = run(grounding_exe, data, "--out", tmp_path / "x", "--scorer", "nope", check=False)
    assert unknown.returncode == 1 and "unknown scorer 'nope'" in unknown.stderr
    threshold = run(grounding_exe, data, "--out", tmp_path / "x", "--threshold", "2", check=False)
    assert threshold.returncode == 2


@pytest.mark.slow
def test_pipeline_eval_on_the_demo_index(grounding_exe, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "q1",
                        "question": "When was the Varnholt Head Lighthouse first lit?",
                        "answer_text": "1874",
                    }
                ),
                json.dumps({"id": "q2", "question": "Who was the first keeper of the lighthouse?"}),
                json.dumps({"id": "q3"}),
                json.dumps(
                    {
                        "id": "q4",
                        "question": "What is the airspeed velocity of an unladen swallow?",
                        "answerable": False,
                    }
                ),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = run(
        grounding_exe, questions, "--pipeline", "--reranker", "none", "--out", tmp_path / "p"
    )
    assert "skipped line 3" in result.stderr
    metrics = json.loads((tmp_path / "p" / "metrics.json").read_text())
    assert metrics["n"] == 3 and metrics["mode"] == "pipeline" and metrics["reranker"] == "none"
    assert list(metrics)[:3] == ["mode", "n", "correctness"]  # right answers come first
    correctness = metrics["correctness"]
    assert (correctness["answerable"], correctness["unanswerable"]) == (1, 1)  # q2 says neither
    assert correctness["refusal_rate"] == 1.0  # q4 is refused: supported, but not an answer
    assert metrics["answered_supported_rate"] == pytest.approx(
        metrics["fully_supported_rate"] - 1 / 3
    )
    assert correctness["contains"] == 1.0 and correctness["exact"] == 0.0  # q1: a sentence
    assert 0 < correctness["token_f1"] < 0.5  # ... that says more than the year
    assert set(metrics["latency"]) >= {"retrieval", "generation", "checking", "total"}
    assert metrics["latency"]["total"]["mean"] > metrics["latency"]["checking"]["mean"]
    assert metrics["citation"]["citations"] > 0
    assert 0 <= metrics["citation"]["precision"] <= 1 and 0 <= metrics["citation"]["recall"] <= 1
    assert metrics["expected"]["questions"] == 1
    lines = (tmp_path / "p" / "predictions.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["q1", "q2", "q4"]
    report_html = (tmp_path / "p" / "report.html").read_text()
    report_md = (tmp_path / "p" / "report.md").read_text()
    assert "Latency per stage" in report_html
    for report in (report_html, report_md):  # correctness is the headline, before support
        assert report.index("contains expected") < report.index("fully supported")
    assert "| 3 | 1 | 1.000 |" in report_md  # questions, answerable, contains expected
