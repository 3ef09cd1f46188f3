"""`grounding ask` in a subprocess, on the real demo index with the real embedder."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXAMPLE = "When was the Varnholt Head Lighthouse first lit, and who was its first keeper?"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One GROUNDING_HOME for the module, so the demo index is built once."""
    return tmp_path_factory.mktemp("home")


def _run(exe: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GROUNDING_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, env=env, timeout=600, check=False
    )


def test_readme_example_answers_with_valid_supports(grounding_exe: str, home: Path) -> None:
    done = _run(grounding_exe, home, "ask", EXAMPLE, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    answer = result["answer"]
    assert "1874" in answer and "Elias Brandt" in answer
    indices = {source["index"] for source in result["sources"]}
    supports = result["grounding_metadata"]["grounding_supports"]
    assert supports
    for support in supports:
        segment = support["segment"]
        assert answer[segment["start_index"] : segment["end_index"]] == segment["text"]
        assert set(support["grounding_chunk_indices"]) <= indices
        assert len(support["confidence_scores"]) == len(support["grounding_chunk_indices"])
    chunks = result["grounding_metadata"]["grounding_chunks"]
    assert [c["index"] for c in chunks] == sorted(indices)
    assert all(source["origin"] == "local" for source in result["sources"])
    assert 0.0 <= result["support"]["score"] <= 1.0 and result["support"]["supported"]
    assert (home / "indexes" / "demo").is_dir()


def test_plain_output_shows_answer_sources_and_support(grounding_exe: str, home: Path) -> None:
    done = _run(grounding_exe, home, "ask", EXAMPLE)
    assert done.returncode == 0, done.stderr
    assert re.search(r"\[\d+\]", done.stdout) and "Sources" in done.stdout
    assert "Support" in done.stdout and "Relevance" in done.stdout  # side by side
    assert "\x1b[" not in done.stdout  # no colour when piped


def test_own_folder_index_then_ask(grounding_exe: str, home: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "launch.md").write_text(
        "# Launch\n\nWe decided to launch the Osprey app on 12 May, after the security review.\n"
    )
    (notes / "budget.txt").write_text("The marketing budget for the launch is 40,000 euros.\n")
    built = _run(grounding_exe, home, "index", "build", str(notes), "--name", "notes")
    assert built.returncode == 0, built.stderr
    done = _run(
        grounding_exe, home, "ask", "When will the Osprey app launch?", "--index", "notes", "--json"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "12 May" in result["answer"]
    assert any(source["uri"].endswith("launch.md") for source in result["sources"])

    # --filter searches part of the index: here only the budget note
    only = _run(
        grounding_exe, home, "ask", "When will the Osprey app launch?", "--index", "notes",
        "--filter", "doc=notes/budget*", "--json",
    )  # fmt: skip
    assert only.returncode == 0, only.stderr
    uris = {source["uri"] for source in json.loads(only.stdout)["sources"]}
    assert uris and all(uri.endswith("budget.txt") for uri in uris)
    tagged = _run(
        grounding_exe, home, "ask", "When will the Osprey app launch?", "--index", "notes",
        "--filter", "tag=never-given", "--json",
    )  # fmt: skip
    assert tagged.returncode == 0, tagged.stderr
    assert json.loads(tagged.stdout)["sources"] == []
    bad = _run(grounding_exe, home, "ask", "Launch?", "--index", "notes", "--filter", "year")
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        "error: --filter 'year' is not tag=NAME or doc=GLOB (e.g. tag=2024, doc=notes/*)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "  "], "empty"),
        (["ask", "Anything?", "--index", "no-such-index"], "grounding index build"),
        (["ask", "Anything?", "--decoder", "gpt-9"], "unknown decoder"),
        (["ask", "a" * 81_000], "the question has 81,000 characters; the limit is 16,000"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    grounding_exe: str, home: Path, args: list[str], message: str
) -> None:
    done = _run(grounding_exe, home, *args)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert "Traceback" not in done.stderr
