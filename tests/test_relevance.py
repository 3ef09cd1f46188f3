"""Lexical relevance (the words-only score before the pair model): hand-checkable cases."""

from __future__ import annotations

import pytest

from grounding.checking.relevance import LEXICAL_ANSWERED_AT as ANSWERED_AT
from grounding.checking.relevance import LEXICAL_RELEVANT_AT as RELEVANT_AT
from grounding.checking.relevance import answer_type, is_refusal
from grounding.checking.relevance import lexical_relevance as relevance


def test_an_answer_about_the_asked_term_beats_a_neighbouring_sentence() -> None:
    question = "What is os.EOL on Windows?"
    right = "os.EOL is the end-of-line marker: \\n on POSIX and \\r\\n on Windows [1]."
    wrong = "The os.type() method returns the operating system name [1]."
    assert relevance(question, right) >= RELEVANT_AT > relevance(question, wrong)


def test_a_question_for_a_number_is_not_answered_without_one() -> None:
    question = "How much does a last-level cache miss cost?"
    vague = "The last-level cache is the largest cache, shared between the cores [2]."
    answer = "A last-level cache miss costs about 200 cycles [2]."
    assert relevance(question, answer) >= RELEVANT_AT > relevance(question, vague)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When was gzip 1.12 released?", "date"),
        ("In which tar version did the --zstd option appear?", "version"),
        ("How many kinds of triggers are there?", "number"),
        ("Which dpkg-deb option sets file owners?", "option"),
        ("Which environment variable holds the gain-root command?", "variable"),
        ("Which function computes struct offsets?", "code"),
        ("Who implemented the GPU part of Faiss?", "person"),
        ("Is libffi thread-safe?", None),
        # a "when" inside the question is not the question asking for a date
        ("Which ABI should you pass when preparing a call interface?", None),
        ("Who founded Holm's Bakery and when?", "person"),  # the first asking phrase wins
        ("When was it first lit, and who was its first keeper?", "date"),
        ("Which compression level does tar pass to zstd?", "number"),
        ("Through which environment variable does it say what level it chose?", "variable"),
    ],
)
def test_answer_types(question: str, kind: str | None) -> None:
    assert answer_type(question) == kind


def test_refusals_score_zero_and_are_recognised() -> None:
    assert is_refusal("The sources do not answer this question.")
    assert relevance("Who wrote it?", "The sources do not answer this question.") == 0.0
    assert not is_refusal("Jeff Johnson wrote it [1].")


def test_score_is_in_unit_interval_and_exact_for_full_coverage() -> None:
    assert relevance("Is libffi thread-safe?", "libffi is not completely thread-safe [1].") == 1.0
    assert relevance("Is libffi thread-safe?", "Bananas are yellow.") == 0.0


def test_a_semantic_similarity_is_averaged_in() -> None:
    question, answer = "Is libffi thread-safe?", "Bananas are yellow."
    assert relevance(question, answer, similarity=lambda q, a: 0.8) == pytest.approx(0.4)


def test_a_shell_variable_matches_its_bare_name() -> None:
    question = "What does SYSTEMD_BUS_TIMEOUT set?"
    answer = "$SYSTEMD_BUS_TIMEOUT sets the timeout of D-Bus method calls, in seconds [1]."
    assert relevance(question, answer) >= RELEVANT_AT


@pytest.mark.parametrize(
    ("question", "right", "wrong"),
    [
        (  # a count next to what is counted, not any number
            "How many passengers can the MV Ternstone carry?",
            "The MV Ternstone carries up to 180 passengers and 24 cars [1].",
            "The MV Ternstone was built in 2004; in winter it carries foot passengers only [1].",
        ),
        (  # "41 fishermen" counts the men
            "How many men died when the storm hit the fleet?",
            "When the storm hit the fleet, 41 fishermen had drowned [2].",
            "The storm hit the fleet in 1881; the men of the lifeboat took the crew off [2].",
        ),
        (
            "What are the opening times of the maritime museum?",
            "The maritime museum is open Tuesday to Sunday, 10:00 to 16:00 [1].",
            "The Friends of the maritime museum, founded in 1961, run the museum shop [1].",
        ),
        (  # a part of the day is a time too
            "What time does the ferry leave the harbour?",
            "The ferry leaves the harbour at nine every morning [1].",
            "The ferry leaves the harbour from the north quay [1].",
        ),
        (
            "On which platform can long double change its size depending on the ABI?",
            "On PowerPC, long double can change its size depending on the ABI [3].",
            "Libffi sets the size of long double for you, from its knowledge of the ABI [3].",
        ),
        (  # the function the question names, and the C type size_t, are not the answer
            "Which function releases the memory that ffi_closure_alloc handed out?",
            "Memory from ffi_closure_alloc is released with ffi_closure_free (void *) [1].",
            "void *ffi_closure_alloc (size_t size, void **code): allocate memory [1].",
        ),
    ],
)
def test_a_narrow_ask_needs_its_own_kind_of_answer(question: str, right: str, wrong: str) -> None:
    assert relevance(question, right) >= RELEVANT_AT > relevance(question, wrong)
    assert relevance(question, wrong) >= ANSWERED_AT  # flagged, never withheld for this alone


def test_a_terse_answer_of_the_asked_type_addresses_the_question() -> None:
    question = "How many steps lead to the lantern room of the lighthouse?"
    assert relevance(question, "142 [1].") == 1.0
    assert relevance("When was the lighthouse first lit?", "14 October 1874 [2].") == 1.0
    assert relevance(question, "The lantern room [1].") < RELEVANT_AT  # short, but no number
