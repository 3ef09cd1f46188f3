"""Replacing a local index's folder atomically, and the locks that keep readers and writers apart.

A save writes a complete copy into a temporary folder beside the target,
fsyncs it, then swaps folders with two renames; a crash at any point leaves
either the old or the new index whole. `recover` finishes an interrupted swap.

Two lock files beside the folder (`.NAME.write.lock`, `.NAME.swap.lock`; flock,
so a killed process lets go) keep readers and writers apart:
- `writing(target)` is held by one writer at a time for a whole build or save,
  so two builds of one index run one after the other, never over each other;
  whoever takes it first puts back an interrupted swap and removes the
  `.tmp-*`/`.old-*` copies that killed saves left behind;
- `reading(target)` holds the swap lock shared while an index is loaded, and
  the swap itself takes it exclusively, so a reader sees one whole version.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from grounding.errors import IndexStoreError
from grounding.retrieval.index.locations import MANIFEST

__all__ = [
    "IndexBusyError",
    "reading",
    "recover",
    "replace_atomically",
    "tidy",
    "writing",
]


def replace_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Run `write(folder)` into a fresh folder, fsync it, then swap it in for `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with writing(target):
        _replace(target, write)


def _replace(target: Path, write: Callable[[Path], None]) -> None:
    token = uuid.uuid4().hex[:8]
    staging = target.with_name(f".{target.name}.tmp-{token}")
    staging.mkdir()
    try:
        write(staging)
        _fsync_tree(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired = target.with_name(f".{target.name}.old-{token}")
    with _flock(_lock_file(target, "swap"), exclusive=True):  # waits for loads in progress
        if target.exists():
            os.replace(target, retired)
        os.replace(staging, target)
        _fsync_dir(target.parent)
    shutil.rmtree(retired, ignore_errors=True)


def recover(target: Path) -> None:
    """Put back the previous index if a swap was interrupted between its two renames."""
    if (target / MANIFEST).exists() or not target.parent.is_dir():
        return
    for retired in sorted(_siblings(target, "old"), key=lambda p: p.stat().st_mtime):
        if (retired / MANIFEST).exists():
            with contextlib.suppress(OSError):
                if target.exists():
                    target.rmdir()  # only ever an empty leftover
                os.replace(retired, target)
                return


def tidy(target: Path) -> None:
    """Recover an interrupted swap and remove leftover copies, unless a writer is at work."""
    if not target.parent.is_dir():
        return
    with contextlib.suppress(IndexBusyError), writing(target, wait=False):
        pass  # taking the writer lock does the work


@contextlib.contextmanager
def reading(target: Path) -> Iterator[None]:
    """Hold off swaps of `target` while it is read, so the reader sees one version."""
    with _flock(_lock_file(target, "swap"), exclusive=False):
        yield


class IndexBusyError(IndexStoreError):
    """Another process is writing the index (raised only when not waiting for it)."""


_held: dict[Path, int] = {}  # writer locks this process holds: path -> owning thread
_held_guard = threading.Lock()


@contextlib.contextmanager
def writing(target: Path, wait: bool = True) -> Iterator[None]:
    """The index's writer lock: one build or save at a time, across processes.

    Re-entrant within a thread (a build holds it across its save). The folder
    that holds `target` is made first, so even the first build of an index
    under a new GROUNDING_HOME is locked. On taking it: an interrupted swap is
    put back and leftover `.tmp-*`/`.old-*` copies are removed. `wait=False`
    raises IndexBusyError instead of waiting.
    """
    key = target.absolute()
    with _held_guard:
        mine = _held.get(key) == threading.get_ident()
    if mine:
        yield
        return
    with contextlib.suppress(OSError):  # the lock file lives there: without it, no lock
        target.parent.mkdir(parents=True, exist_ok=True)
    with _flock(_lock_file(target, "write"), exclusive=True, wait=wait) as locked:
        with _held_guard:
            _held[key] = threading.get_ident()
        try:
            if locked:
                recover(target)
                for leftover in [*_siblings(target, "tmp"), *_siblings(target, "old")]:
                    shutil.rmtree(leftover, ignore_errors=True)
            yield
        finally:
            with _held_guard:
                _held.pop(key, None)


def _lock_file(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}.{kind}.lock")


@contextlib.contextmanager
def _flock(path: Path, exclusive: bool, wait: bool = True) -> Iterator[bool]:
    """An flock on `path` (created if needed); yields False where no lock can be taken.

    Where the folder is read-only or the platform has no flock, nothing can
    write there either, so reading without the lock is safe.
    """
    try:
        import fcntl

        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except (ImportError, OSError):
        yield False
        return
    try:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(descriptor, mode if wait else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(
                f"index {path.name[1:].rsplit('.', 2)[0]!r} is being written by another process; "
                "try again when it has finished"
            ) from None
        yield True
    finally:
        os.close(descriptor)  # releases the lock


def _siblings(target: Path, kind: str) -> Iterator[Path]:
    yield from target.parent.glob(f".{target.name}.{kind}-*")


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        _fsync_dir(path)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be fsynced
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
