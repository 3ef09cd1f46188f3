"""Clean answer candidates: no headings, list lead-ins, navigation or page furniture in the
passages the extractive decoder draws from; wrapped prose and definitions stay whole."""

from __future__ import annotations

from grounding.generation.decoders.extractive.passages import passages
from grounding.schema import Source


def _texts(text: str, section: str = "") -> list[str]:
    source = Source(
        index=1, title="doc", uri="doc.html", text=text, origin="local", section=section
    )
    return [passage.text for passage in passages([source])]


# what trafilatura leaves of an HTML manual page: one paragraph or heading per line
FOREIGN_KEYS = """Home | About | Documentation | Download | License | Support
Skip to main content
SQLite Foreign Key Support
1. Introduction to Foreign Key Constraints
SQL foreign key constraints are used to enforce "exists" relationships between tables.
This document describes the support for SQL foreign key constraints introduced in SQLite version 3.6.19 (2009-10-14).
2. Enabling Foreign Key Support
Foreign key constraints are disabled by default, for backwards compatibility.
Back to top
This page was last modified on 2024-01-02 13:06:30 UTC
Copyright © 2024 Hipp, Wyrick & Company, Inc.
"""  # noqa: E501 - a page's lines as they are


def test_headings_and_navigation_are_not_glued_to_sentences() -> None:
    texts = _texts(FOREIGN_KEYS)
    assert (
        'SQL foreign key constraints are used to enforce "exists" relationships between tables.'
        in texts
    )
    assert "Foreign key constraints are disabled by default, for backwards compatibility." in texts
    joined = " ".join(texts)
    for debris in (
        "Introduction to Foreign",
        "Enabling Foreign Key Support",
        "Skip to",
        "Home",
        "Back to top",
        "last modified",
        "Copyright",
        "SQLite Foreign Key",
    ):
        assert debris not in joined, debris


def test_a_prose_sentence_with_a_version_is_no_heading() -> None:
    source = Source(index=1, title="doc", uri="doc.html", text=FOREIGN_KEYS, origin="local")
    headings = {passage.heading for passage in passages([source])}
    assert not any("This document describes" in heading for heading in headings)


def test_a_list_lead_in_does_not_stand_alone() -> None:
    functions = (
        "Core Functions\n"
        "There are 15 scalar functions listed below:\n\n"
        "| abs(X) | changes() | char(X1,X2,...,XN) |\n"
        "| coalesce(X,Y,...) | glob(X,Y) | hex(X) |\n\n"
        "The abs(X) function returns the absolute value of the numeric argument X.\n"
    )
    texts = _texts(functions)
    assert texts == ["The abs(X) function returns the absolute value of the numeric argument X."]
    options = "The pip install command has these options:\n\n    --user\n    --upgrade=VALUE\n"
    assert _texts(options) == []


def test_a_lead_in_stays_with_the_sentence_it_introduces() -> None:
    members = (
        "Data type: ffi_type: The ffi_type has the following members:\n"
        "size_t size: This is set by libffi; you should initialize it to zero.\n"
    )
    assert any(
        text.startswith(
            "Data type: ffi_type: The ffi_type has the following members: "
            "size_t size: This is set by libffi"
        )
        for text in _texts(members)
    )


def test_wrapped_prose_and_short_paragraph_lines_are_not_taken_for_titles() -> None:
    wrapped = (
        "libffi does not have direct support for arrays or unions.\n"
        "To emulate an array, simply create an ffi_type using\n"
        "FFI_TYPE_STRUCT with as many members as there are elements in\n"
        "the array.\n"
    )
    assert (
        "To emulate an array, simply create an ffi_type using FFI_TYPE_STRUCT with as many "
        "members as there are elements in the array."
    ) in _texts(wrapped)
    built = "The lighthouse keeper's cottage was built by\nAnna Brask in 1874 from local stone.\n"
    assert _texts(built) == [
        "The lighthouse keeper's cottage was built by Anna Brask in 1874 from local stone."
    ]


def test_a_chunk_of_nothing_but_navigation_gives_no_passage() -> None:
    assert _texts("Home | About | Download | Contact\nSkip to main content\n") == []
    assert _texts("") == []


# a manual page as groff renders it: running header and footer, section labels, options over
# their indented descriptions (one with '=' that reads like code), a keyword over its text
MANUAL = """LS(1)                            User Commands                            LS(1)

NAME
       ls - list directory contents

SYNOPSIS
       ls [OPTION]... [FILE]...

DESCRIPTION
       -a, --all
              do not ignore entries starting with .

       --block-size=SIZE
              with -l, scale sizes by SIZE when printing them; e.g., '--block-size=M'; see
              SIZE format below

       ProxyJump
              Specifies one or more jump proxies as either [user@]host[:port] or an ssh URI.

SEE ALSO
       Full documentation <https://www.gnu.org/software/coreutils/ls>
       or available locally via: info '(coreutils) ls invocation'

GNU coreutils 9.1                  September 2022                             LS(1)
"""


def test_a_manual_keeps_each_option_with_its_description_and_drops_its_page_furniture() -> None:
    texts = _texts(MANUAL)
    assert "-a, --all: do not ignore entries starting with ." in texts
    assert (
        "--block-size=SIZE: with -l, scale sizes by SIZE when printing them; "
        "e.g., '--block-size=M'; see SIZE format below" in texts
    )
    assert any(t.startswith("ProxyJump: Specifies one or more jump proxies") for t in texts)
    joined = " ".join(texts)
    for debris in ("LS(1)", "User Commands", "September 2022", "DESCRIPTION", "NAME",
                   "list directory contents", "[FILE]", "Full documentation", "info"):  # fmt: skip
        assert debris not in joined


def test_prose_wrapped_onto_an_indented_line_is_not_a_label() -> None:
    text = "The BrotliAlterETag directive specifies\n    how the ETag header should be altered.\n"
    assert _texts(text) == [
        "The BrotliAlterETag directive specifies how the ETag header should be altered."
    ]


def test_a_manual_sentence_wrapped_onto_a_line_with_symbols_stays_whole() -> None:
    text = (
        "Exit status is 0 if all input numbers were converted.  By default, numfmt will\n"
        "       stop at the first conversion error with exit status 2.  With --invalid='fail' a\n"
        "       warning is printed for each conversion error.\n"
    )
    assert _texts(text) == [
        "Exit status is 0 if all input numbers were converted.",
        "By default, numfmt will stop at the first conversion error with exit status 2.",
        "With --invalid='fail' a warning is printed for each conversion error.",
    ]


def test_a_sentence_the_chunk_cut_off_is_no_passage() -> None:
    """A chunk can end inside a sentence ("... within a"): that fragment is not an answer."""
    text = (
        "-t timelimit: Maximum number of seconds to spend for benchmarking. This implies a\n"
        "    -n 50000 internally. Use this to benchmark the server within a"
    )
    texts = _texts(text)
    assert "-t timelimit: Maximum number of seconds to spend for benchmarking." in texts
    assert not any("benchmark the server" in t for t in texts)


def test_a_sentence_the_chunk_began_inside_is_no_passage() -> None:
    """A chunk can begin inside a sentence: when its first word is a lower-case English
    word, that first sentence is a fragment; a lower-case name or label starts a sentence."""
    for chunk in (
        "who did not consider the Yuan a dynasty. Kublai Khan founded it in 1271.",
        "updated rows according to their index order. Kublai Khan founded it in 1271.",
    ):
        assert _texts(chunk) == ["Kublai Khan founded it in 1271."]  # fmt: skip
    for whole in (
        "zgrep applied to a crafted file name can no longer overwrite a file.",
        "mininterval : float, optional Minimum progress display update interval.",
    ):
        assert _texts(whole) == [whole]  # fmt: skip


def test_a_table_row_reads_as_a_labelled_sentence() -> None:
    """Reference tables hold facts (a directive's default, a type's size): each row is a
    sentence led by its first cell; the header row and the rules are not."""
    text = (
        "| Syntax: | DirectoryIndex disabled \\| local-url |\n"
        "| Default: | DirectoryIndex index.html |\n\n"
        "| Name | Storage Size | Description |\n"
        "|---|---|---|\n"
        "| boolean | 1 byte | state of true or false |\n"
    )
    assert _texts(text) == [
        "Syntax: DirectoryIndex disabled | local-url.",
        "Default: DirectoryIndex index.html.",
        "boolean: 1 byte; state of true or false.",
    ]


def test_a_line_that_ends_in_a_permalink_mark_is_a_heading() -> None:
    """Sphinx and Docutils pages (the Python manual) end each heading with a "¶" link."""
    text = (
        "sched — Event scheduler¶\n"
        "The sched module defines a class which implements a general purpose event scheduler.\n"
    )
    assert _texts(text) == [
        "The sched module defines a class which implements a general purpose event scheduler."
    ]
