"""Decoders by name, imported only when chosen. Adding one is one file and one line here."""

from __future__ import annotations

import importlib
from typing import Any

from grounding.errors import ConfigError
from grounding.generation.base import Decoder

__all__ = ["DECODERS", "DEFAULT_DECODER", "get_decoder"]

DEFAULT_DECODER = "extractive"

DECODERS: dict[str, str] = {
    "extractive": "grounding.generation.decoders.extractive:ExtractiveDecoder",
    "gemma": "grounding.generation.decoders.gemma:GemmaDecoder",
    "openai": "grounding.generation.decoders.openai:OpenAIDecoder",
}


def get_decoder(name: str | None = None, **options: Any) -> Decoder:
    """The decoder registered as `name` (the default when None)."""
    name = name or DEFAULT_DECODER
    if name not in DECODERS:
        raise ConfigError(f"unknown decoder {name!r}; choose one of: {', '.join(DECODERS)}")
    module_name, _, class_name = DECODERS[name].partition(":")
    decoder: Decoder = getattr(importlib.import_module(module_name), class_name)(**options)
    return decoder
