"""The word-overlap baseline: the share of a claim's content words found in the sources.

Kept as the yardstick every report compares to.
"""

from __future__ import annotations

from collections.abc import Sequence

from grounding.checking.base import ClaimScore, Scorer
from grounding.core.text import STOPWORDS, word_spans

__all__ = ["OverlapScorer"]


class OverlapScorer(Scorer):
    name = "overlap"
    description = "share of content words found in the sources (baseline)"

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        vocabularies = [_words(source) for source in sources]
        everything = set().union(*vocabularies) if vocabularies else set()
        return [self._score_one(claim, vocabularies, everything) for claim in claims]

    def _score_one(
        self, claim: str, vocabularies: list[set[str]], everything: set[str]
    ) -> ClaimScore:
        spans = [(s, e) for s, e in word_spans(claim) if claim[s:e].lower() not in STOPWORDS]
        if not spans:
            return ClaimScore(support=1.0)
        words = [claim[s:e].lower() for s, e in spans]
        missing = [span for span, word in zip(spans, words, strict=True) if word not in everything]
        hits = [sum(word in vocab for word in words) for vocab in vocabularies]
        citations = tuple(
            i + 1 for i in sorted(range(len(hits)), key=lambda i: -hits[i]) if hits[i] > 0
        )
        return ClaimScore(
            support=1.0 - len(missing) / len(words),
            citations=citations[:3],
            unsupported=tuple(missing),
        )


def _words(text: str) -> set[str]:
    return {text[s:e].lower() for s, e in word_spans(text)}
