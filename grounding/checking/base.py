"""The checker's one seam: a `Scorer` scores claims against numbered sources.

A scorer subclasses `Scorer` and declares its threshold and versions as attributes; one
that does not set an attribute gets the default written here, so a plugin written before
an attribute existed keeps working.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["DEFAULT_THRESHOLD", "ClaimScore", "Scorer"]

DEFAULT_THRESHOLD = 0.5


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


class Scorer(ABC):
    """Scores each claim against the same list of sources (source i is cited as i + 1).

    - `threshold`: the support at or above which the scorer counts a claim as supported
      (the learned scorers' is chosen on their tune split);
    - `version`: reports name the scorer "name@version" when it has one;
    - `model_version`: the version of the trained model it runs, if it runs one.
    """

    name: str
    threshold: float = DEFAULT_THRESHOLD
    version: str | None = None
    model_version: str | None = None

    @abstractmethod
    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]: ...
