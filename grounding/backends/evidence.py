"""Choose the evidence a pair model reads: the source units that share the most rare words with
a claim or a question, kept in source order, within a character budget.

Training (`train/pair_data.py`) and inference (`grounding.backends.pair`) call the same function,
so the model is measured on the inputs it was trained on.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from grounding.core.text import content_words, sentence_spans

__all__ = ["EVIDENCE_CHARS", "select_evidence", "sentences_of"]

# About 100 word-piece tokens of evidence: with a claim of up to ~25 tokens, one 128-token input.
EVIDENCE_CHARS = 420


def sentences_of(text: str) -> list[str]:
    """The sentences of `text` (or the text itself when it has none)."""
    return [text[s:e] for s, e in sentence_spans(text)] or ([text] if text.strip() else [])


def select_evidence(units: Sequence[str], target: str, budget: int = EVIDENCE_CHARS) -> str:
    """The units (sentences, record facts) that best match `target`, in their order, joined.

    Units are ranked by the rarity-weighted content words they share with `target` (inverse
    frequency over the units); ties keep source order. The best unit is always kept, cut to the
    budget; others are added while they fit.
    """
    if not units:
        return ""
    words = [set(content_words(u)) for u in units]
    frequency = Counter(w for unit in words for w in unit)
    idf = {w: math.log(1 + len(units) / f) for w, f in frequency.items()}
    wanted = set(content_words(target))
    # summed in sorted order: a set's order changes with the process's string hashing, and a
    # float sum with it, which broke ties differently from one run to the next
    score = [sum(idf[w] for w in sorted(words[i] & wanted)) for i in range(len(units))]
    ranked = sorted(range(len(units)), key=lambda i: (-score[i], i))
    chosen = [ranked[0]]
    used = len(units[ranked[0]])
    for i in ranked[1:]:
        if used + 1 + len(units[i]) <= budget:
            chosen.append(i)
            used += 1 + len(units[i])
        if budget - used < 40:
            break
    text = " ".join(units[i].strip() for i in sorted(chosen))
    return text[:budget] if len(chosen) == 1 else text
