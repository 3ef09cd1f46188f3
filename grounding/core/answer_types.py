"""What kind of answer a question asks for, and whether a text says it cannot answer.

Shared below the stages (like `text`): the extractive decoder uses it to prefer
passages that hold the asked-for kind of answer, the relevance score in
`checking` to mark answers without one.
"""

from __future__ import annotations

import re

from grounding.schema import CITATION_MARKER

__all__ = ["REFUSAL", "answer_type", "has_answer_type", "is_refusal", "named_terms", "unmentioned"]

REFUSAL = "The sources do not answer this question."
_REFUSALS = (
    "the sources do not answer",
    "no sources were found",
    "i don't know",
    "i do not know",
    "cannot answer",
)

_NUMBER = re.compile(  # a digit not inside a name ("Huff0", "LZ4"), or a number word
    r"(?<![A-Za-z_])\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twice|"
    r"dozens?|hundreds?|thousands?|millions?|billions?|single|double|half)\b",
    re.IGNORECASE,
)
# a year (1000-2099, "1313"), a date, a month, a decade ("the 1950s") or a century ("the 12th
# century", "17th-century")
_DATE = re.compile(
    r"\b(1\d\d\d|20\d\d)s?\b|\b\d{4}-\d\d-\d\d\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
    r"nov|dec)[a-z]*\b|\b\d{1,2}(?:st|nd|rd|th)[ -]centur",
    re.IGNORECASE,
)
_VERSION = re.compile(r"\b\d+\.\d+(?:\.\d+)*\b|\bv\d+\b")
# "when" asks for a point in time, which a clock time or a weekday gives as well as a date
# ("When does the ferry leave?" is answered by "at 7:15 and 16:40")
_TIME = re.compile(
    r"\b\d{1,2}:\d\d\b|\b\d{1,2} ?(?:am|pm|a\.m\.|p\.m\.)|\b(?:mon|tues|wednes|thurs|fri|"
    r"satur|sun)days?\b|\bdaily\b|\bevery (?:day|morning|evening|night)\b|\bnoon\b|\bmidnight\b",
    re.IGNORECASE,
)
_OPTION = re.compile(r"(?:^|\s|[\"'`(])--?[A-Za-z][\w-]*")
_ENV_VAR = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\$[A-Z_]+|\b[A-Z]{3,}\b")
# an identifier: snake_case, a call, a dotted name, a literal, or CamelCase ("SysLogHandler",
# "PQnotifies", "getLogger")
_CODE = re.compile(
    r"\b\w+_\w+\b|\w\(|\b\w+\.\w+\b|`[^`]+`|\b[A-Z]+[a-z]+[A-Z]\w*|\b[A-Z]{2,}[a-z]\w*|"
    r"\b[a-z]+[A-Z]\w*"
)
# a name: two capitalised words ("Elias Brandt"), or one inside the text ("... chancellor
# Baiju", "... by the City council"); the first word of a text may be capitalised anyway
_PERSON = re.compile(r"\b[A-Z][\w'’-]+ (?:[A-Z]\. )?[A-Z][\w'’-]+|(?<=[\s(\-])[A-Z][\w'’-]+")

# "which", "which tar", "what dpkg-deb", "what is the maximum", "what is the largest window"
_WHICH = r"\b(?:which|what) (?:(?:is|are|was|were) )?(?:(?:the|a|an) )?(?:[\w.+-]+ ){0,2}"
_PATH = re.compile(r"(?:^|[\s\"'`(=])~?/[\w.-]+")


def _asks(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# (question pattern, answer type, pattern the answer must hold), first match wins.
_TYPES: tuple[tuple[re.Pattern[str], str, re.Pattern[str]], ...] = (
    (_asks(_WHICH + r"(?:version|release)\b|\bsince when\b"), "version", _VERSION),
    (
        # "When was ...?", "... and when?"; not "Which ABI ... when preparing a call?", nor
        # "When I empty a table, what happens ...?" (a clause before the question)
        _asks(
            r"^\W*when\b(?![^?]*,\s*(?:what|which|who|how|where|why|is|are|does|do|can|will)\b)"
            r"|\band when\b|\bwhen\W*$|\bwhat (?:year|date|day)\b|\bin which year\b"
        ),
        "date",
        _asks(f"{_DATE.pattern}|{_VERSION.pattern}|{_TIME.pattern}"),
    ),
    (
        _asks(
            r"\bhow (?:many|much|long|big|large|fast|often|old)\b|"
            + _WHICH
            + r"(?:number|size|percentage|port|level|limit|ratio|count|amount|timeout|u?id|gid)"
            r"s?\b|"
            r"\bin (?:(?:nano|micro|milli)?seconds|minutes|hours|days|(?:kilo|mega|giga)?bytes|"
            r"percent)\b"
        ),
        "number",
        _NUMBER,
    ),
    (_asks(_WHICH + r"(?:option|flag|switch)\b"), "option", _OPTION),
    (_asks(_WHICH + r"(?:environment )?variable\b"), "variable", _ENV_VAR),
    (_asks(_WHICH + r"(?:directory|folder|path|login shell)\b"), "path", _PATH),
    (_asks(_WHICH + r"(?:function|method|class|macro|command|program)\b"), "code", _CODE),
    (_asks(r"^\s*who\b"), "person", _PERSON),
)


def answer_type(question: str) -> str | None:
    """The kind of answer `question` asks for (version, date, number, option, ...), or None."""
    asked = _asked(question)
    return asked[1] if asked else None


def has_answer_type(question: str, text: str) -> bool | None:
    """Whether `text` holds the kind of answer `question` asks for; None when it asks none.

    What the question itself names does not count: "Which function releases the memory
    that ffi_closure_alloc handed out?" is not answered by a sentence whose only
    function is ffi_closure_alloc, nor "How many bytes ... on x86-64?" by "x86-64"."""
    asked = _asked(question)
    if not asked:
        return None
    named = set(_words(question))
    for match in asked[2].finditer(text):
        start = text.rfind(" ", 0, match.start() + 1) + 1  # widened to whole words
        end = text.find(" ", max(match.end() - 1, match.start()))
        found = _words(text[start : end if end >= 0 else len(text)])
        if not found or any(word not in named for word in found):
            return True
    return False


def _words(text: str) -> list[str]:
    """Whitespace-separated words, lower case, without surrounding punctuation or `$`."""
    words = (w.strip("()[]{}<>.,;:!?'\"`*").lstrip("$").lower() for w in text.split())
    return [w for w in words if w]


def _asked(question: str) -> tuple[re.Pattern[str], str, re.Pattern[str]] | None:
    """The type whose asking phrase comes first in `question` ("Through which variable
    ... what level ...?" asks for a variable); on a tie, the first in `_TYPES`."""
    found = [(m.start(), i) for i, (p, _, _) in enumerate(_TYPES) if (m := p.search(question))]
    return _TYPES[min(found)[1]] if found else None


_MONTH_OR_DAY = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day",
    re.IGNORECASE,
)
_NAME_TOKEN = re.compile(r"[A-Za-z0-9_$][\w.$/+-]*(?<![.\-/])")


def named_terms(question: str) -> list[str]:
    """The terms of `question` that name one particular thing: numbers and versions
    ("1.35", "x86-64"), identifiers ("ffi_cif", "$ZSTD_BIN", "RISC-V") and capitalised
    names after the first word ("Windows", "Homebrew"). Plain words are not names."""
    found = []
    for match in _NAME_TOKEN.finditer(question):
        term = match.group().lstrip("$")
        tail = term[1:]
        if len(term) < 2 or _MONTH_OR_DAY.fullmatch(term):
            continue  # "I"; "July" names a time the sources may give as a range
        if (
            re.search(r"\d", term)
            or "_" in term
            or "." in term
            or tail != tail.lower()  # "RISC-V", "FFI", "macOS"
            or (match.start() > 0 and term[:1].isupper())
        ):
            found.append(term)
    return found


def unmentioned(question: str, texts: list[str]) -> list[str]:
    """The named terms of `question` (see `named_terms`) that no text in `texts` contains.

    Matching is lenient (case-insensitive substrings, a plural "s" dropped): a term is
    listed only when the texts surely never mention it, so sources that lack it cannot
    say anything about the particular thing the question names."""
    haystack = "\n".join(texts).lower()
    missing = []
    for term in named_terms(question):
        word = term.lower()
        if word in haystack or (word.endswith("s") and word[:-1] in haystack):
            continue
        missing.append(term)
    return missing


def is_refusal(answer: str) -> bool:
    """Whether `answer` says it cannot answer rather than answering."""
    text = " ".join(CITATION_MARKER.sub(" ", answer).lower().split())
    return not text or any(text.startswith(r) for r in _REFUSALS)
