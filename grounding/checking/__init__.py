"""Checking: does the evidence support the answer, per claim and overall?"""

from grounding.checking.base import ClaimScore, Scorer
from grounding.checking.checker import (
    DEFAULT_THRESHOLD,
    check,
    check_many,
    checker_name,
    nothing_claimed,
    scorer_threshold,
)
from grounding.checking.registry import get_scorer, list_scorers

__all__ = [
    "DEFAULT_THRESHOLD",
    "ClaimScore",
    "Scorer",
    "check",
    "check_many",
    "checker_name",
    "get_scorer",
    "list_scorers",
    "nothing_claimed",
    "scorer_threshold",
]
