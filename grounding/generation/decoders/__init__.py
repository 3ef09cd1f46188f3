"""Decoders by name, from the `grounding.decoders` entry points (see `grounding.plugins`).

Adding one is one class and one entry point, in this package or a plugin's.
"""

from __future__ import annotations

from typing import Any

from grounding.config import Settings
from grounding.generation.base import Decoder
from grounding.plugins import Registry

__all__ = ["DECODERS", "DEFAULT_DECODER", "get_decoder", "list_decoders"]

DEFAULT_DECODER = "extractive"
DECODERS: Registry[type[Decoder]] = Registry("grounding.decoders", "decoder", interface=Decoder)


def list_decoders() -> list[str]:
    """The names of every installed decoder."""
    return DECODERS.names()


def get_decoder(
    name: str | None = None, settings: Settings | None = None, **options: Any
) -> Decoder:
    """The decoder registered as `name` (the default when None).

    `settings` (the environment's when None) reach the decoders that declare `uses_settings`."""
    return DECODERS.create(name or DEFAULT_DECODER, settings, **options)
