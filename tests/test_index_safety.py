"""No silent data loss in `index build` (issue 26): concurrent builds, unreadable folders,
names resolved under the swap lock, odd files listed, names that would break output lines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from grounding.errors import InputError
from grounding.retrieval.index import swap
from grounding.retrieval.index.locations import index_dir_for_write
from grounding.retrieval.index.storage import resolve_index_dir
from tests.index_races import make_version


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "GROUNDING_HOME": str(home), "HF_HUB_OFFLINE": "1"}


def _build(
    exe: str, *args: str, home: Path, cwd: Path, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, exe, "index", "build", *args], capture_output=True, text=True,
        env=_env(home), cwd=cwd, timeout=300,
    )  # fmt: skip


def _manifest_files(home: Path, name: str) -> set[str]:
    manifest = json.loads((home / "indexes" / name / "manifest.json").read_text())
    return set(manifest["files"])


def _folder(parent: Path, name: str, count: int) -> Path:
    folder = parent / name
    folder.mkdir(parents=True)
    for number in range(count):
        (folder / f"{name}{number}.txt").write_text(
            f"Note {number} of folder {name}: the {name} tide tables for day {number}.\n"
        )
    return folder


@pytest.mark.slow
def test_two_concurrent_builds_of_one_name_never_delete_documents(
    grounding_exe: str, tmp_path: Path
) -> None:
    """Before: both exited 0, one said "3 removed", and the index held one folder."""
    home = tmp_path / "home"
    _folder(tmp_path, "alpha", 3)
    _folder(tmp_path, "beta", 3)
    for round_ in range(5):
        name = f"c{round_}"
        runs = [
            subprocess.Popen(
                [grounding_exe, "index", "build", folder, "--name", name],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(home),
                cwd=tmp_path,
            )
            for folder in ("alpha", "beta")
        ]
        done = [(run.wait(timeout=300), *run.communicate()) for run in runs]
        held = _manifest_files(home, name)
        for (code, out, err), folder in zip(done, ("alpha", "beta"), strict=True):
            mine = {f"{folder}/{folder}{n}.txt" for n in range(3)}
            if code == 0:
                assert " 0 removed" in out, out
                assert mine <= held  # what a successful build saved is still there
            else:
                lines = err.strip().splitlines()
                assert code == 1 and len(lines) == 1, err
                assert "holds documents from" in lines[0] and "--replace" in lines[0]
        assert any(code == 0 for code, _, _ in done)
        assert len(held) == 3 * sum(code == 0 for code, _, _ in done)


@pytest.mark.slow
def test_a_build_beside_a_wider_build_does_not_drop_its_folders(
    grounding_exe: str, tmp_path: Path
) -> None:
    """`build A C` beside `build A`: C's documents stay unless --replace is given."""
    home = tmp_path / "home"
    _folder(tmp_path, "a", 2)
    _folder(tmp_path, "c", 2)
    first = _build(grounding_exe, "a", "c", "--name", "ex", home=home, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = _build(grounding_exe, "a", "--name", "ex", home=home, cwd=tmp_path)
    assert second.returncode == 1 and "holds documents from c (2 files)" in second.stderr
    assert _manifest_files(home, "ex") == {"a/a0.txt", "a/a1.txt", "c/c0.txt", "c/c1.txt"}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_an_unreadable_subfolder_stops_the_build_and_keeps_its_documents(
    grounding_exe: str, tmp_path: Path
) -> None:
    """Before: exit 0, "1 removed", no warning. Run without the capabilities that let
    root read any folder, as a user who cannot read it would."""
    home = tmp_path / "home"
    notes = _folder(tmp_path, "notes", 1)
    locked = _folder(notes, "locked", 1)
    built = _build(grounding_exe, "notes", "--name", "n", home=home, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    before = _manifest_files(home, "n")
    assert "notes/locked/locked0.txt" in before
    locked.chmod(0)
    try:
        unprivileged = ("setpriv", "--inh-caps=-all", "--bounding-set=-all", "--")
        again = _build(
            grounding_exe, "notes", "--name", "n", home=home, cwd=tmp_path, prefix=unprivileged
        )
    finally:
        locked.chmod(0o755)
    lines = again.stderr.strip().splitlines()
    assert again.returncode == 1 and len(lines) == 1, again.stderr
    assert "cannot read folder notes/locked: Permission denied" in lines[0]
    assert _manifest_files(home, "n") == before


@pytest.mark.slow
def test_fifos_devices_links_and_loops_are_listed_as_skipped(
    grounding_exe: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    docs = _folder(tmp_path, "docs", 1)
    os.mkfifo(docs / "pipe.txt")
    (docs / "zero.txt").symlink_to("/dev/zero")
    (docs / "loop.md").symlink_to("loop.md")
    (docs / "gone.txt").symlink_to("nowhere.txt")
    (docs / "up").symlink_to("..")
    built = _build(grounding_exe, "docs", "--name", "odd", home=home, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    out = built.stdout
    assert "skipped 5 files:" in out
    assert "docs/pipe.txt: not a regular file (a FIFO)" in out
    assert "docs/zero.txt: not a regular file (a device)" in out
    assert "docs/loop.md: not a regular file (a symlink loop)" in out
    assert "docs/gone.txt: not a regular file (a broken symlink)" in out
    assert "docs/up: a link to a folder (not followed)" in out
    assert _manifest_files(home, "odd") == {"docs/docs0.txt"}


@pytest.mark.parametrize("bad", ["notes\n", "a\nSupport 1.00", "x\r", "tab\tname"])
def test_index_names_with_line_breaks_or_controls_are_refused(bad: str) -> None:
    with pytest.raises(InputError, match="invalid index name"):
        index_dir_for_write(bad)
    with pytest.raises(InputError, match="invalid index path"):
        index_dir_for_write(f"./{bad}")


def test_a_name_with_a_newline_is_one_line_error_in_the_cli(
    grounding_exe: str, tmp_path: Path
) -> None:
    _folder(tmp_path, "d", 1)
    done = _build(grounding_exe, "d", "--name", "notes\n", home=tmp_path / "home", cwd=tmp_path)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and "invalid index name" in lines[0]
    assert not (tmp_path / "home" / "indexes").exists() or not any(
        (tmp_path / "home" / "indexes").iterdir()
    )


def test_a_name_that_is_an_index_at_home_and_here_is_ambiguous(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "grounding-home" / "indexes"
    make_version(home / "race", 3, seed=1)
    make_version(tmp_path / "race", 3, seed=2)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="ambiguous"):
        resolve_index_dir("race")
    assert resolve_index_dir("./race") == Path("race")
    shutil.rmtree(home / "race")
    assert resolve_index_dir("race") == Path("race")  # only here: no doubt


def test_a_name_is_resolved_under_the_swap_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: a reader resolving `race` while a save of the home index was between its
    two renames took the unrelated folder `./race` in the working directory."""
    home = tmp_path / "grounding-home" / "indexes" / "race"
    make_version(home, 3, seed=1)
    make_version(tmp_path / "race", 3, seed=2)
    monkeypatch.chdir(tmp_path)
    outcome: list[object] = []

    def resolve() -> None:
        try:
            outcome.append(resolve_index_dir("race"))
        except InputError as exc:
            outcome.append(exc)

    retired = home.with_name(".race.old-test")
    with swap.writing(home), swap._flock(swap._lock_file(home, "swap"), True):
        os.replace(home, retired)  # a save between its two renames
        reader = threading.Thread(target=resolve)
        reader.start()
        time.sleep(0.5)
        waited = reader.is_alive()
        os.replace(retired, home)
    reader.join(timeout=30)
    assert waited, f"resolved during the swap: {outcome}"
    assert len(outcome) == 1 and isinstance(outcome[0], InputError)
    assert "ambiguous" in str(outcome[0])


def test_a_fifo_or_device_named_directly_is_refused_by_name(tmp_path: Path) -> None:
    from grounding.retrieval.index.loaders import scan

    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InputError, match="pipe: it is a FIFO, not a file or folder"):
        scan([tmp_path / "pipe"])
    with pytest.raises(InputError, match="/dev/null: it is a device, not a file or folder"):
        scan(["/dev/null"])
