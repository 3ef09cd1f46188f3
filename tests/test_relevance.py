"""Relevance: does the answer address the question? Pure function, hand-checkable cases."""

from __future__ import annotations

import pytest

from grounding.checking.relevance import RELEVANT_AT, answer_type, is_refusal, relevance


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
