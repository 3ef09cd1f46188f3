"""The generation seam: a `Decoder` streams answer text for a prompt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from grounding.generation.prompt import Prompt

__all__ = ["Decoder", "generate"]


@runtime_checkable
class Decoder(Protocol):
    """Writes an answer for a prompt, as a stream of text pieces.

    `context_tokens` is the prompt budget the decoder can read and
    `count_tokens` measures text with the decoder's own tokenizer, so prompts
    are trimmed to what this decoder can actually see.
    """

    name: str
    context_tokens: int

    def count_tokens(self, text: str) -> int: ...

    def stream(self, prompt: Prompt, max_tokens: int = 256) -> Iterator[str]: ...


def generate(decoder: Decoder, prompt: Prompt, max_tokens: int = 256) -> str:
    """The whole answer at once."""
    return "".join(decoder.stream(prompt, max_tokens=max_tokens))
