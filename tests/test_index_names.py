"""A misspelt index name: the one-line error says which existing index was probably meant."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from grounding.config import indexes_dir
from grounding.errors import IndexNotFoundError
from grounding.retrieval.stores.base import open_store


def _fake_indexes(*names: str) -> None:
    for name in names:
        folder = indexes_dir() / name
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text("{}", encoding="utf-8")


def test_misspelt_name_suggests_the_close_one() -> None:
    _fake_indexes("notes", "sqlite-docs")
    with pytest.raises(IndexNotFoundError, match=r"did you mean 'notes'\?") as raised:
        open_store("nots")
    assert "\n" not in str(raised.value)
    with pytest.raises(IndexNotFoundError, match=r"did you mean 'sqlite-docs'\?"):
        open_store("sqlite-doc")


def test_no_suggestion_when_nothing_is_close() -> None:
    _fake_indexes("notes")
    with pytest.raises(IndexNotFoundError) as raised:
        open_store("zzzzzz")
    assert "did you mean" not in str(raised.value)


def test_cli_error_is_one_line_with_the_suggestion(grounding_exe: str, tmp_path: Path) -> None:
    _fake_indexes("notes")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}  # GROUNDING_HOME comes from the fixture
    done = subprocess.run(
        [grounding_exe, "index", "info", "nots"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "did you mean 'notes'?" in lines[0], done.stderr
