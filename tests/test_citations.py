"""Citation markers become segments whose offsets point into the final answer."""

from __future__ import annotations

import pytest

from grounding.generation.citations import parse_citations


def _segments(answer: str, count: int = 3) -> tuple[str, list[tuple[str, tuple[int, ...]]], tuple]:
    parsed = parse_citations(answer, count)
    found = [(parsed.answer[s.start : s.end], s.indices) for s in parsed.segments]
    return parsed.answer, found, parsed.dropped


def test_single_marker_before_the_period() -> None:
    answer, found, dropped = _segments("The lighthouse was first lit in 1874 [1].")
    assert answer == "The lighthouse was first lit in 1874 [1]."
    assert found == [("The lighthouse was first lit in 1874", (1,))]
    assert dropped == ()


@pytest.mark.parametrize(
    "text",
    ["Ann kept it [2, 3].", "Ann kept it [2][3].", "Ann kept it [2] [3].", "Ann kept it [2,3]."],
)
def test_marker_groups_in_every_common_form(text: str) -> None:
    _, found, _ = _segments(text)
    assert found == [("Ann kept it", (2, 3))]


def test_marker_after_the_period_belongs_to_the_sentence_before() -> None:
    _, found, _ = _segments("It opened in 1874. [1] It closed in 1990 [2].")
    assert found == [("It opened in 1874.", (1,)), ("It closed in 1990", (2,))]


def test_markers_that_point_at_no_source_are_removed_and_reported() -> None:
    answer, found, dropped = _segments("It opened in 1874 [4]. It closed in 1990 [2, 9].")
    assert answer == "It opened in 1874. It closed in 1990 [2]."
    assert found == [("It closed in 1990", (2,))]
    assert dropped == (4, 9)


def test_mid_sentence_markers_count_for_the_sentence() -> None:
    _, found, _ = _segments("The keeper [1] lived in the tower [2].")
    assert found == [("The keeper [1] lived in the tower", (1, 2))]


def test_repeated_indices_are_listed_once() -> None:
    _, found, _ = _segments("Twice cited [1][1].")
    assert found == [("Twice cited", (1,))]


def test_sentences_without_markers_have_no_segment() -> None:
    _, found, _ = _segments("No citation here. Dr. Smith paid 3.5 crowns [3].")
    assert found == [("Dr. Smith paid 3.5 crowns", (3,))]


def test_offsets_are_str_indices_with_non_ascii_text() -> None:
    answer, found, _ = _segments("Ørsted’s café opened in 1911 — ☕ [1]. Später [2].")
    parsed = parse_citations(answer, 3)
    for segment in parsed.segments:
        assert answer[segment.start : segment.end] in {text for text, _ in found}
    assert found[0][0] == "Ørsted’s café opened in 1911 — ☕"


def test_years_and_bracketed_text_are_not_markers() -> None:
    _, found, dropped = _segments("See [note] on 1874 and [a] list.")
    assert found == [] and dropped == ()
