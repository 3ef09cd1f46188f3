"""Word-level evidence features: how well each word of a claim is backed by the sources.

Shared by the learned scorer at run time and by `train/train_checker.py`, so training and
inference can never disagree about what a feature means. Pure Python and numpy: about a
millisecond per RAGTruth-size answer.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from grounding.core.text import STOPWORDS, sentence_spans, word_spans

__all__ = [
    "TOKEN_FEATURES",
    "Evidence",
    "TokenTable",
    "as_in_sources",
    "build_evidence",
    "citations",
    "token_features",
]

MAX_NGRAM = 6
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
    "fifteen": "15", "twenty": "20", "thirty": "30", "fifty": "50", "hundred": "100",
    "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "half": "0.5",
}  # fmt: skip
_SUFFIXES = ("ational", "ations", "ation", "ness", "ment", "ings", "ing", "ies", "ied", "ed",
             "es", "ly", "er", "s")  # fmt: skip
# Unit symbols and the words sources spell them with ("330 m" is "330 metres").
_UNITS: dict[str, tuple[str, ...]] = {
    "m": ("metres", "meters", "metre", "meter"), "km": ("kilometres", "kilometers", "kilometre",
    "kilometer"), "cm": ("centimetres", "centimeters"), "mm": ("millimetres", "millimeters"),
    "kg": ("kilograms", "kilogram", "kilos"), "ft": ("feet", "foot"), "mi": ("miles", "mile"),
    "lb": ("pounds", "pound"), "lbs": ("pounds", "pound"), "hr": ("hours", "hour"),
    "hrs": ("hours", "hour"), "min": ("minutes", "minute"), "mins": ("minutes", "minute"),
    "sec": ("seconds", "second"), "mph": ("miles",), "km/h": ("kilometres", "kilometers"),
}  # fmt: skip
_UNIT_OF: dict[str, set[str]] = {}
for _symbol, _words in _UNITS.items():
    _UNIT_OF.setdefault(_symbol, set()).update(_words)
    for _word in _words:
        _UNIT_OF.setdefault(_word, set()).add(_symbol)
_FALSY = {False, None, "no", "none", "False", "false", "u'no'", "'no'", "u'none'", "'none'"}
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")

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


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude suffix-stripping stem: enough to match "prices" with "price"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def normalize_number(word: str) -> str | None:
    """ "1,000" -> "1000", "3.50" -> "3.5", "five" -> "5"; None when not a number."""
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    digits = word.replace(",", "")
    try:
        value = float(digits)
    except ValueError:
        return None
    return f"{value:g}"


@dataclass(frozen=True)
class Evidence:
    """What the sources say, indexed for fast look-ups; shared, so never changed after
    `build_evidence` makes it."""

    words: list[str]
    counts: Counter[str]
    stems: set[str]
    prefixes: set[str]
    numbers: set[str]
    ngrams: set[tuple[str, ...]]
    falsy_keys: set[str]
    truthy_keys: set[str]
    is_json: bool
    n_sources: int
    sentences: list[set[str]]  # stems of each source sentence
    sentence_source: list[int]  # 0-based source of each sentence


@dataclass
class TokenTable:
    """Word tokens of one answer's claims with a feature row each."""

    claim_index: np.ndarray  # (n,) which claim each token belongs to
    spans: list[tuple[int, int]]  # offsets within its claim
    words: list[str]
    features: np.ndarray  # (n, len(TOKEN_FEATURES)) float32


def _lower_words(text: str) -> list[str]:
    return [text[s:e].lower() for s, e in word_spans(text)]


def _json_keys(source: str) -> tuple[set[str], set[str]]:
    """Words of JSON keys whose value is false/none ("WiFi": "no") and of those that are true."""
    try:
        data = json.loads(source)
    except ValueError:
        return set(), set()
    falsy: set[str] = set()
    truthy: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                words = {w.lower() for w in _CAMEL.sub(" ", str(key)).split()}
                words |= {stem(w) for w in words}
                if isinstance(value, dict | list):
                    walk(value)
                elif value in _FALSY:
                    falsy.update(words)
                elif value is True:
                    truthy.update(words)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(data)
    return falsy - truthy, truthy


def build_evidence(sources: Sequence[str]) -> Evidence:
    """Index the sources once per answer.

    The last few source lists' indexes are kept: several answers checked against the same
    sources (RAGTruth's six models per source, a reward model's candidates) share one."""
    return _evidence(tuple(sources))


@functools.lru_cache(maxsize=4)
def _evidence(sources: tuple[str, ...]) -> Evidence:
    words: list[str] = []
    ngrams: set[tuple[str, ...]] = set()
    falsy: set[str] = set()
    truthy: set[str] = set()
    is_json = False
    sentences: list[set[str]] = []
    sentence_source: list[int] = []
    for number, source in enumerate(sources):
        before = len(sentences)
        sentences += [
            {stem(w) for w in _lower_words(source[a:b]) if w not in STOPWORDS}
            for a, b in sentence_spans(source)
        ]
        sentence_source += [number] * (len(sentences) - before)
        tokens = _lower_words(source)
        words.extend(tokens)
        for n in range(1, MAX_NGRAM + 1):
            ngrams.update(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
        if source.lstrip().startswith("{"):
            is_json = True
            f, t = _json_keys(source)
            falsy |= f
            truthy |= t
    numbers = {n for n in map(normalize_number, words) if n is not None}
    numbers |= {f"{float(n) - 12:g}" for n in numbers if _is_hour(n)}  # 21:00 -> 9 pm
    return Evidence(
        words=words,
        counts=Counter(words),
        stems={stem(w) for w in words},
        prefixes={w[:5] for w in words if len(w) >= 5},
        numbers=numbers,
        ngrams=ngrams,
        falsy_keys=falsy,
        truthy_keys=truthy,
        is_json=is_json,
        n_sources=len(sources),
        sentences=sentences,
        sentence_source=sentence_source,
    )


def _is_hour(number: str) -> bool:
    try:
        return 13 <= float(number) <= 24
    except ValueError:
        return False


def _supported(word: str, evidence: Evidence) -> bool:
    number = normalize_number(word)
    if number is not None and any(c.isdigit() for c in word):
        return number in evidence.numbers
    return word in evidence.counts or stem(word) in evidence.stems


def as_in_sources(word: str, evidence: Evidence) -> str:
    """A unit written as the sources spell it ("m" -> "metres" when they say metres)."""
    if word in evidence.counts:
        return word
    return next((a for a in sorted(_UNIT_OF.get(word, ())) if a in evidence.counts), word)


def _aligned(
    words: list[str], cont: list[bool], evidence: Evidence
) -> tuple[float, float, set[str], set[str]]:
    """Coverage of the claim's content stems by its best source sentence and its best three.

    A word found somewhere in the sources but not near the claim's other words is a sign of
    a conflict ("opens at 9" when 9 is the closing hour).
    """
    stems = {stem(w) for w, c in zip(words, cont, strict=True) if c}
    if not stems or not evidence.sentences:
        return 1.0, 1.0, stems, stems
    ranked = sorted(evidence.sentences, key=lambda s: -len(stems & s))[:3]
    top3: set[str] = set().union(*ranked)
    return len(stems & ranked[0]) / len(stems), len(stems & top3) / len(stems), ranked[0], top3


def citations(claim: str, evidence: Evidence, limit: int = 3) -> tuple[int, ...]:
    """1-based sources whose best sentence shares most of the claim's content words, best first."""
    stems = {stem(w) for w in _lower_words(claim) if w not in STOPWORDS}
    if not stems:
        return ()
    best: dict[int, int] = {}
    for sentence, source in zip(evidence.sentences, evidence.sentence_source, strict=True):
        best[source] = max(best.get(source, 0), len(stems & sentence))
    top = max(best.values(), default=0)
    if top == 0:
        return ()
    ranked = sorted((s for s, n in best.items() if n >= 0.5 * top), key=lambda s: (-best[s], s))
    return tuple(s + 1 for s in ranked[:limit])


def _match_lengths(words: list[str], evidence: Evidence) -> list[int]:
    """Per word: the longest n-gram (n <= MAX_NGRAM) around it found verbatim in the sources."""
    best = [0] * len(words)
    for i in range(len(words)):
        for n in range(MAX_NGRAM, 0, -1):
            if i + n <= len(words) and tuple(words[i : i + n]) in evidence.ngrams:
                for j in range(i, i + n):
                    best[j] = max(best[j], n)
                break
    return best


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
    supported = [[_supported(w, evidence) for w in words] for words in per_words]
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
        matches = _match_lengths(words, evidence)
        alignment = _aligned(words, cont, evidence)
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
