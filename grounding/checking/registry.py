"""Scorers by name, from the `grounding.scorers` entry points (see `grounding.plugins`)."""

from __future__ import annotations

from typing import Any

from grounding.checking.base import Scorer
from grounding.config import Settings
from grounding.plugins import SCORERS

__all__ = ["DEFAULT_SCORER", "SCORERS", "get_scorer", "list_scorers"]

DEFAULT_SCORER = "learned"


def list_scorers() -> dict[str, str]:
    """Name -> one-line description of every installed scorer."""
    return {name: SCORERS.describe(name) for name in SCORERS.names()}


def get_scorer(name: str | None = None, settings: Settings | None = None, **options: Any) -> Scorer:
    """The scorer registered as `name` (the default when None), built with `options`.

    `settings` (the environment's when None) reach the scorers that declare `uses_settings`."""
    scorer: Scorer = SCORERS.create(name or DEFAULT_SCORER, settings, **options)
    return scorer
