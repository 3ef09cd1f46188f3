"""Scoring eval rows on Ray: each worker makes the scorer once and runs `score_row` on batches.

Results come back in row order, so predictions.jsonl and metrics.json are those of
an in-process run (timings aside).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from grounding.backends.ray_cluster import batches, ray_workers
from grounding.evaluation.data import EvalRow
from grounding.evaluation.predictions import Prediction, score_row

__all__ = ["score_on_ray"]

_BATCHES_PER_WORKER = 8  # rows go out in batches: few round trips, even load

Job = tuple[int, EvalRow, str]  # (row index, row, fingerprint)


def score_on_ray(
    jobs: Sequence[Job],
    scorer: str,
    threshold: float,
    address: str | None = None,
    workers: int | None = None,
) -> Iterator[tuple[int, Prediction | str]]:
    """(row index, prediction or error message) for each job, in job order."""
    if not jobs:
        return
    with ray_workers(address, workers) as pool:
        sizes = [len(row.answer) + sum(len(s) for s in row.sources) for _, row, _ in jobs]
        parts = [
            [jobs[i] for i in part] for part in batches(sizes, pool.workers * _BATCHES_PER_WORKER)
        ]
        for scored in pool.map(_row_scorer, (scorer, threshold), parts):
            yield from scored


def _row_scorer(scorer: str, threshold: float) -> Callable[[Any], Any]:
    """What a worker runs on each batch; the scorer (and its models) is made once."""
    from grounding.checking import get_scorer

    made = get_scorer(scorer)

    def score(batch: list[Job]) -> list[tuple[int, Prediction | str]]:
        return [(i, score_row(row, made, threshold, fp)) for i, row, fp in batch]

    return score
