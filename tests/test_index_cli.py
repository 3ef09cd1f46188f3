"""`grounding index build|list|info` run as a user runs them: the console script in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.index_docs import write_notes


def _run(exe: str, *args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GROUNDING_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [exe, "index", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )


@pytest.mark.slow
def test_build_then_rebuild_list_and_info(grounding_exe: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_notes(tmp_path / "my-notes")
    first = _run(grounding_exe, "build", "my-notes", "--name", "notes", home=home, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "4 added" in first.stdout and "embedded 4 of 4 chunks" in first.stdout
    assert "embedding:" not in first.stderr  # no progress bar when stderr is not a terminal
    assert (home / "indexes" / "notes" / "manifest.json").exists()

    again = _run(
        grounding_exe, "build", "my-notes", "--name", "notes", "--tag", "home",
        home=home, cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "4 unchanged" in again.stdout and "embedded 0 of 4 chunks" in again.stdout

    listed = _run(grounding_exe, "list", "--json", home=home, cwd=tmp_path)
    rows = json.loads(listed.stdout)
    assert [(row["name"], row["chunks"], row["documents"]) for row in rows] == [("notes", 4, 4)]
    info = _run(grounding_exe, "info", "notes", home=home, cwd=tmp_path)
    assert info.returncode == 0
    assert "my-notes/garden.txt" in info.stdout and "[home]" in info.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "no-such-folder", "--name", "x"], "no such file or folder: no-such-folder"),
        (["build", "empty", "--name", "x"], "no files to index in empty"),
        (["build", "empty", "--name", "bad name"], "invalid index name 'bad name'"),
        (["info", "never-built"], "grounding index build"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    grounding_exe: str, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    done = _run(grounding_exe, *args, home=tmp_path / "home", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message in lines[0]
    assert not (tmp_path / "home" / "indexes" / "x").exists()


def test_missing_name_is_a_usage_error(grounding_exe: str, tmp_path: Path) -> None:
    done = _run(grounding_exe, "build", ".", home=tmp_path / "home", cwd=tmp_path)
    assert done.returncode == 2
    assert "--name" in done.stderr


def test_list_shows_every_index_when_one_manifest_is_unreadable(
    grounding_exe: str, tmp_path: Path
) -> None:
    from tests.index_races import make_version

    home = tmp_path / "home"
    make_version(home / "indexes" / "good", 5, seed=1)
    make_version(home / "indexes" / "broken", 5, seed=2)
    (home / "indexes" / "broken" / "manifest.json").write_text("{not json", encoding="utf-8")
    done = _run(grounding_exe, "list", "--json", home=home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert rows["good"]["chunks"] == 5
    assert "unreadable manifest" in rows["broken"]["error"]
    assert "warning: broken:" in done.stderr
    plain = _run(grounding_exe, "list", home=home, cwd=tmp_path)
    assert "good" in plain.stdout and "broken" in plain.stdout and "unreadable" in plain.stdout
