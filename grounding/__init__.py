"""grounding: retrieval-grounded answers with citations, and a checker of their support."""

from grounding.checking import check, check_many, list_scorers
from grounding.errors import GroundingError
from grounding.pipeline import Grounder
from grounding.schema import Delta, Final, GroundedAnswer, Source, SupportReport

__all__ = [
    "Delta",
    "Final",
    "GroundedAnswer",
    "Grounder",
    "GroundingError",
    "Source",
    "SupportReport",
    "check",
    "check_many",
    "list_scorers",
]
