"""Section headings of plain-text, Markdown and reST documents, and markup-free text.

`heading_lines` gives each line the path of headings it sits under; `sections_at` gives the
path at offsets, so a chunk that starts inside a section (a changelog entry below its version
heading) still knows which section it belongs to (`Chunk.section`).
"""

from __future__ import annotations

import bisect
import re

__all__ = ["LINK", "TAG", "UNDERLINE", "clean", "heading_lines", "sections_at"]

LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
TAG = re.compile(r"</?[A-Za-z][^>]*>")
MARKUP = re.compile(r"\*\*|__|``|`|\|[A-Za-z][\w-]*\|")
BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")
HEADING_LINE = re.compile(
    r"^(?:#{1,6}\s+|\*{1,3}\s+|version\s+\d|release\s+\d|changes in\s)|^\S.*\d+\.\d+.*$",
    re.IGNORECASE,
)
UNDERLINE = re.compile(r"^\s*([=\-~^*#+`'\".:_])\1{2,}\s*$")


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
        if top_level and (HEADING_LINE.match(line) or UNDERLINE.match(following)):
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
