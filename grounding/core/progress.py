"""Saying what long work is doing: one-off notes and progress lines, on stderr in the CLI.

The library only logs them (logger `grounding.core.progress`, level INFO); the CLI shows those
records on stderr (`show_notes`), so a program using the library stays quiet unless it
attaches a handler too. On a terminal a long step draws a tqdm bar instead of lines;
elsewhere (a log file, a pipe) `progress_bar` writes a plain line every
`GROUNDING_PROGRESS_EVERY` seconds: how far, how fast, about how long is left.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import IO, Protocol

from grounding.config import setting

__all__ = ["LOGGER", "Bar", "LineProgress", "note", "progress_bar", "show_notes"]

LOGGER = logging.getLogger("grounding.progress")


def note(message: str) -> None:
    """Tell the person waiting what is happening ("building the demo index ...")."""
    LOGGER.info(message)


class _Stderr(logging.Handler):
    """Writes to whatever `sys.stderr` is when a record comes (a test runner may swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:  # logging's own contract: report, never raise
            self.handleError(record)


def show_notes(stream: IO[str] | None = None) -> None:
    """Show notes and progress lines on `stream` (else the current stderr); once per process."""
    if any(getattr(h, "_grounding_notes", False) for h in LOGGER.handlers):
        return
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(logging.Formatter("%(message)s"))
    # marks our handler, so that a second call adds none (checked above)
    handler._grounding_notes = True  # type: ignore[attr-defined]
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False


class Bar(Protocol):
    """What a build needs of a progress display: tqdm's `update` and context manager."""

    def update(self, n: float | None = 1) -> bool | None: ...
    def __enter__(self) -> Bar: ...
    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class LineProgress:
    """A plain progress line every `every` seconds ("index build: embedding 512/8,625
    chunks from 214 files, 41.3 chunks/s, about 3 min 16 s left"), and a last one at the
    end when any was written."""

    def __init__(
        self,
        what: str,
        total: int,
        unit: str,
        every: float,
        detail: Callable[[], str] | None = None,
    ) -> None:
        self.what, self.total, self.unit, self.every = what, total, unit, every
        self.detail = detail or (lambda: "")
        self.done = 0
        self.lines = 0
        self._shown = -1  # `done` when the last line was written
        self._started = self._last = time.monotonic()

    def update(self, n: float | None = 1) -> bool | None:
        self.done += int(n or 0)
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._write(now)
        return None

    def _write(self, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        line = f"{self.what} {self.done:,}/{self.total:,} {self.unit}s{self.detail()}"
        line += f", {rate:.1f} {self.unit}s/s"
        if self.done >= self.total:
            line += f", done in {_duration(elapsed)}"
        elif rate > 0:
            line += f", about {_duration((self.total - self.done) / rate)} left"
        note(line)
        self.lines += 1
        self._shown = self.done

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.lines and kind is None and self._shown != self.done:
            self._write(time.monotonic())


class _NoBar:
    def update(self, n: float | None = 1) -> bool | None:
        return None

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def progress_bar(
    total: int,
    what: str,
    unit: str,
    progress: bool | None,
    detail: Callable[[], str] | None = None,
    every: float | None = None,
    task: str = "index build",
) -> Bar:
    """A tqdm bar on a terminal (or with `progress=True`), plain lines elsewhere when
    `progress` is None ("{task}: {what} 3/40 {unit}s..."), nothing with `progress=False`."""
    bar = sys.stderr.isatty() if progress is None else progress
    if bar:
        from tqdm.auto import tqdm

        return tqdm(total=total, unit=unit, desc=what, file=sys.stderr)
    if progress is None:
        seconds = setting("progress_every") if every is None else every
        return LineProgress(f"{task}: {what}", total, unit, seconds, detail)
    return _NoBar()
