"""Index persistence under fire: readers racing a writer, kill -9 mid-save, two builds at once.

Each reader load must see one whole version; each kill must leave a loadable
index; the next open cleans what the killed saves left behind. The figures are
printed (run with -s to see them); bench/index_races.py runs more of each.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from grounding.errors import IndexStoreError
from grounding.retrieval.index import swap
from grounding.retrieval.index.updating import Built, build_index
from grounding.retrieval.stores.base import open_store
from tests.index_races import (
    ROOT,
    kill_during_saves,
    leftovers,
    make_version,
    race,
    read_once,
)

pytestmark = pytest.mark.slow  # subprocesses and hundreds of saves


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Path, Path, Path, list[list[str]]]:
    a, b, target = tmp_path / "a", tmp_path / "b", tmp_path / "live"
    texts = [make_version(a, 40, seed=1), make_version(b, 65, seed=2)]
    make_version(target, 40, seed=1)
    return a, b, target, texts


def test_readers_racing_a_writer_always_see_one_whole_version(
    versions: tuple[Path, Path, Path, list[list[str]]],
) -> None:
    a, b, target, texts = versions
    tally = race(a, b, target, texts, saves=200)
    print(f"\n{tally.saves} saves, {tally.reads} races, {len(tally.losses)} losses")
    assert tally.reads >= 50  # the reader really raced the writer
    assert tally.losses == []


def test_kill_9_during_saves_never_loses_the_index_and_leftovers_are_cleaned(
    versions: tuple[Path, Path, Path, list[list[str]]],
) -> None:
    a, b, target, texts = versions
    tally = kill_during_saves(a, b, target, texts, kills=12)
    print(f"\n{tally.kills} kills, {tally.reads} reads, {len(tally.losses)} losses")
    assert tally.losses == []
    assert leftovers(target) == []  # each open after a kill cleaned up
    # a copy a killed save left, found by the next save
    (target.parent / f".{target.name}.tmp-deadbeef").mkdir()
    (target.parent / f".{target.name}.old-deadbeef").mkdir()
    index = open_store(a)
    index.directory = target
    index.save()
    assert leftovers(target) == []


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    texts = make_version(target, 10, seed=3)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(target)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    busy = pytest.raises(IndexStoreError, match="being written by another process")
    with busy, swap.writing(target, wait=False):
        pass
    started = time.monotonic()
    index = open_store(target)  # reading is not held up by a writer at work
    assert time.monotonic() - started < 1.0
    index.save()  # waits for the other writer, then writes over a whole index
    assert time.monotonic() - started >= 0.8
    assert holder.wait() == 0
    assert read_once(target, [texts]) is None


_HOLD = """
import sys, time
from pathlib import Path
from grounding.retrieval.index import swap
with swap.writing(Path(sys.argv[1])):
    print("holding", flush=True)
    time.sleep(1.5)
"""


def test_a_missing_keyword_index_is_an_error_not_dense_only_search(tmp_path: Path) -> None:
    target = tmp_path / "idx"
    make_version(target, 10, seed=4)
    for path in (target / "bm25").iterdir():
        path.unlink()
    (target / "bm25").rmdir()
    with pytest.raises(IndexStoreError, match="bm25"):
        open_store(target)


def test_a_file_from_another_version_is_refused(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    make_version(one, 10, seed=5)
    make_version(two, 20, seed=6)
    (one / "vectors.faiss").write_bytes((two / "vectors.faiss").read_bytes())
    with pytest.raises(IndexStoreError, match="damaged"):
        open_store(one)


def test_two_builds_of_one_index_take_turns_and_neither_is_lost_silently(tmp_path: Path) -> None:
    """Before, both exited 0 and the first one's work vanished without a word."""
    from tests.index_docs import write_notes

    notes = write_notes(tmp_path / "notes")
    bees = tmp_path / "bees"
    bees.mkdir()
    (bees / "hives.md").write_text("# Hives\n\nThe hives stand on the south slope.\n")
    target = tmp_path / "idx"
    built: dict[str, Built] = {}

    def build(name: str, folder: Path) -> None:
        built[name] = build_index([folder], target, replace=True, progress=False)

    threads = [
        threading.Thread(target=build, args=("notes", notes)),
        threading.Thread(target=build, args=("bees", bees)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert set(built) == {"notes", "bees"}
    final = {chunk.doc_id for chunk in open_store(target).chunks}
    last = "bees" if final == {"bees/hives.md"} else "notes"
    first = "notes" if last == "bees" else "bees"
    first_docs = {chunk.doc_id for chunk in built[first].index.chunks}
    assert final == {chunk.doc_id for chunk in built[last].index.chunks}
    assert set(built[last].report.removed) == first_docs  # said, not silent
