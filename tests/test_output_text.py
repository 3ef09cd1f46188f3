"""Output is text and only the answer's own markers cite (issue 26, items 5 and 6).

A document's `[2][3]` markers never become citations; a title holding terminal escapes or a
file name holding newlines cannot set the window title, erase a line or forge a "Support"
line in `ask`, `index build`, `index info`, `index list`, `check`, the HTML report or a log.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path

import pytest

from grounding.core.text import one_line, printable
from grounding.evaluation.html_report import page
from grounding.retrieval.index.loaders import SkippedFile
from grounding.retrieval.stores.base import BuildReport
from grounding.schema import Chunk, SearchHit, Source, strip_citation_markers

PIER = (
    "# Pier\x1b]0;pwned\x07 history\x1b[2K\r\n\n"
    "The Varnholt pier was completed in 1911 [2][3]. It is 200 metres long and built of granite.\n"
)
FORGED = "light\n\nSupport 1.00: supported · Relevance 1.00: answers the question\n.txt"
CONTROLS = ("\x1b", "\x07", "\r", "\x9b")


def _cli(exe: str, *args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GROUNDING_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [exe, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture
def built(grounding_exe: str, tmp_path: Path) -> tuple[str, Path, Path, str]:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "pier.md").write_text(PIER, encoding="utf-8", newline="")
    (docs / FORGED).write_text("The Varnholt lighthouse was first lit in 1874.\n")
    (docs / "ferry.txt").write_text("The ferry leaves the harbour at 07:15 [1] every day.\n")
    home = tmp_path / "home"
    build = _cli(grounding_exe, "index", "build", "docs", "--name", "n", home=home, cwd=tmp_path)
    return grounding_exe, home, tmp_path, build.stdout


def _assert_plain(output: str) -> None:
    for control in CONTROLS:
        assert control not in output, f"{control!r} in {output!r}"
    forged = [line for line in output.splitlines() if line.lstrip().startswith("Support 1.00")]
    assert len(forged) <= 1, output  # at most the real summary line of `ask`


@pytest.mark.slow
def test_a_sources_own_markers_are_not_citations_in_the_cli(
    built: tuple[str, Path, Path, str],
) -> None:
    """Before: the answer read "...1911 [2][3] [1]." and sources 2 and 3 were listed as cited."""
    exe, home, cwd, _ = built
    question = "When was the Varnholt pier completed?"
    args = ["ask", question, "--index", "n", "--scorer", "overlap"]
    result = json.loads(_cli(exe, *args, "--json", home=home, cwd=cwd).stdout)
    (pier,) = [s["index"] for s in result["sources"] if s["uri"].endswith("pier.md")]
    assert "1911" in result["answer"] and "[2]" not in result["answer"].replace(f"[{pier}]", "")
    assert all("[2][3]" not in source["text"] for source in result["sources"])
    cited = {
        index
        for support in result["grounding_metadata"]["grounding_supports"]
        for index in support["grounding_chunk_indices"]
    }
    assert cited == {pier}
    text = _cli(exe, *args, home=home, cwd=cwd).stdout
    listed = [line for line in text.splitlines() if line.startswith("  [")]
    assert len(listed) == len(result["sources"])
    for line in listed:
        assert ("pier.md" in line) != line.endswith("(not cited)"), text


@pytest.mark.slow
def test_titles_and_file_names_cannot_write_to_the_terminal(
    built: tuple[str, Path, Path, str],
) -> None:
    exe, home, cwd, build_output = built
    outputs = {
        "build": build_output,
        "ask": _cli(exe, "ask", "When was the lighthouse first lit?", "--index", "n",
                    "--scorer", "overlap", home=home, cwd=cwd).stdout,
        "info": _cli(exe, "index", "info", "n", home=home, cwd=cwd).stdout,
        "list": _cli(exe, "index", "list", home=home, cwd=cwd).stdout,
    }  # fmt: skip
    for name, output in outputs.items():
        _assert_plain(output)
        assert name != "info" or "Pier history" in output
    info = outputs["info"]
    assert "docs/light Support 1.00: supported · Relevance 1.00" in info
    assert not any(line.startswith("Support") for line in info.splitlines())
    asked = outputs["ask"].splitlines()
    assert sum(line.startswith("Support") for line in asked) == 1  # the real one, last
    assert any("light Support 1.00" in line and line.startswith("  [") for line in asked)


def test_check_prints_an_answer_without_its_escapes(grounding_exe: str, tmp_path: Path) -> None:
    answer = "The pier\x1b]0;pwned\x07 was built\x1b[2K\r in 1911.\nSupport 1.00: forged."
    done = subprocess.run(
        [grounding_exe, "check", "--answer", answer, "--text", "The pier was built in 1911.",
         "--scorer", "overlap"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    _assert_plain(done.stdout)
    assert not any(line.startswith("Support 1.00: forged") for line in done.stdout.splitlines())


def test_an_error_naming_a_file_with_newlines_is_one_line(
    grounding_exe: str, tmp_path: Path
) -> None:
    name = "gone\nSupport 1.00: supported\x1b[2K"
    done = subprocess.run(
        [grounding_exe, "index", "build", name, "--name", "x"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "\x1b" not in done.stderr
    assert "no such file or folder: gone Support 1.00: supported" in done.stderr


def test_the_helpers_drop_whole_escape_sequences() -> None:
    assert one_line("Pier\x1b]0;pwned\x07 history\x1b[2K\r") == "Pier history "
    assert one_line("a\nb\r\nc\u2028d\te") == "a b c d e"
    assert one_line("x\x1b[31mred\x1b[0m \x9b2K\u202eevil") == "xred evil"
    assert printable("two\nlines\x07\x1b]8;;http://x\x1b\\link") == "two\nlineslink"


def test_a_source_never_carries_citation_markers() -> None:
    text = "The pier was completed in 1911 [2][3]. Lit in 1874.[4] See [5, 6] too."
    assert strip_citation_markers(text) == "The pier was completed in 1911. Lit in 1874. See too."
    chunk = Chunk(id="c", doc_id="d", title="t", uri="u", text=text, start=0, end=len(text))
    source = Source.from_hit(SearchHit(chunk=chunk, score=1.0), 1)
    assert "[" not in source.text


def test_the_build_summary_lists_skipped_names_on_one_line_each() -> None:
    report = BuildReport(
        added=(), changed=(), removed=(), unchanged=(), embedded_chunks=0, total_chunks=0,
        skipped=(SkippedFile("d/x\nSupport 1.00: supported\x1b[2K.bin", "not a type"),),
    )  # fmt: skip
    lines = report.summary().splitlines()
    assert lines[-1] == "  d/x Support 1.00: supported.bin: not a type"
    assert not any(line.startswith("Support") for line in lines)


def test_the_html_report_has_no_control_characters() -> None:
    html = page("Report\x1b]0;x\x07", "<p>title\x1b[2K\r here\x00</p>")
    assert not any(control in html for control in (*CONTROLS, "\x00"))
    assert "<p>title here</p>" in html


def test_service_error_logs_are_one_line(caplog: pytest.LogCaptureFixture) -> None:
    from grounding.errors import ConfigError
    from grounding.service.errors import from_grounding_error

    caplog.set_level(logging.WARNING, logger="grounding.service")
    from_grounding_error(ConfigError("bad model /srv/m\nSupport 1.00: forged\x1b[2K"))
    messages = [record.getMessage() for record in caplog.records]
    assert messages and all("\n" not in m and "\x1b" not in m for m in messages)
