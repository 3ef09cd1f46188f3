"""Splitting an answer into claims with character offsets."""

from __future__ import annotations

from grounding.text import blank_citation_markers, sentence_spans, word_spans

__all__ = ["claim_texts", "split_claims"]


def split_claims(answer: str) -> list[tuple[int, int]]:
    """(start, end) of each claim of `answer`: its sentences that hold at least one word.

    Citation markers like "[1]" are not words of their own claim.
    """
    spans = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        if any(not sentence[s:e].isdigit() for s, e in word_spans(sentence)):
            spans.append((start, end))
    return spans


def claim_texts(answer: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Claim offsets and the text a scorer sees: citation markers blanked, length kept.

    Blanking (not deleting) keeps offsets within a claim equal to offsets in the answer.
    """
    spans = split_claims(answer)
    texts = [blank_citation_markers(answer[s:e]) for s, e in spans]
    return spans, texts
