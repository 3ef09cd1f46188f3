"""Scorers by name, from the `grounding.scorers` entry points (see `grounding.plugins`)."""

from __future__ import annotations

from typing import Any

from grounding.checking.base import Scorer
from grounding.config import Settings
from grounding.errors import ConfigError
from grounding.plugins import Registry

__all__ = ["DEFAULT_SCORER", "SCORERS", "get_scorer", "list_scorers"]

DEFAULT_SCORER = "learned"
SCORERS: Registry[type[Scorer]] = Registry(
    "grounding.scorers", "scorer", aliases={"default": "learned"}, interface=Scorer
)


def list_scorers() -> list[str]:
    """The names of every installed scorer (`SCORERS.describe(name)`: its one-line description)."""
    return SCORERS.names()


def get_scorer(name: str | None = None, settings: Settings | None = None, **options: Any) -> Scorer:
    """The scorer registered as `name` (the default when None), built with `options`.

    `NAME@VERSION`, as reports write it ("learned@2"), names that version: the scorer itself
    when it is at that version, else the earlier one kept registered as `NAME-vVERSION`.
    `settings` (the environment's when None) reach the scorers that declare `uses_settings`."""
    name = name or DEFAULT_SCORER
    version = None
    if "@" in name:
        name, version = name.split("@", 1)
        if f"{name}-v{version}" in SCORERS.names():
            name, version = f"{name}-v{version}", None
    scorer = SCORERS.create(name, settings, **options)
    if version is not None and scorer.version != version:
        raise ConfigError(f"scorer {name!r} has no version {version!r}")
    return scorer
