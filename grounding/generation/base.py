"""The generation seam: a `Decoder` streams answer text for a prompt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from grounding.generation.prompt import Prompt

__all__ = ["Decoder", "Sampler", "generate"]


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


@runtime_checkable
class Sampler(Protocol):
    """A decoder that can also write `n` different answers by sampling (for best-of-n).

    The same `seed` gives the same answers; `temperature` > 0.
    """

    def sample(
        self, prompt: Prompt, n: int, max_tokens: int = 256, temperature: float = 0.8,
        seed: int = 0,
    ) -> list[str]: ...  # fmt: skip


def generate(decoder: Decoder, prompt: Prompt, max_tokens: int = 256) -> str:
    """The whole answer at once."""
    return "".join(decoder.stream(prompt, max_tokens=max_tokens))
