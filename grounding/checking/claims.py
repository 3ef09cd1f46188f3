"""Splitting an answer into claims with character offsets."""

from __future__ import annotations

from grounding.core.text import blank_citation_markers, sentence_spans, word_spans

__all__ = ["claim_texts", "split_claims"]


def split_claims(answer: str) -> list[tuple[int, int]]:
    """(start, end) of each claim of `answer`: its sentences that hold at least one word.

    Citation markers like "[1]" are not words of their own claim. A sentence of numbers
    alone is a claim when it is cited or is the whole answer ("142 [1]." answers "how many
    steps"); otherwise it is a list's number ("2." between two steps), not a claim.
    """
    sentences = sentence_spans(answer)
    spans = []
    for start, end in sentences:
        sentence = answer[start:end]
        blanked = blank_citation_markers(sentence)
        words = [blanked[s:e] for s, e in word_spans(blanked)]
        numbers_only = all(word.isdigit() for word in words)
        if words and (not numbers_only or blanked != sentence or len(sentences) == 1):
            spans.append((start, end))
    return spans


def claim_texts(answer: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Claim offsets and the text a scorer sees: citation markers blanked, length kept.

    Blanking (not deleting) keeps offsets within a claim equal to offsets in the answer.
    """
    spans = split_claims(answer)
    texts = [blank_citation_markers(answer[s:e]) for s, e in spans]
    return spans, texts
