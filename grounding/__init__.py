"""grounding: retrieval-grounded answers with citations, and a checker of their support."""

from grounding.checking import check, check_many, list_scorers
from grounding.checking.reward import reward
from grounding.errors import GroundingError
from grounding.pipeline import Grounder
from grounding.schema import Delta, Final, GroundedAnswer, RewardReport, Source, SupportReport

__all__ = [
    "Delta",
    "Final",
    "GroundedAnswer",
    "Grounder",
    "GroundingError",
    "RewardReport",
    "Source",
    "SupportReport",
    "check",
    "check_many",
    "list_scorers",
    "reward",
]
