"""Candidate passages for the extractive decoder: clean sentences, no debris, no fragments.

A source chunk is split into sentences; each sentence becomes a passage after:

- debris is left out: headings (Markdown `#`, reST/setext underlines, and title lines
  standing alone, as HTML and PDF text gives them: "2. Enabling Foreign Key Support"),
  navigation (menus such as "Home | About | Download", "Skip to main content", "Back to
  top", "Next: ..., Previous: ...", page footers such as "This page was last modified
  on ..."), code-block lines (fenced or indented), table rules, header rows and badges,
  link-only or markup-only lines, and sentences with fewer than three words;
- a table row reads as a sentence led by its first cell ("| Default: | DirectoryIndex
  index.html |" is "Default: DirectoryIndex index.html."): reference tables hold facts;
- markup is removed: `[text](url)` becomes `text`, HTML tags, emphasis, reST
  ``literals``, bullets and line breaks go;
- a fragment gets its neighbour: a sentence that points back ("This is the
  default.") is joined to the sentence before it, and a lead-in that ends with a
  colon ("The ffi_type has the following members:") to the sentence after it; a
  lead-in to nothing usable (a list, a table, code) is left out ("There are 15 scalar
  functions listed below:"); a sentence too short to stand alone ("It had uid 37.", a
  list item "LIBFFI_TMPDIR.") joins the one before it in the same paragraph rather
  than being dropped;
- a sentence the chunk cut off ("... to benchmark the server within a", ending on a word
  no sentence ends with) is left out: the chunk after it holds it whole; so is a first
  sentence the chunk began inside ("updated rows according to ...", opening on a lower-case
  English word rather than a name such as "zgrep").

Indented lines are code only when they do not read as prose: manuals that indent
every paragraph ("is no longer created by default; they had uid/gid 41.") keep it.

A manual page's layout is read as such: a short label over text indented further is an
option or keyword joined to its description ("-a, --all: do not ignore entries starting
with .", "ProxyJump: Specifies ...") or, in capitals, a section heading ("NAME", "SEE
ALSO"); the text under a label, and a line that goes on with a long line's open sentence,
are prose whatever their symbols ("e.g., '--block-size=M'"); running headers and footers
("LS(1)   User Commands   LS(1)") are debris, and so is what stands under NAME (the page's
title line, "ls - list directory contents"), SYNOPSIS (its usage) and SEE ALSO (pointers to
other pages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from grounding.core.headings import BULLET as _BULLET
from grounding.core.headings import ENDS_SENTENCE, OPEN_ENDINGS, clean, sections_at, title_line
from grounding.core.headings import LINK as _LINK
from grounding.core.headings import TAG as _TAG
from grounding.core.headings import UNDERLINE as _UNDERLINE
from grounding.core.text import content_words, sentence_spans
from grounding.schema import Source

__all__ = ["Passage", "clean", "passages"]

_BACK_REFERENCE = re.compile(
    r"^(?:this|that|these|those|it|they|such|so|thus|then|otherwise|however|instead|here|"
    r"there|both|either|neither|the latter|the former|likewise)\b",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^\s*(```|~~~)")
_DIRECTIVE = re.compile(r"^\s*\.\. |^\s*:[\w-]+:")  # reST directives and field lists
_NAVIGATION = re.compile(r"^\s*(?:next|previous|prev|up|contents|index):\s", re.IGNORECASE)
# a manual's navigation bar cleaned into one sentence: "Next: Memory Usage , Previous: ..."
_NAVIGATION_BAR = re.compile(r"^(?:next|previous|prev|up):\s.*\b(?:previous|prev|up|next):\s", re.I)
# a menu or breadcrumb: three or more short items between | › » · • or " > "
_MENU = re.compile(r"^[^|›»·•]{1,30}(?:(?:\s*[|›»·•]\s*|\s+>\s+)[^|›»·•]{1,30}){2,}$")
_BOILERPLATE = re.compile(
    r"^\s*(?:skip to (?:main )?content|back to top|table of contents|contents|on this page|"
    r"edit (?:this page|on github)|show source|view (?:page )?source|print this page|"
    r"(?:previous|next) (?:page|topic|chapter|section)|"
    r"(?:this page was )?last (?:modified|updated|edited)\b[^.]{0,40}\d[^.]{0,20}\.?|"
    r"(?:copyright\s*)?(?:©|\(c\))\s*\d{4}.*|copyright\s+\d{4}.*|all rights reserved\.?)\s*$",
    re.IGNORECASE,
)
_BRACKETED = re.compile(r"^\s*\[[^\]]*\]\s*$")  # "[bug introduced in gzip-1.6]"
_LINK_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*\S")  # "[zlib]: https://www.zlib.net/"
_CODE_SIGNS = tuple(
    re.compile(p)
    for p in (
        r"[=!]=",
        r"\(&\w",
        r"[;{\\]\s*$",
        r"\w \*\w+\s*[;,)]",
        r"\w\s?\(\s*[&*]?\w+\s*,",
        r"##",
    )
)
_CODE_START = re.compile(r"^(?:if|for|while|switch|return)\s*\(")
_TABLE = re.compile(r"^\s*\|.*\|\s*$|^\s*[+|][-=+|:\s]+$")
_TABLE_RULE = re.compile(r"^\s*[+|][-=+|:\s]+$")  # "|---|---|", "+----+"
_CELL_BORDER = re.compile(r"(?<!\\)\|")  # a cell border; "\|" inside a cell is text
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# a manual page's running header or footer: three fields spread over the line, the last a
# page name ("LS(1)   User Commands   LS(1)", "GNU coreutils 9.1   September 2022   LS(1)")
# or the first again ("BSD   January 13, 2023   BSD")
_RUNNING_HEADER = re.compile(r"^\s*(\S(?:.*?\S)?)\s{3,}\S.*?\S\s{3,}(?:\1|\S+\(\d\w*\))\s*$")
_SECTION_LABEL = re.compile(r"^[A-Z][A-Z ]*[A-Z]$")  # a manual's section: "SEE ALSO"
# a manual's sections that are its title line, its usage and pointers to other pages
_FURNITURE = frozenset({"NAME", "SYNOPSIS", "SEE ALSO"})
_MAX_LABEL = 48
_MAX_WORDS = 80


@dataclass(frozen=True)
class Passage:
    """One answer candidate: clean text, the source it quotes, where it stands in it."""

    text: str
    source: int  # Source.index
    rank: int  # the source's position in the prompt (0 = best retrieved)
    position: int  # the sentence's position in the source
    heading: str = ""  # the nearest heading above it ("version 1.34 - ..., 2021-02-13")


def passages(sources: tuple[Source, ...] | list[Source]) -> list[Passage]:
    """Every usable passage of `sources`, in source order (see the module docstring)."""
    found: list[Passage] = []
    for rank, source in enumerate(sources):
        kept, headings, before_debris = _prose_sentences(source.text, source.section)
        if kept and kept[0] and _begun_before(kept[0]):
            kept[0] = None
        for i, sentence in enumerate(kept):
            if sentence is None:
                continue
            text = sentence
            previous = kept[i - 1] if i > 0 else None
            following = kept[i + 1] if i + 1 < len(kept) else None
            if _BACK_REFERENCE.match(text) and previous:
                text = f"{previous} {text}"
            if text.endswith(":"):  # a lead-in: only with what it introduces, never alone
                if not following or before_debris[i]:  # it introduces a list, table or code
                    continue
                text = f"{text} {following}"
            if len(text.split()) > _MAX_WORDS:
                text = " ".join(text.split()[:_MAX_WORDS]) + " …"
            found.append(Passage(text, source.index, rank, position=i, heading=headings[i]))
    return found


def _prose_sentences(text: str, section: str) -> tuple[list[str | None], list[str], list[bool]]:
    """Cleaned sentences of `text` (None where debris, kept for adjacency), their headings
    (those above them in `text`, else the `section` the text starts in), and whether debris
    was left out right after each."""
    blanked = _blank_debris(text)
    spans = sentence_spans(blanked)
    above = [found or section for found in sections_at(text, [start for start, _ in spans])]
    starts = [start for start, _ in spans[1:]] + [len(text)]
    before_debris = [
        text[end:after].strip() != blanked[end:after].strip()
        for (_, end), after in zip(spans, starts, strict=False)
    ]
    out: list[str | None] = []
    for number, (start, end) in enumerate(spans):
        sentence = clean(blanked[start:end])
        words = content_words(sentence)
        letters = sum(c.isalpha() for c in sentence)
        alphanumeric = sum(c.isalnum() for c in sentence)
        full = len(sentence.split()) >= 3 and len(words) >= 2
        prose = alphanumeric >= 0.6 * len(sentence) and letters >= 0.4 * len(sentence)
        prose = prose and not _reads_as_code(sentence) and not _NAVIGATION_BAR.match(sentence)
        cut = number == len(spans) - 1 and _cut_off(sentence)  # the chunk ended inside it
        out.append(sentence if full and prose and not cut else None)
        if full or _BRACKETED.match(sentence) or alphanumeric < 0.5 * len(sentence):
            continue
        kept = out[number - 1] if number else None  # a short tail joins the sentence before
        if kept and not _PARAGRAPH_BREAK.search(blanked, spans[number - 1][1], start):
            out[number - 1] = f"{kept} {sentence}"  # "It had uid 37.", "LIBFFI_TMPDIR."
    return out, above, before_debris


def _begun_before(sentence: str) -> bool:
    """A chunk's first sentence that began in the chunk before: it opens on a lower-case
    English word ("updated rows according to their index order", "who did not consider ..."),
    not on a name ("zgrep applied to ...", "libffi is ...") or a label ("games: ...",
    "mininterval : float")."""
    first = sentence.split()[0]
    label = sentence[len(first) :].lstrip().startswith(":")
    return first.isalpha() and first.islower() and first in _english_words() and not label


@cache
def _english_words() -> frozenset[str]:
    """The whole words of the packaged MiniLM vocabulary: English, not names like "zgrep"."""
    from grounding.backends.pair import MODEL_DIR

    return frozenset((MODEL_DIR / "vocab.txt").read_text(encoding="utf-8").split())


def _cut_off(sentence: str) -> bool:
    """A sentence that stops on a word no sentence ends with: "... the server within a"."""
    words = sentence.split()
    return bool(words) and words[-1].lower() in OPEN_ENDINGS and not ENDS_SENTENCE.search(sentence)


def _blank_debris(text: str) -> str:
    """`text` with debris lines blanked to spaces (so sentences do not run across them, and
    offsets stay those of `text`), and each definition term joined to its description by a
    colon in place of the line break ("-a, --all: do not ignore entries starting with .")."""
    lines = text.split("\n")
    keep = [True] * len(lines)
    term = [False] * len(lines)
    prose = [False] * len(lines)  # a line of prose, or the rest of its sentence
    in_fence = False
    described = -1  # the indent of the text under the last label: prose, whatever its symbols
    furniture = False  # under a manual's NAME, SYNOPSIS or SEE ALSO label
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            keep[i] = False
            continue
        following = lines[i + 1] if i + 1 < len(lines) else ""
        previous = lines[i - 1] if i and keep[i - 1] else ""  # after debris: a fresh start
        if line.strip() and _indent(line) < described:
            described, furniture = -1, False
        # prose whatever its symbols: a manual's description, or the rest of an open sentence
        carried = i > 0 and prose[i - 1] and _carries_on(lines[i - 1], line)
        known_prose = _indent(line) == described or carried
        if in_fence or _RUNNING_HEADER.match(line) or (furniture and line.strip()):
            keep[i] = False
        elif _TABLE.match(line) and not _TABLE_RULE.match(line):
            row = _table_row(line)  # a header row (over its rule) says nothing by itself
            keep[i] = row is not None and not _TABLE_RULE.match(following)
            lines[i] = row or line
        elif _indented_under(line, following):  # a manual's layout: a label over its text
            term[i] = not _SECTION_LABEL.match(line.strip())  # "NAME", "SEE ALSO": headings
            keep[i] = term[i]
            described = _indent(following)
            furniture = line.strip() in _FURNITURE
        elif _debris_line(line, prose=known_prose):
            keep[i] = False
        elif _UNDERLINE.match(following) and line.strip():
            keep[i] = False  # a setext or reST heading: the line above its underline
        elif following.strip() and title_line(line, previous, following):
            keep[i] = False  # a title on its own line, as HTML and PDF text gives headings
        prose[i] = keep[i] and (known_prose or _reads_as_prose(line.strip()))
    shown = [(line if ok else " " * len(line)) + (":" if joined else "\n")
             for line, ok, joined in zip(lines, keep, term, strict=True)]  # fmt: skip
    return "".join(shown)[:-1]


def _table_row(line: str) -> str | None:
    """A table row as a sentence of the same length, its first cell a label: "| Default: |
    DirectoryIndex index.html |" reads "Default: DirectoryIndex index.html."; None when
    fewer than two cells hold text."""
    cells = [c.strip() for c in _CELL_BORDER.split(line.strip().strip("|"))]
    cells = [c.replace("\\|", "|") for c in cells if c]
    if len(cells) < 2:
        return None
    head = cells[0] if cells[0].endswith(":") else cells[0] + ":"
    text = f"{head} {'; '.join(cells[1:])}"
    text += "" if ENDS_SENTENCE.search(text) else "."
    return text[: len(line)].ljust(len(line))  # offsets stay those of the text


def _indented_under(line: str, following: str) -> bool:
    """A short label that the next line, indented further, describes: a manual's option
    ("-a, --all", "--color[=WHEN]"), keyword ("ProxyJump") or section heading ("NAME", "SEE
    ALSO"). Not prose wrapped onto an indented line ("The directive specifies / how ...")."""
    label = line.strip()
    if not label or not following.strip() or len(label) > _MAX_LABEL or label[-1] in ".,;:":
        return False
    if _BULLET.match(line) or _BULLET.match(following):
        return False  # a list nested in a list
    words = label.split()
    labelled = label[0] in "-+%" or _SECTION_LABEL.match(label) or len(words) == 1
    return bool(labelled) and len(words) <= 6 and _indent(following) >= _indent(line) + 4


def _carries_on(previous: str, line: str) -> bool:
    """Whether `line` goes on with the sentence a long line of prose (`previous`) left open
    ("By default, numfmt will" / "stop at the first conversion error ...")."""
    return (
        bool(line.strip())
        and _indent(line) >= _indent(previous)
        and len(previous.split()) >= 8
        and not ENDS_SENTENCE.search(previous.rstrip())
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _debris_line(line: str, prose: bool = False) -> bool:
    """Whether `line` is debris; `prose`: it is known to be prose however many symbols it holds
    (a manual's description: "with -l, scale sizes by SIZE ...; e.g., '--block-size=M'")."""
    stripped = line.strip()
    if not stripped:
        return False
    if _UNDERLINE.match(line) or stripped.startswith("#") or _TABLE.match(line):
        return True
    if _NAVIGATION.match(line) or _BRACKETED.match(line) or _DIRECTIVE.match(line):
        return True
    if _BOILERPLATE.match(stripped) or _MENU.match(stripped):
        return True
    if _LINK_DEFINITION.match(line):
        return True
    if stripped.startswith(("$ ", ">>> ", "... ", "|")):
        return True
    if line.startswith(("    ", "\t")) and not prose and _looks_like_code(stripped):
        return True
    without = _TAG.sub("", _LINK.sub("", stripped)).strip(" -*|")
    return not any(c.isalpha() for c in without)  # badges, images, tags only


def _reads_as_code(sentence: str) -> bool:
    """A sentence of code that no blank line set apart: "if (f (&cif, 0) == FFI_OK)"."""
    signs = sum(bool(sign.search(sentence)) for sign in _CODE_SIGNS)
    return signs >= 2 or bool(_CODE_START.match(sentence))


def _looks_like_code(line: str) -> bool:
    if _reads_as_prose(line):
        return False  # indented prose: "is no longer created by default; they had uid/gid 41."
    symbols = sum(c in "{}();=<>[]$&|\\/*" for c in line)
    return symbols >= 2 or line.endswith((";", "{", "}", ")")) or "=" in line


def _reads_as_prose(line: str) -> bool:
    """Mostly plain words, at least four, no comment marker or statement end."""
    words = line.split()
    plain = sum(w.strip("()[],.;:!?'\"").isalpha() for w in words)
    return (
        plain >= 4
        and plain >= 0.75 * len(words)
        and not line.startswith(("/", "*", "#", "--"))
        and not line.endswith((";", "{", "}"))
        and "=" not in line
    )
