"""Feedback on long work: progress lines when the output is not a terminal, and notes
saying what a slow first step is doing, on stderr (stdout stays the answer)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path

import pytest

from grounding.core.progress import LOGGER, LineProgress, progress_bar


def test_line_progress_says_how_far_how_fast_and_how_long(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER.name)
    with LineProgress(
        "index build: embedding", 10, "chunk", every=0.0, detail=lambda: " from 3 files"
    ) as bar:
        for _ in range(4):
            bar.update(1)
        bar.update(6)
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0].startswith("index build: embedding 1/10 chunks from 3 files, ")
    assert "chunks/s" in lines[0] and lines[0].endswith(" left")
    assert lines[-1].startswith("index build: embedding 10/10 chunks") and "done in" in lines[-1]
    assert len(lines) == 5  # the last update already said 10/10: no repeat at the end


def test_no_lines_before_the_interval_and_none_when_turned_off(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER.name)
    with progress_bar(5, "reading", "file", None, every=3600.0) as bar:
        bar.update(5)
    with progress_bar(5, "reading", "file", False, every=0.0) as bar:
        bar.update(5)
    assert caplog.records == []


def _notes(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for number in range(count):
        (folder / f"note-{number:02d}.txt").write_text(
            f"Note {number}. The harbour crane number {number} lifts {number * 3} tonnes.\n",
            encoding="utf-8",
        )
    return folder


@pytest.mark.slow
def test_build_prints_progress_lines_when_piped(grounding_exe: str, tmp_path: Path) -> None:
    _notes(tmp_path / "notes", 30)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GROUNDING_PROGRESS_EVERY": "0.001"}
    done = subprocess.run(
        [grounding_exe, "index", "build", "notes", "--name", "notes"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    reading = [line for line in lines if line.startswith("index build: reading ")]
    embedding = [line for line in lines if line.startswith("index build: embedding ")]
    assert reading and embedding, done.stderr
    assert any("/30 files" in line and "files/s" in line and "left" in line for line in reading)
    assert "30/30 chunks from 30 files" in embedding[-1] and "chunks/s" in embedding[-1]
    assert "\r" not in done.stderr  # plain lines, no terminal bar
    assert "embedded 30 of 30 chunks" in done.stdout


@pytest.mark.slow
def test_first_ask_on_a_fresh_home_says_what_it_is_doing(
    grounding_exe: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GROUNDING_MODEL_CACHE"}
    env |= {"HF_HUB_OFFLINE": "1", "GROUNDING_HOME": str(tmp_path / "fresh")}  # nothing cached
    question = "When was the Varnholt Head Lighthouse first lit?"
    first = subprocess.run(
        [grounding_exe, "ask", question, "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["answer"]  # notes go to stderr, never into the JSON
    assert "building the demo index" in first.stderr
    assert "to ONNX once" in first.stderr
    again = subprocess.run(
        [grounding_exe, "ask", question],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert again.returncode == 0 and again.stderr == "", again.stderr
