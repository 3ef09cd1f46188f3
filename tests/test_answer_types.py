"""Answer types: the kind a question asks for, and values the question does not name itself."""

from __future__ import annotations

import pytest

from grounding.core.answer_types import answer_type, has_answer_type
from grounding.generation.decoders.extractive.passages import passages
from grounding.schema import Source


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is the maximum number of arguments ffi_call accepts?", "number"),
        ("What is the largest window size zstd supports?", "number"),
        ("Which uid did the operator user have?", "number"),
        ("What is the default value of SYSTEMD_BUS_TIMEOUT in seconds?", "number"),
        ("What is the login shell of the sync user?", "path"),
        ("Which directory holds the spool files?", "path"),
        ("What does tar's --clamp-mtime option do to --mtime?", None),  # asks what it does
    ],
)
def test_the_asked_kind_is_found_after_is_the_and_adjectives(question: str, kind: str) -> None:
    assert answer_type(question) == kind


def test_a_value_the_question_names_does_not_answer_it() -> None:
    frees = "Which function releases the memory that ffi_closure_alloc handed out?"
    assert has_answer_type(frees, "ffi_closure_alloc (size): allocate a chunk.") is False
    assert has_answer_type(frees, "Free it with ffi_closure_free.") is True
    size = "How many bytes does a ffi_closure object take on x86-64?"
    assert has_answer_type(size, "Closures on x86-64 are allocated specially.") is False
    assert has_answer_type(size, "On x86-64 a closure takes 48 bytes.") is True
    released = "When was gzip 1.12 released?"
    assert has_answer_type(released, "release 1.12 [stable]") is False
    assert has_answer_type(released, "release 1.12 (2022-04-07) [stable]") is True
    assert has_answer_type("Is it thread-safe?", "It is.") is None  # asks no kind


USERS = Source(
    index=1,
    title="users and groups",
    uri="users-and-groups.txt",
    text="   sync\n"
    "          The shell of user sync is /bin/sync. Thus, if its\n"
    '          password is set to something easy to guess (such as ""),\n'
    "          anyone can sync the system at the console.\n\n"
    "   operator\n"
    "          In Debian the operator user is no longer created by default.\n"
    "          It had uid 37.\n\n"
    "          Short.\n",
    origin="local",
)


def test_indented_prose_is_not_taken_for_code_and_short_tails_stay() -> None:
    texts = [p.text for p in passages([USERS])]
    assert any(t.endswith("The shell of user sync is /bin/sync.") for t in texts)
    assert any('(such as ""), anyone can sync the system' in t for t in texts)
    assert any(t.endswith("no longer created by default. It had uid 37.") for t in texts)
    assert not any("Short." in t for t in texts)  # after a blank line: nothing to join


def test_code_lines_are_still_left_out() -> None:
    code = Source(
        index=1,
        title="example",
        uri="example.html",
        text="Call it like this:\n\n    if (ffi_prep_cif (&cif, abi, 0, rtype, NULL) == FFI_OK)\n"
        "      ffi_call (&cif, fn, &result, values);\n",
        origin="local",
    )
    assert not any("ffi_call (&cif" in p.text for p in passages([code]))


GZIP = Source(
    index=1,
    title="gzip NEWS",
    uri="gzip-NEWS.txt",
    text="** Changes in behavior\n\n"
    "  Compressed gzip output no longer contains the current time as a\n"
    "  timestamp when the input is not a regular file.  Instead, the output\n"
    "  contains a null (zero) timestamp.  This makes gzip's behavior more\n"
    "  reproducible when used as part of a pipeline.\n",
    origin="local",
)


@pytest.mark.slow
def test_the_best_sentence_keeps_the_sentence_that_continues_it() -> None:
    from grounding.generation.base import whole, written
    from grounding.generation.decoders import get_decoder
    from grounding.generation.prompt import build_prompt

    question = "What timestamp does gzip put in its output when the input is not a regular file?"
    decoder = get_decoder("extractive")
    answer = whole(
        written(decoder, build_prompt(question, [GZIP], decoder.count_tokens, 4000))
    ).text
    assert "null (zero) timestamp" in answer
    assert answer.index("no longer contains") < answer.index("Instead")  # in reading order
    alone = get_decoder("extractive", continued_cutoff=2.0)  # never continued
    answer = whole(written(alone, build_prompt(question, [GZIP], alone.count_tokens, 4000))).text
    assert "null (zero)" not in answer


@pytest.mark.slow
def test_a_question_for_a_uid_is_answered_by_the_sentence_with_the_number() -> None:
    from grounding.generation.base import whole, written
    from grounding.generation.decoders import get_decoder
    from grounding.generation.prompt import build_prompt

    decoder = get_decoder("extractive")
    question = "Which uid did the operator user have?"
    answer = whole(
        written(decoder, build_prompt(question, [USERS], decoder.count_tokens, 4000))
    ).text
    assert "uid 37" in answer
    question = "Which uid did the sync user have?"  # USERS gives none for sync
    answer = whole(
        written(decoder, build_prompt(question, [USERS], decoder.count_tokens, 4000))
    ).text
    assert "do not answer" in answer


def test_code_run_into_prose_link_definitions_and_navigation_are_not_passages() -> None:
    manual = Source(
        index=1,
        title="Types",
        uri="Types.html",
        text="You can query the size at run time. "
        "if (ffi_prep_cif (&cif, desired_abi, 0, desired_type, NULL) == FFI_OK) "
        "ffi_type *desired_type; ffi_abi desired_abi;\n"
        "[zlib]: https://www.zlib.net/\n"
        "Next:\nMemory Usage\n, Previous:\nWhat is libffi?\n, Up:\nlibffi\n\n"
        "Function: void *ffi_closure_alloc (size_t size, void **code): Allocate a chunk.\n",
        origin="local",
    )
    texts = [p.text for p in passages([manual])]
    assert "You can query the size at run time." in texts
    assert not any("FFI_OK" in t or "zlib.net" in t or "Previous" in t for t in texts)
    assert any(t.startswith("Function: void *ffi_closure_alloc") for t in texts)  # a definition


def test_a_digit_inside_a_name_is_not_a_number() -> None:
    question = "What is the largest window size zstd supports?"
    assert has_answer_type(question, "It is backed by the Huff0 and FSE libraries.") is False
    assert has_answer_type(question, "Windows up to 2 GB are supported.") is True


@pytest.mark.slow
def test_a_passage_that_points_at_the_asked_thing_brings_the_sentence_naming_it() -> None:
    from grounding.generation.base import whole, written
    from grounding.generation.decoders import get_decoder
    from grounding.generation.prompt import build_prompt

    groups = Source(
        index=1,
        title="users and groups",
        uri="users-and-groups.txt",
        text="   adm\n          Group adm is used for system monitoring tasks. Members\n"
        "          of this group can read many log files in /var/log, and\n"
        "          can use xconsole.\n",
        origin="local",
    )
    decoder = get_decoder("extractive")
    question = "Which group may read many of the log files in /var/log?"
    answer = whole(
        written(decoder, build_prompt(question, [groups], decoder.count_tokens, 4000))
    ).text
    assert "Group adm" in answer and answer.index("Group adm") < answer.index("this group")


def test_a_year_before_1800_a_decade_or_a_century_answers_when() -> None:
    asks = "When was the settlement established?"
    assert has_answer_type(asks, "The Prince established it in about 1300.") is True
    assert has_answer_type(asks, "It dates back to the year 1313.") is True
    assert has_answer_type(asks, "A technology invented in the 12th century.") is True
    assert has_answer_type(asks, "Building went on in the 1680s.") is True
    assert has_answer_type(asks, "It was established by the prince.") is False


def test_one_capitalised_name_inside_the_text_answers_who() -> None:
    asks = "Who did Gegeen appoint as grand chancellor?"
    assert has_answer_type(asks, "With the help of his newly appointed grand chancellor Baiju.")
    assert has_answer_type("Who elects the President?", "He is elected by the City council.")
    assert has_answer_type("Who founded it?", "It was founded by a local family.") is False
    assert has_answer_type("Who appointed Gegeen?", "Gegeen was appointed in 1320.") is False


def test_a_when_clause_before_the_question_does_not_ask_for_a_date() -> None:
    assert answer_type("When I empty a table, what happens to its sequences by default?") is None
    assert answer_type("When did the repetitions change, and to what?") == "date"


def test_a_camel_case_identifier_answers_which_class_or_function() -> None:
    asks = "Which class picks the best readiness-polling mechanism?"
    assert has_answer_type(asks, "DefaultSelector is an alias to the most efficient one.")
    assert has_answer_type("Which libpq function should I poll?", "Call PQnotifies often.")
    assert has_answer_type(asks, "It is an alias to the most efficient one.") is False
