"""The generation seam: a `Decoder` turns chat messages into answer text."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from grounding.schema import Message, Source

__all__ = ["Decoder"]


@runtime_checkable
class Decoder(Protocol):
    """Writes an answer to the conversation in `messages`.

    `sources` are the numbered sources already fenced into the messages; decoders
    that do not read prompts (the extractive one) answer from them directly.
    `stream` yields pieces of text whose concatenation is the answer.
    """

    name: str

    def generate(
        self, messages: Sequence[Message], sources: Sequence[Source], max_tokens: int = 256
    ) -> str: ...

    def stream(
        self, messages: Sequence[Message], sources: Sequence[Source], max_tokens: int = 256
    ) -> Iterator[str]: ...
