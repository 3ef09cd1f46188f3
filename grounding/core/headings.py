"""Section headings of plain-text, Markdown and reST documents, and markup-free text.

`heading_lines` gives each line the path of headings it sits under; `sections_at` gives the
path at offsets, so a chunk that starts inside a section (a changelog entry below its version
heading) still knows which section it belongs to (`Chunk.section`).
"""

from __future__ import annotations

import bisect
import re

__all__ = [
    "LINK",
    "NUMBER_PREFIX",
    "OPEN_ENDINGS",
    "TAG",
    "UNDERLINE",
    "clean",
    "heading_lines",
    "sections_at",
    "title_line",
]

LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
TAG = re.compile(r"</?[A-Za-z][^>]*>")
MARKUP = re.compile(r"\*\*|__|``|`|\|[A-Za-z][\w-]*\|")
BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
HEADING_LINE = re.compile(
    r"^(?:#{1,6}\s+|\*{1,3}\s+|version\s+\d|release\s+\d|changes in\s)|^\S.*\d+\.\d+.*$",
    re.IGNORECASE,
)
UNDERLINE = re.compile(r"^\s*([=\-~^*#+`'\".:_])\1{2,}\s*$")
MARKED_HEADING = re.compile(r"^(?:#{1,6}\s+|\*{1,3}\s+)")
NUMBER_PREFIX = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.|[A-Z]\.)\s+")
ENDS_SENTENCE = re.compile(r"[.!?:;]['\"”’)]*$")
_ENDED = re.compile(r"[.!?;]['\"”’)]*$")  # a finished sentence (not a lead-in's colon)
# words a line broken inside a sentence ends on ("... first lit by" / "Anna Brask in 1874.")
OPEN_ENDINGS = frozenset(
    "a an the of by to in on at for with from and or but as is are was were be that which "
    "its their his her our your this these those than into onto via per".split()
)


def title_line(line: str, previous: str = "", following: str = "") -> bool:
    """A title standing on its own line ("2.3 Installing the package", "Foreign Key
    Constraints"): short, words rather than symbols, capitalised (in title case when longer
    than five words or holding a comma), no closing punctuation, after a finished sentence
    or a break (`previous`), not carried on by `following` in lower case, not ending on a
    word a broken sentence ends on."""
    text = " ".join(line.split())
    if text.endswith("¶"):  # a Sphinx or Docutils heading's permalink
        return True
    if following.strip()[:1].islower():
        return False
    if not text or len(text) > 70 or ENDS_SENTENCE.search(text) or text.endswith(","):
        return False
    body = NUMBER_PREFIX.sub("", text)
    words = body.split()
    if not body or not body[0].isupper() or not 1 <= len(words) <= 10:
        return False
    if words[-1].lower() in OPEN_ENDINGS:
        return False
    long_words = [word for word in words if len(word) > 3]
    title_case = sum(word[0].isupper() for word in long_words) >= 0.5 * len(long_words)
    if not title_case and (len(words) > 5 or "," in body):  # wrapped prose, not a title
        return False
    wordy = sum(ch.isalpha() or ch == " " for ch in body) / len(body)
    if wordy < 0.85:  # "50:text/x-diff:*.diff", figures, code
        return False
    before = previous.strip()
    return not before or bool(_ENDED.search(before)) or title_line(before)


def _sentence_line(line: str) -> bool:
    """A line of prose rather than a heading: long, or a finished sentence of several words
    ("This document describes the support added in SQLite version 3.6.19 (2009-10-14).")."""
    words = line.split()
    return len(words) > 12 or (len(words) >= 6 and line.rstrip().endswith((".", ",", ";")))


def clean(sentence: str) -> str:
    """The sentence without links, tags, emphasis, literals, bullets or line breaks."""
    text = LINK.sub(r"\1", sentence)
    text = TAG.sub(" ", text)
    text = MARKUP.sub("", text)
    text = BULLET.sub("", text)
    text = re.sub(r"\s*[:\-]{2,}\s*$", ".", text)  # "::" ending a reST sentence
    return " ".join(text.split())


def heading_lines(text: str) -> dict[int, str]:
    """For each line number, the headings above it, outermost first ("release 1.12
    (2022-04-07) › Bug fixes": a sub-heading keeps the version its section is under)."""
    open_: list[tuple[int, str]] = []  # (level, heading) of the sections the line is in
    found = {}
    lines = text.split("\n")
    for number, line in enumerate(lines):
        following = lines[number + 1] if number + 1 < len(lines) else ""
        top_level = line.strip() and not line.startswith((" ", "\t"))
        marked = MARKED_HEADING.match(line) or UNDERLINE.match(following)
        if top_level and (marked or (HEADING_LINE.match(line) and not _sentence_line(line))):
            marks = len(line) - len(line.lstrip("#*"))  # "##", "**": deeper; else level 1
            level = marks or (2 if following.strip()[:1] in ("-", "~", "^") else 1)
            while open_ and open_[-1][0] >= level:
                open_.pop()
            open_.append((level, clean(line.lstrip("#* ").rstrip(":"))))
        found[number] = " › ".join(heading for _, heading in open_)
    return found


def sections_at(text: str, offsets: list[int]) -> list[str]:
    """For each offset, the headings of the line that holds it, outermost first ("" for none)."""
    paths = heading_lines(text)
    breaks = [m.start() for m in re.finditer("\n", text)]
    return [paths.get(bisect.bisect_left(breaks, offset), "") for offset in offsets]
