"""Checking: does the evidence support the answer, per claim and overall?"""

from grounding.checking.base import DEFAULT_THRESHOLD, ClaimScore, Scorer
from grounding.checking.checker import check, check_many, checker_name, nothing_claimed
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
]
