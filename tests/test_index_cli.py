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
        (
            ["build", "prog.txt", "--name", "x"],
            "no text to index in prog.txt: skipped prog.txt: binary (an ELF executable), not text",
        ),
        (["build", "empty", "--name", "bad name"], "invalid index name 'bad name'"),
        (["info", "never-built"], "grounding index build"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    grounding_exe: str, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "prog.txt").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(64))
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


@pytest.mark.slow
def test_build_decodes_real_encodings_skips_binary_and_names_what_it_skipped(
    grounding_exe: str, tmp_path: Path
) -> None:
    import codecs

    home, docs = tmp_path / "home", tmp_path / "docs"
    docs.mkdir()
    (docs / "latin.txt").write_bytes("Le café de Zürich ouvre à 7 heures.\n".encode("latin-1"))
    wide = "The Varnholt ferry leaves at 07:15 every day.\n"
    (docs / "wide.txt").write_bytes(codecs.BOM_UTF16_LE + wide.encode("utf-16-le"))
    (docs / "bare16.md").write_bytes("# Tides\n\nHigh tide comes at noon.\n".encode("utf-16-le"))
    (docs / "program.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(200)))
    (docs / "half.txt").write_bytes(b"\x7fELF\x02")  # a partial ELF file
    (docs / "empty.md").write_text("   \n", encoding="utf-8")
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    built = _run(grounding_exe, "build", "docs", "--name", "mixed", home=home, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    out = built.stdout
    assert "3 added" in out and "the index holds 3 documents" in out, out
    assert "skipped 4 files:" in out
    assert "docs/program.txt: binary (an ELF executable)" in out
    assert "docs/half.txt: binary (an ELF executable)" in out
    assert "docs/empty.md: no text in it" in out
    assert "docs/photo.png: not a type it reads (.png)" in out
    manifest = json.loads((home / "indexes" / "mixed" / "manifest.json").read_text())
    assert manifest["documents"] == len(manifest["files"]) == 3
    chunks = (home / "indexes" / "mixed" / "chunks.jsonl").read_text(encoding="utf-8")
    assert "Le café de Zürich" in chunks and "ferry leaves at 07:15" in chunks
    assert "High tide comes at noon" in chunks and "ELF" not in chunks

    # the same name from another folder would delete these documents: refused
    other = tmp_path / "other"
    other.mkdir()
    (other / "note.txt").write_text("An unrelated note about bees.\n", encoding="utf-8")
    refused = _run(grounding_exe, "build", "other", "--name", "mixed", home=home, cwd=tmp_path)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "holds documents from docs (3 files)" in lines[0]
    assert "--replace" in lines[0]
    kept = json.loads((home / "indexes" / "mixed" / "manifest.json").read_text())
    assert sorted(kept["files"]) == sorted(manifest["files"])
    replaced = _run(
        grounding_exe, "build", "other", "--name", "mixed", "--replace", home=home, cwd=tmp_path
    )
    assert replaced.returncode == 0, replaced.stderr
    assert "1 added" in replaced.stdout and "3 removed" in replaced.stdout


@pytest.mark.slow
def test_a_killed_build_resumes_and_embeds_only_the_rest(
    grounding_exe: str, tmp_path: Path
) -> None:
    import time

    home, docs = tmp_path / "home", tmp_path / "many"
    docs.mkdir()
    for number in range(45):  # 495 chunks of about 100 characters: two embedding calls
        words = " ".join(f"w{number}x{i}" for i in range(200))
        (docs / f"note{number:02d}.txt").write_text(words[:999] + "\n", encoding="utf-8")
    args = ["build", "many", "--name", "big", "--chunk-size", "100", "--chunk-overlap", "0"]
    env = {**os.environ, "GROUNDING_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    staging = home / "indexes" / ".big.staging"
    process = subprocess.Popen(
        [grounding_exe, "index", *args], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while not list(staging.glob("*.npz")):  # the first call's vectors are staged
            assert process.poll() is None, "the build ended before it staged anything"
            assert time.monotonic() < deadline, "nothing was staged within 240 s"
            time.sleep(0.01)
        process.kill()  # mid-build, as a power cut or Ctrl-\ would
    finally:
        process.wait(timeout=60)
    assert process.returncode == -9, "the build finished before it could be interrupted"
    assert not (home / "indexes" / "big" / "manifest.json").exists()
    staged = len(list(staging.glob("*.npz")))
    assert staged == 1  # killed during the second call

    resumed = _run(grounding_exe, *args, home=home, cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    manifest = json.loads((home / "indexes" / "big" / "manifest.json").read_text())
    total, reused = manifest["chunks"], 256 * staged
    assert total > 256 and manifest["documents"] == 45
    assert f"embedded {total - reused} of {total} chunks" in resumed.stdout, resumed.stdout
    assert f"resumed: reused {reused} chunk vectors" in resumed.stdout
    assert not staging.exists()  # saved: nothing left to resume
