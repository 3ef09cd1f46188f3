"""The checker's one seam: a `Scorer` scores claims against numbered sources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

__all__ = ["ClaimScore", "Scorer"]


@dataclass(frozen=True)
class ClaimScore:
    """A scorer's verdict on one claim.

    `support` is the probability that the sources support the claim;
    `citations` are 1-based indices of the sources that support it, best first;
    `unsupported` are (start, end) offsets *within the claim* of the parts not supported.
    """

    support: float
    citations: tuple[int, ...] = ()
    unsupported: tuple[tuple[int, int], ...] = field(default_factory=tuple)


@runtime_checkable
class Scorer(Protocol):
    """Scores each claim against the same list of sources (source i is cited as i + 1)."""

    name: str

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]: ...
