"""`--help` shows defaults; `--filter` is offered where an index is searched."""

from __future__ import annotations

import subprocess

import pytest


def _run(exe: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (["serve"], ["[default: 8000", "[default: 127.0.0.1]", "--filter"]),
        (["ask"], ["[default: 5;", "[default: extractive]", "--filter"]),
        (["eval"], ["[default: extractive]", "--filter"]),
        (["index", "build"], ["[default: 800;", "[default: 120;", "--replace"]),
        (["check"], ["--fail-under", "--text"]),
    ],
)
def test_help_shows_defaults(grounding_exe: str, command: list[str], shown: list[str]) -> None:
    done = _run(grounding_exe, *command, "--help")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())  # click wraps lines
    for expected in shown:
        assert " ".join(expected.split()) in text, (expected, done.stdout)


def test_eval_filter_needs_the_pipeline(grounding_exe: str, tmp_path: object) -> None:
    done = _run(grounding_exe, "eval", "rows.jsonl", "--out", "out", "--filter", "tag=a")
    assert done.returncode == 2
    assert "--filter need --pipeline" in done.stderr
