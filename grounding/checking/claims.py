"""Splitting an answer into claims with character offsets."""

from __future__ import annotations

from grounding.text import sentence_spans, word_spans

__all__ = ["split_claims"]


def split_claims(answer: str) -> list[tuple[int, int]]:
    """(start, end) of each claim of `answer`: its sentences that hold at least one word.

    Citation markers like "[1]" are not words of their own claim.
    """
    return [
        (start, end)
        for start, end in sentence_spans(answer)
        if any(not answer[s:e].isdigit() for s, e in word_spans(answer[start:end]))
    ]
