"""What the sources of one answer say, indexed once for the word-level features: their words,
stems, numbers, n-grams, JSON keys and sentences (`Evidence`), and the look-ups the features
and the learned scorer make in it.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from grounding.core.text import STOPWORDS, sentence_spans, word_spans

__all__ = [
    "MAX_NGRAM",
    "Evidence",
    "aligned",
    "as_in_sources",
    "build_evidence",
    "citations",
    "is_supported",
    "lower_words",
    "match_lengths",
    "normalize_number",
    "stem",
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


def lower_words(text: str) -> list[str]:
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
            {stem(w) for w in lower_words(source[a:b]) if w not in STOPWORDS}
            for a, b in sentence_spans(source)
        ]
        sentence_source += [number] * (len(sentences) - before)
        tokens = lower_words(source)
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


def is_supported(word: str, evidence: Evidence) -> bool:
    number = normalize_number(word)
    if number is not None and any(c.isdigit() for c in word):
        return number in evidence.numbers
    return word in evidence.counts or stem(word) in evidence.stems


def as_in_sources(word: str, evidence: Evidence) -> str:
    """A unit written as the sources spell it ("m" -> "metres" when they say metres)."""
    if word in evidence.counts:
        return word
    return next((a for a in sorted(_UNIT_OF.get(word, ())) if a in evidence.counts), word)


def aligned(
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
    stems = {stem(w) for w in lower_words(claim) if w not in STOPWORDS}
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


def match_lengths(words: list[str], evidence: Evidence) -> list[int]:
    """Per word: the longest n-gram (n <= MAX_NGRAM) around it found verbatim in the sources."""
    best = [0] * len(words)
    for i in range(len(words)):
        for n in range(MAX_NGRAM, 0, -1):
            if i + n <= len(words) and tuple(words[i : i + n]) in evidence.ngrams:
                for j in range(i, i + n):
                    best[j] = max(best[j], n)
                break
    return best
