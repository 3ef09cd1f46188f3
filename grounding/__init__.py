"""grounding: retrieval-grounded answers with citations, and a checker of their support.

A lazy facade (PEP 562): `from grounding import Grounder, check` works as before, but
each name's module is imported only when the name is first used, so importing a
ground-floor module (`grounding.errors`, `grounding.config`) loads nothing else.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grounding.checking import check, check_many, list_scorers
    from grounding.checking.reward import reward
    from grounding.errors import GroundingError
    from grounding.orchestration.grounder import Grounder
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

_WHERE = {
    "Delta": "grounding.schema",
    "Final": "grounding.schema",
    "GroundedAnswer": "grounding.schema",
    "Grounder": "grounding.orchestration.grounder",
    "GroundingError": "grounding.errors",
    "RewardReport": "grounding.schema",
    "Source": "grounding.schema",
    "SupportReport": "grounding.schema",
    "check": "grounding.checking",
    "check_many": "grounding.checking",
    "list_scorers": "grounding.checking",
    "reward": "grounding.checking.reward",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use and kept here after."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'grounding' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
