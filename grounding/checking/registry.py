"""Scorers by name, imported only when chosen."""

from __future__ import annotations

import importlib
from typing import Any

from grounding.checking.base import Scorer
from grounding.errors import ConfigError

__all__ = ["DEFAULT_SCORER", "SCORERS", "get_scorer", "list_scorers"]

DEFAULT_SCORER = "learned"

# name -> ("module:Class", one-line description)
SCORERS: dict[str, tuple[str, str]] = {
    "learned": (
        "grounding.checking.scorers.learned:LearnedScorer",
        "word-level evidence features + boosted trees learned on RAGTruth, calibrated (offline)",
    ),
    "cross-encoder": (
        "grounding.checking.scorers.cross_encoder:CrossEncoderScorer",
        "any local NLI / hallucination pair classifier (model=PATH or GROUNDING_CROSS_ENCODER)",
    ),
    "llm-judge": (
        "grounding.checking.scorers.llm_judge:LLMJudgeScorer",
        "an LLM over an OpenAI-compatible endpoint (OPENAI_BASE_URL, GROUNDING_MODEL)",
    ),
    "overlap": (
        "grounding.checking.scorers.overlap:OverlapScorer",
        "share of content words found in the sources (baseline)",
    ),
}


def list_scorers() -> dict[str, str]:
    """Name -> description of every scorer."""
    return {name: description for name, (_, description) in SCORERS.items()}


def get_scorer(name: str | None = None, **options: Any) -> Scorer:
    """The scorer registered as `name` (the default when None), built with `options`."""
    name = name or DEFAULT_SCORER
    name = "learned" if name == "default" else name
    if name not in SCORERS:
        raise ConfigError(f"unknown scorer {name!r}; choose one of: {', '.join(SCORERS)}")
    module_name, _, class_name = SCORERS[name][0].partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    scorer: Scorer = cls(**options)
    return scorer
