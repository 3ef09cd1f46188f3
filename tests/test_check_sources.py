"""`grounding check --source` reads regular files only, within a size cap, and names what it
refuses (issue 26, item 7): the console script in a subprocess, as a user runs it."""

from __future__ import annotations

import os
import resource
import subprocess
import time
from pathlib import Path

import pytest

from grounding.errors import InputError
from grounding.retrieval.index.textfiles import (
    MAX_SOURCE_FILE_BYTES,
    read_file_bytes,
    read_text_file,
)

MEMORY_LIMIT = 1 << 30  # 1 GiB of address space: reading /dev/zero whole would pass it in ~3 s


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _check(exe: str, source: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, "check", "--answer", "x is 1.", "--source", source],
        capture_output=True, text=True, cwd=cwd, timeout=60, preexec_fn=_limit_memory,
    )  # fmt: skip


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_dev_zero_fails_fast_under_a_memory_limit(grounding_exe: str, tmp_path: Path) -> None:
    """Before: memory grew at about 300 MB/s without bound (here: a MemoryError)."""
    started = time.monotonic()
    done = _check(grounding_exe, "/dev/zero", tmp_path)
    assert time.monotonic() - started < 30
    line = _one_line_error(done)
    assert "/dev/zero" in line and "a device, not a regular file" in line


def test_a_txt_link_to_dev_zero_is_refused(grounding_exe: str, tmp_path: Path) -> None:
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    line = _one_line_error(_check(grounding_exe, "zero.txt", tmp_path))
    assert "zero.txt" in line and "a device, not a regular file" in line


def test_a_fifo_is_refused_instead_of_hanging(grounding_exe: str, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")  # nobody writes: opening it to read would block forever
    line = _one_line_error(_check(grounding_exe, "pipe.txt", tmp_path))
    assert "pipe.txt" in line and "a FIFO, not a regular file" in line


def test_a_symlink_loop_is_named_as_one(grounding_exe: str, tmp_path: Path) -> None:
    """Before: "no such source file"."""
    (tmp_path / "loop.txt").symlink_to("loop.txt")
    line = _one_line_error(_check(grounding_exe, "loop.txt", tmp_path))
    assert "loop.txt: a symlink loop" in line and "no such source file" not in line


def test_a_file_over_the_size_cap_is_refused(grounding_exe: str, tmp_path: Path) -> None:
    with (tmp_path / "huge.txt").open("wb") as handle:
        handle.truncate(MAX_SOURCE_FILE_BYTES + 1)  # sparse: costs no disk
    line = _one_line_error(_check(grounding_exe, "huge.txt", tmp_path))
    assert "huge.txt has 16,777,217 bytes; the limit is 16,777,216 bytes" in line


def test_the_readers_refuse_what_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(InputError, match="a FIFO, not a regular file"):
        read_file_bytes(tmp_path / "pipe.txt")
    with pytest.raises(InputError, match="a device, not a regular file"):
        read_text_file("/dev/zero")
    with pytest.raises(InputError, match="is a folder, not a file"):
        read_text_file(tmp_path)
    (tmp_path / "small.txt").write_text("four")
    with pytest.raises(InputError, match="the limit is 3 bytes"):
        read_file_bytes(tmp_path / "small.txt", limit=3)
    assert read_text_file(tmp_path / "small.txt", limit=4) == "four"
