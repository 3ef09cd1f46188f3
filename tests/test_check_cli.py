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
    done = _run(grounding_exe, "--answer", ANSWER, "--source", str(source), "--text", "tides")
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


def test_source_paths_are_files_and_inline_text_is_explicit(
    grounding_exe: str, tmp_path: Path
) -> None:
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Le phare de Varnholt fut allumé en 1874 à Zürich.".encode("latin-1"))
    answer = "Le phare fut allumé en 1874."
    read = _run(grounding_exe, "--answer", answer, "--source", str(latin), "--json")
    assert read.returncode == 0, read.stderr  # the decoder index build uses: Latin-1 is read
    assert json.loads(read.stdout)["supported"] is True

    for typo in ("artcle.txt", str(tmp_path / "notes" / "a.md"), "my article.txt"):
        missing = _run(grounding_exe, "--answer", ANSWER, "--source", typo)
        assert missing.returncode == 1
        assert missing.stderr.strip() == (
            f'error: no such source file: {typo} (for inline text use --text "...")'
        )
    folder = _run(grounding_exe, "--answer", ANSWER, "--source", str(tmp_path))
    assert folder.returncode == 1 and "is a folder" in folder.stderr
    assert len(folder.stderr.strip().splitlines()) == 1

    binary = tmp_path / "prog.txt"
    binary.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(40))
    refused = _run(grounding_exe, "--answer", ANSWER, "--source", str(binary))
    assert refused.returncode == 1 and "binary (an ELF executable)" in refused.stderr


def test_fail_under_exits_3_below_the_score_and_0_above(grounding_exe: str) -> None:
    common = ["--scorer", "overlap", "--json", "--text", SOURCE]
    low = _run(grounding_exe, "--answer", ANSWER, *common, "--fail-under", "0.9")
    assert low.returncode == 3, low.stderr
    report = json.loads(low.stdout)  # the report is still printed
    assert report["score"] < 0.9
    assert f"support {report['score']:.2f} is below --fail-under 0.9" in low.stderr
    plain = _run(grounding_exe, "--answer", ANSWER, *common)
    assert plain.returncode == 0  # without --fail-under an unsupported answer exits 0
    true = "The Varnholt lighthouse was first lit in 1874."
    ok = _run(grounding_exe, "--answer", true, *common, "--fail-under", "0.5")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["score"] >= 0.5


def test_an_answer_over_the_service_limit_is_refused(grounding_exe: str) -> None:
    from grounding.generation.prompt import MAX_MESSAGE_CHARS
    from grounding.service.settings import ServiceSettings

    assert ServiceSettings().max_message_chars == MAX_MESSAGE_CHARS
    long = _run(grounding_exe, "--answer", "word " * 20_000, "--text", SOURCE)
    assert long.returncode == 1
    assert long.stderr.strip() == (
        f"error: the answer has 100,000 characters; the limit is {MAX_MESSAGE_CHARS:,} "
        "(as in the service)"
    )
