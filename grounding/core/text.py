"""Text helpers shared by every stage: sentence spans and word tokens with offsets.

Kept below the stages (like `schema`) because retrieval, generation and checking
all need the same notion of a sentence and a word.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from grounding.schema import CITATION_MARKER

__all__ = [
    "STOPWORDS",
    "blank_citation_markers",
    "content_words",
    "escape_for_prompt",
    "has_control_characters",
    "looks_like_instructions",
    "one_line",
    "printable",
    "question_weights",
    "sentence_spans",
    "weighted_share",
    "word_spans",
]

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "inc", "ltd", "co", "corp",
    "no", "fig", "e.g", "i.e", "cf", "al", "approx", "dept", "est", "gen", "gov", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "u.s",
    "u.k", "a.m", "p.m", "vol", "ed", "rev", "lt", "col", "capt", "sgt",
}  # fmt: skip

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace,
# or at a line break that starts a new line (lists, headings).
_BOUNDARY = re.compile(r"""[.!?]+["'”’)\]]*(?=\s)|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)""")
_LIST_NUMBER = re.compile(r"(?:^|\n)[ \t]*\d{1,3}\.$")  # "2." opening a list item
_WORD = re.compile(r"\w+(?:[.,'’-]\w+)*", re.UNICODE)

STOPWORDS = frozenset(
    """a an the and or but if then so of to in on at by for with from as is are was were be been
    being it its this that these those there here which who whom whose what when where why how
    i you he she we they me him her us them my your his our their not no nor do does did done
    has have had having can could will would shall should may might must also just than too very
    into onto over under about after before between through during up down out off again further
    once all any both each few more most other some such only own same s t don now""".split()
)


_ABBREVIATION_END = re.compile(r"([\w.]+)\.$")
# How far back from a full stop the abbreviation test looks. A run of word characters and
# dots longer than this is neither a listed abbreviation nor an initial however it is cut,
# so the answer is the same as looking back to the start of the text (which made splitting
# a long text quadratic).
_ABBREVIATION_WINDOW = 32


def _ends_with_abbreviation(text: str, end: int) -> bool:
    match = _ABBREVIATION_END.search(text, max(0, end - _ABBREVIATION_WINDOW), end)
    if not match:
        return False
    word = match.group(1).lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, trimmed of surrounding whitespace.

    Does not split inside decimals ("3.5"), after common abbreviations ("Dr.",
    "e.g."), single initials ("J. Smith") or list numbers ("2. Rinse"), and treats
    list items and blank lines as boundaries.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        if match.group().startswith(".") and (
            _ends_with_abbreviation(text, match.start() + 1)
            or _ends_list_number(text, match.start() + 1)
        ):
            continue
        _append_trimmed(text, start, end, spans)
        start = end
    _append_trimmed(text, start, len(text), spans)
    return spans


def _ends_list_number(text: str, end: int) -> bool:
    """Whether `text[:end]` ends with a list number ("2." alone at the start of a line).

    Such a match starts at the text's start or at its last line break before `end`, so the
    search starts there instead of scanning the whole text again for every full stop."""
    return _LIST_NUMBER.search(text, max(0, text.rfind("\n", 0, end)), end) is not None


def _append_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word token; numbers like 3.5 or 1,000 stay one token."""
    return [m.span() for m in _WORD.finditer(text)]


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning (stopwords dropped)."""
    words = (text[s:e].lower() for s, e in word_spans(text))
    return [w for w in words if w not in STOPWORDS]


def question_weights(question: str, candidates: Sequence[set[str]]) -> dict[str, float]:
    """Each content word of the question weighted by its rarity among the candidates' words."""
    count = len(candidates)
    return {
        word: math.log(1 + count / (1 + sum(word in words for words in candidates)))
        for word in set(content_words(question))
    }


def weighted_share(words: set[str], weight: Mapping[str, float]) -> float:
    """The share of the question's weight (`question_weights`) that `words` hold."""
    return sum(weight.get(w, 0.0) for w in words) / (sum(weight.values()) or 1.0)


def blank_citation_markers(text: str) -> str:
    """`text` with each citation marker replaced by spaces, so offsets stay the same."""
    return CITATION_MARKER.sub(lambda m: " " * len(m.group()), text)


_INSTRUCTION_PATTERNS = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:instructions?|prompts?|rules|context)\b"
    r"|\b(?:you are now|new instructions|system prompt|as an ai (?:language )?model)\b"
    r"|\b(?:respond|reply|answer) (?:only )?with\b"
    r"|\bdo not (?:cite|mention|tell)\b",
    re.IGNORECASE,
)


def looks_like_instructions(text: str) -> bool:
    """True when text reads like orders to a language model (a prompt injection).

    A heuristic for flagging, not a filter: flagged text is still evidence,
    fenced as data in the prompt; the flag lets users see who tried what.
    """
    return _INSTRUCTION_PATTERNS.search(text) is not None


# & first, so the entities written for the others are not escaped twice.
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
# NFKC maps these to < or > (fullwidth, small form); the rest look like angle brackets.
_LOOKALIKES = (
    "\uff1c\uff1e\ufe64\ufe65"  # fullwidth, small form: NFKC gives < >
    "\u2039\u203a\u2329\u232a\u3008\u3009\u27e8\u27e9\u276e\u276f\u02c2\u02c3\u1438\u1433"
)
_ESCAPED = re.compile("[" + re.escape("".join(_ESCAPES)) + _LOOKALIKES + "]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape_for_prompt(text: str) -> str:
    """`text` safe to interpolate into a prompt: no character of it can form a tag.

    `&<>"` become XML entities and angle-bracket look-alikes numeric character
    references; control characters other than tab and newline are dropped.
    """
    text = _CONTROL.sub("", text)
    return _ESCAPED.sub(lambda m: _ESCAPES.get(m.group(), f"&#x{ord(m.group()):X};"), text)


# Terminal escape sequences, whole: CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \\),
# other ESC-introduced strings (DCS, SOS, PM, APC; an unterminated one ends at the line)
# and two-character escapes; the 8-bit introducers too.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]P^_X]|[\x9d\x90\x9e\x9f\x98])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -~]?"
)
# C0 and C1 controls, DEL, Unicode line and paragraph separators, and the bidirectional
# overrides and isolates that make a terminal show text in another order than it is.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
_KEPT_IN_TEXT = frozenset("\n\t")


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a control character, line break or bidirectional override."""
    return _UNPRINTABLE.search(text) is not None


def printable(text: str) -> str:
    """`text` safe to print to a terminal or a log: escape sequences and control
    characters removed (whole sequences, so `ESC ] 0 ; title BEL` leaves nothing);
    newlines and tabs are kept."""
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _UNPRINTABLE.sub(lambda m: m.group() if m.group() in _KEPT_IN_TEXT else "", text)


def one_line(text: str) -> str:
    """`text` as one printable line: line breaks (CR included) become spaces, then
    `printable`, then tabs become spaces. For titles, names and paths in output lines."""
    return printable(_LINE_BREAKS.sub(" ", _ESCAPE_SEQUENCE.sub("", text))).replace("\t", " ")
