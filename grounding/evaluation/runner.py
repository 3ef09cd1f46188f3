"""Running scorers over labelled rows, writing each prediction as soon as it is made.

`predictions.jsonl` holds one line per (scorer, row) with the full support report, so a
run can be re-scored, compared or rendered later without the models, and an interrupted
run resumes where it stopped: a stored line is reused only when its scorer, threshold and
the row's content fingerprint all match.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from grounding.checking import Scorer, get_scorer
from grounding.checking.base import ClaimScore
from grounding.core.progress import Bar
from grounding.errors import InputError
from grounding.evaluation.data import EvalRow, RowError, row_fingerprint
from grounding.evaluation.predictions import Prediction, score_row

__all__ = [
    "Prediction",
    "ScorerRun",
    "TimedScorer",
    "progress_bar",
    "read_predictions",
    "run_scorer",
    "score_row",
]


class TimedScorer(Scorer):
    """Wraps a scorer and adds up the time spent inside its `score` calls."""

    def __init__(self, scorer: Scorer) -> None:
        self.inner = scorer
        self.name = scorer.name
        self.threshold = scorer.threshold
        self.version = scorer.version  # reports name the scorer's version
        self.model_version = scorer.model_version
        self.seconds = 0.0

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        started = time.perf_counter()
        try:
            return self.inner.score(claims, sources)
        finally:
            self.seconds += time.perf_counter() - started


@dataclass
class ScorerRun:
    """The predictions of one scorer over the rows, in row order."""

    scorer: str
    threshold: float
    predictions: list[Prediction]
    errors: list[RowError] = field(default_factory=list)
    scorer_seconds: float = 0.0  # inside Scorer.score, for rows scored in this call
    wall_seconds: float = 0.0  # the whole loop, for rows scored in this call
    reused: int = 0  # rows taken from an earlier run's predictions.jsonl


def read_predictions(path: Path) -> Iterator[Prediction]:
    """The valid lines of a predictions file; a torn last line (interrupted write) is skipped."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                yield Prediction.model_validate_json(line)
            except ValidationError:
                continue


def run_scorer(
    rows: Sequence[EvalRow],
    scorer: str | Scorer | None,
    predictions_path: Path,
    threshold: float | None = None,
    resume: bool = True,
    progress: bool | None = None,
    line_numbers: Sequence[int] | None = None,
    ray: bool | str = False,
    workers: int | None = None,
) -> ScorerRun:
    """Score every row with `scorer`, appending to `predictions_path` as it goes.

    `progress=None` shows a bar only on a terminal. Rows the scorer cannot check
    (a `GroundingError`) become `errors` with their line numbers, not crashes.
    `ray` scores rows on Ray workers (True: a local Ray for the run, or an address),
    each running `score_row` as this process does; the scorer is then named.
    """
    if ray is not False and isinstance(scorer, Scorer):
        raise InputError("to score on Ray, name the scorer (each worker makes its own)")
    inner = get_scorer(scorer) if scorer is None or isinstance(scorer, str) else scorer
    threshold = inner.threshold if threshold is None else threshold
    chosen = TimedScorer(inner)
    fingerprints = [row_fingerprint(row) for row in rows]
    wanted = {row.id: fingerprints[i] for i, row in enumerate(rows)}
    done = _restart_file(predictions_path, chosen.name, threshold, wanted if resume else {})
    run = ScorerRun(scorer=chosen.name, threshold=threshold, predictions=[])
    todo = [i for i, row in enumerate(rows) if row.id not in done]
    if ray is False:
        outcomes: Iterator[tuple[int, Prediction | str]] = (
            (i, score_row(rows[i], chosen, threshold, fingerprints[i])) for i in todo
        )
    else:
        from grounding.evaluation.ray_eval import score_on_ray

        jobs = [(i, rows[i], fingerprints[i]) for i in todo]
        address = None if ray is True else ray
        outcomes = score_on_ray(jobs, chosen.name, threshold, address or None, workers)
    by_index: dict[int, Prediction] = {}
    started = time.perf_counter()
    with (
        predictions_path.open("a", encoding="utf-8") as out,
        progress_bar(len(todo), chosen.name, progress) as bar,
    ):
        for i, outcome in outcomes:
            bar.update(1)
            if isinstance(outcome, str):
                line = line_numbers[i] if line_numbers else i + 1
                run.errors.append(
                    RowError(line, f"{chosen.name} could not score {rows[i].id!r}: {outcome}")
                )
                continue
            out.write(outcome.model_dump_json() + "\n")
            out.flush()
            by_index[i] = outcome
    run.wall_seconds = time.perf_counter() - started
    run.scorer_seconds = (
        chosen.seconds if ray is False else sum(p.seconds for p in by_index.values())
    )
    for i, row in enumerate(rows):
        if i in by_index:
            run.predictions.append(by_index[i])
        elif row.id in done:
            run.predictions.append(done[row.id])
            run.reused += 1
    return run


def _restart_file(
    path: Path, scorer: str, threshold: float, wanted: dict[str, str]
) -> dict[str, Prediction]:
    """Rewrite `path` keeping other scorers' lines and this scorer's reusable ones.

    A line of this scorer and threshold is reusable when its row is still in the data
    with the same fingerprint (`wanted`: id -> fingerprint; empty = start over). Torn and
    stale lines are dropped, so appending afterwards leaves a clean file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    others: list[Prediction] = []
    reusable: dict[str, Prediction] = {}
    for p in read_predictions(path):
        if p.scorer != scorer or p.threshold != threshold:
            others.append(p)
        elif wanted.get(p.id) == p.fingerprint:
            reusable[p.id] = p
    temporary = path.with_suffix(".jsonl.tmp")
    with temporary.open("w", encoding="utf-8") as out:
        for p in [*others, *reusable.values()]:
            out.write(p.model_dump_json() + "\n")
    os.replace(temporary, path)
    return reusable


class _NoBar:
    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, n: float | None = 1) -> None:
        return None


def progress_bar(total: int, name: str, progress: bool | None) -> Bar:
    """A tqdm bar on stderr; quiet when stderr is not a terminal unless asked for."""
    show = sys.stderr.isatty() if progress is None else progress
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="row", file=sys.stderr)
