"""The generation seam: a `Decoder` streams answer text for a prompt.

A decoder subclasses `Decoder` and declares what it can do as class attributes; one that
does not set an attribute gets the default written here, so a plugin written before an
attribute existed keeps working.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator
from dataclasses import dataclass
from typing import ClassVar, Literal

from grounding.generation.prompt import Prompt

__all__ = ["Decoder", "Finish", "Generated", "finish_reason", "whole", "written"]

Finish = Literal["stop", "length"]


class Decoder(ABC):
    """Writes an answer for a prompt, as a stream of text pieces.

    `context_tokens` is the prompt budget the decoder can read and
    `count_tokens` measures text with the decoder's own tokenizer, so prompts
    are trimmed to what this decoder can actually see.

    What it can do:
    - `samples`: it writes `n` different answers by sampling (`sample`), as best-of-n needs;
    - `copies_sources`: every sentence it writes is copied from a source and cited, so
      repair has nothing to fix.
    """

    name: str
    context_tokens: int
    samples: ClassVar[bool] = False
    copies_sources: ClassVar[bool] = False

    @abstractmethod
    def count_tokens(self, text: str) -> int: ...

    @abstractmethod
    def stream(self, prompt: Prompt, max_tokens: int = 256) -> Generator[str, None, Finish | None]:
        """The answer's text pieces. Returns why it stopped: "length" when cut at
        `max_tokens`, "stop" when it ended by itself, None when it cannot tell (the
        caller then measures the text with `count_tokens`)."""

    def sample(
        self, prompt: Prompt, n: int, max_tokens: int = 256, temperature: float = 0.8,
        seed: int = 0,
    ) -> list[str]:  # fmt: skip
        """`n` different answers by sampling, for a decoder that declares `samples`.

        The same `seed` gives the same answers; `temperature` > 0."""
        raise NotImplementedError(f"the {self.name} decoder does not sample")


@dataclass(frozen=True)
class Generated:
    """A whole answer as the decoder wrote it, and why it stopped."""

    text: str
    finish_reason: Finish


def finish_reason(decoder: Decoder, text: str, said: Finish | None, max_tokens: int) -> Finish:
    """What the decoder said, else "length" when `text` reaches `max_tokens` of its tokens."""
    if said is not None:
        return said
    return "length" if decoder.count_tokens(text) >= max_tokens else "stop"


def written(
    decoder: Decoder, prompt: Prompt, max_tokens: int = 256
) -> Generator[str, None, Generated]:
    """The decoder's pieces as it writes them; returns the whole text and why it stopped."""
    pieces: list[str] = []
    stream = decoder.stream(prompt, max_tokens=max_tokens)
    while True:
        try:
            piece = next(stream)
        except StopIteration as end:
            text = "".join(pieces)
            return Generated(text, finish_reason(decoder, text, end.value, max_tokens))
        pieces.append(piece)
        yield piece


def whole(pieces: Generator[str, None, Generated]) -> Generated:
    """What `written` (or `Grounder.generate`) returns, once every piece is written."""
    while True:
        try:
            next(pieces)
        except StopIteration as end:
            generated: Generated = end.value
            return generated
