"""Word-level evidence features: how well each word of a claim is backed by the sources.

Shared by the learned scorer at run time and by `train/train_checker.py`, so training and
inference can never disagree about what a feature means. Pure Python and numpy: about a
millisecond per RAGTruth-size answer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grounding.checking.scorers.learned.source_index import (
    Evidence,
    aligned,
    as_in_sources,
    is_supported,
    match_lengths,
    normalize_number,
    stem,
)
from grounding.core.text import STOPWORDS, word_spans

__all__ = ["TOKEN_FEATURES", "TokenTable", "token_features"]

TOKEN_FEATURES: tuple[str, ...] = (
    "is_stop", "is_number", "is_capital", "word_length", "in_source", "stem_in_source",
    "prefix_in_source", "log_source_count", "number_in_source", "prev_bigram", "next_bigram",
    "trigram", "match_length", "window3_cover", "window6_cover", "claim_cover",
    "claim_number_cover", "claim_words", "claim_position", "claim_is_first", "answer_cover",
    "answer_claims", "json_source", "n_sources", "log_source_words", "falsy_key",
    "truthy_key", "position_in_claim", "distance_to_missing", "claim_missing",
    "word_prior", "best_sentence_cover",
    "top3_sentence_cover", "in_best_sentence", "in_top3_sentences",
)  # fmt: skip


@dataclass
class TokenTable:
    """Word tokens of one answer's claims with a feature row each."""

    claim_index: np.ndarray  # (n,) which claim each token belongs to
    spans: list[tuple[int, int]]  # offsets within its claim
    words: list[str]
    features: np.ndarray  # (n, len(TOKEN_FEATURES)) float32


def token_features(
    claims: Sequence[str],
    evidence: Evidence,
    word_prior: dict[str, float] | None = None,
) -> TokenTable:
    """One feature row per word token of every claim (claims of one answer, in order).

    `word_prior` holds the learned log-odds that a word lies in an unsupported span, relative
    to the base rate (e.g. "passage" is usually harmless).
    """
    per_claim = [word_spans(claim) for claim in claims]
    per_words = [
        [as_in_sources(c[s:e].lower(), evidence) for s, e in spans]
        for c, spans in zip(claims, per_claim, strict=True)
    ]
    supported = [[is_supported(w, evidence) for w in words] for words in per_words]
    content = [[w not in STOPWORDS for w in words] for words in per_words]
    answer_total = sum(sum(flags) for flags in content) or 1
    answer_cover = (
        sum(
            s and c
            for sw, cw in zip(supported, content, strict=True)
            for s, c in zip(sw, cw, strict=True)
        )
        / answer_total
    )
    log_source_words = math.log1p(len(evidence.words))
    rows: list[list[float]] = []
    claim_index: list[int] = []
    spans: list[tuple[int, int]] = []
    words_out: list[str] = []
    prior = word_prior or {}
    for k, (claim, words) in enumerate(zip(claims, per_words, strict=True)):
        sup, cont = supported[k], content[k]
        n_content = sum(cont) or 1
        claim_cover = sum(s and c for s, c in zip(sup, cont, strict=True)) / n_content
        numbers = [i for i, w in enumerate(words) if any(ch.isdigit() for ch in w)]
        number_cover = sum(sup[i] for i in numbers) / len(numbers) if numbers else 1.0
        missing = [i for i in range(len(words)) if cont[i] and not sup[i]]
        matches = match_lengths(words, evidence)
        alignment = aligned(words, cont, evidence)
        claim_context = _ClaimContext(
            words=words,
            claim=claim,
            supported=sup,
            content=cont,
            matches=matches,
            missing=missing,
            claim_cover=claim_cover,
            number_cover=number_cover,
            position=k,
            n_claims=len(claims),
            alignment=alignment,
        )
        for i, word in enumerate(words):
            start, end = per_claim[k][i]
            row = _row(i, start, claim_context, evidence, answer_cover, log_source_words)
            row["word_prior"] = prior.get(word, 0.0)
            rows.append([row[name] for name in TOKEN_FEATURES])
            claim_index.append(k)
            spans.append((start, end))
            words_out.append(word)
    features = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(TOKEN_FEATURES))
    return TokenTable(np.asarray(claim_index, dtype=np.int64), spans, words_out, features)


def _window_cover(i: int, radius: int, sup: list[bool], cont: list[bool]) -> float:
    lo, hi = max(0, i - radius), min(len(sup), i + radius + 1)
    total = sum(cont[lo:hi])
    return (
        sum(s and c for s, c in zip(sup[lo:hi], cont[lo:hi], strict=True)) / total if total else 1.0
    )


@dataclass
class _ClaimContext:
    """What every word row of one claim shares."""

    words: list[str]
    claim: str
    supported: list[bool]
    content: list[bool]
    matches: list[int]
    missing: list[int]
    claim_cover: float
    number_cover: float
    position: int
    n_claims: int
    alignment: tuple[float, float, set[str], set[str]]


def _row(
    i: int,
    start: int,
    c: _ClaimContext,
    evidence: Evidence,
    answer_cover: float,
    log_source_words: float,
) -> dict[str, float]:
    """The features of word `i` of a claim, by name (all of TOKEN_FEATURES but word_prior)."""
    words, word = c.words, c.words[i]
    number = normalize_number(word) if any(ch.isdigit() for ch in word) else None
    distance = min((abs(i - j) for j in c.missing), default=50)
    ngrams = evidence.ngrams
    return {
        "is_stop": float(word in STOPWORDS),
        "is_number": float(number is not None),
        "is_capital": float(c.claim[start].isupper() and i > 0),
        "word_length": float(min(len(word), 20)),
        "in_source": float(word in evidence.counts),
        "stem_in_source": float(stem(word) in evidence.stems),
        "prefix_in_source": float(word[:5] in evidence.prefixes)
        if len(word) >= 5
        else float(word in evidence.counts),
        "log_source_count": math.log1p(evidence.counts.get(word, 0)),
        "number_in_source": float(number in evidence.numbers) if number is not None else -1.0,
        "prev_bigram": float(i > 0 and (words[i - 1], word) in ngrams),
        "next_bigram": float(i + 1 < len(words) and (word, words[i + 1]) in ngrams),
        "trigram": float(0 < i < len(words) - 1 and (words[i - 1], word, words[i + 1]) in ngrams),
        "match_length": float(c.matches[i]),
        "window3_cover": _window_cover(i, 3, c.supported, c.content),
        "window6_cover": _window_cover(i, 6, c.supported, c.content),
        "claim_cover": c.claim_cover,
        "claim_number_cover": c.number_cover,
        "claim_words": float(min(len(words), 80)),
        "claim_position": c.position / max(c.n_claims - 1, 1),
        "claim_is_first": float(c.position == 0),
        "answer_cover": answer_cover,
        "answer_claims": float(c.n_claims),
        "json_source": float(evidence.is_json),
        "n_sources": float(evidence.n_sources),
        "log_source_words": log_source_words,
        "falsy_key": float(stem(word) in evidence.falsy_keys or word in evidence.falsy_keys),
        "truthy_key": float(stem(word) in evidence.truthy_keys or word in evidence.truthy_keys),
        "position_in_claim": i / max(len(words) - 1, 1),
        "distance_to_missing": float(min(distance, 50)),
        "claim_missing": float(len(c.missing)),
        "best_sentence_cover": c.alignment[0],
        "top3_sentence_cover": c.alignment[1],
        "in_best_sentence": float(stem(word) in c.alignment[2]),
        "in_top3_sentences": float(stem(word) in c.alignment[3]),
    }
