"""`grounding check` in a subprocess: plain and JSON output, file sources, errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

SOURCE = "The Varnholt lighthouse was first lit in 1874 and is 32 metres tall."
ANSWER = "The lighthouse was first lit in 1874. It was painted red by King Haakon in 1921."


def _run(exe: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([exe, "check", *args], capture_output=True, text=True, timeout=120)


def test_plain_output_names_claims_sources_and_spans(grounding_exe: str, tmp_path: Path) -> None:
    source = tmp_path / "article.txt"
    source.write_text(SOURCE, encoding="utf-8")
    done = _run(grounding_exe, "--answer", ANSWER, "--source", str(source), "--source", "tides")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "NOT supported" in out and "scorer: learned" in out
    assert "[1]" in out.splitlines()[3]  # the first claim cites the file source
    assert "Unsupported:" in out and "King Haakon" in out.split("Unsupported:")[1]
    assert "\x1b[" not in out  # piped: no colour


def test_json_report_and_scorer_choice(grounding_exe: str) -> None:
    done = _run(
        grounding_exe, "--answer", ANSWER, "--source", SOURCE, "--json", "--scorer", "overlap"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["checker"] == "overlap"
    assert [c["text"] for c in report["claims"]] == [
        "The lighthouse was first lit in 1874.",
        "It was painted red by King Haakon in 1921.",
    ]
    assert 0.0 <= report["score"] <= 1.0 and report["supported"] is False
    assert all(ANSWER[s["start"] : s["end"]] == s["text"] for s in report["unsupported_spans"])


def test_list_scorers_and_errors(grounding_exe: str) -> None:
    listed = _run(grounding_exe, "--list-scorers")
    assert listed.returncode == 0
    assert "learned (default)" in listed.stdout and "llm-judge" in listed.stdout
    empty = _run(grounding_exe, "--answer", " ", "--source", SOURCE)
    assert (
        empty.returncode == 1
        and empty.stderr.strip() == 'error: the answer is empty: pass --answer "TEXT"'
    )
    none = _run(grounding_exe, "--answer", ANSWER)
    assert none.returncode == 1 and "no sources given" in none.stderr
    assert len(none.stderr.strip().splitlines()) == 1
    bad = _run(grounding_exe, "--answer", ANSWER, "--source", SOURCE, "--scorer", "nope")
    assert bad.returncode == 1 and "unknown scorer 'nope'" in bad.stderr
