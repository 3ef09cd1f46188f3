"""Where things live and the settings read from the environment."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["env_flag", "grounding_home", "indexes_dir"]


def grounding_home() -> Path:
    """`$GROUNDING_HOME`, or `~/.grounding`: built indexes and caches live here, never in git."""
    return Path(os.environ.get("GROUNDING_HOME") or Path.home() / ".grounding")


def indexes_dir() -> Path:
    return grounding_home() / "indexes"


def env_flag(name: str) -> bool:
    """True when the variable is set to 1/true/yes (case-insensitive)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
