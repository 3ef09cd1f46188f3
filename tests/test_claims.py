"""Claim splitting: offsets into the answer on text that trips naive splitters."""

from __future__ import annotations

import pytest

from grounding.checking.claims import claim_texts, split_claims


def _texts(answer: str) -> list[str]:
    return [answer[s:e] for s, e in split_claims(answer)]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            "Dr. Smith paid $3.50 for it, i.e. a bargain. He left at 5 p.m. on Monday.",
            ["Dr. Smith paid $3.50 for it, i.e. a bargain.", "He left at 5 p.m. on Monday."],
        ),
        (
            "The rate rose to 2.75% in the U.S. last year. J. R. Tolkien agreed.",
            ["The rate rose to 2.75% in the U.S. last year.", "J. R. Tolkien agreed."],
        ),
        (
            'She said "it works." Then she left!  Why?',
            ['She said "it works."', "Then she left!", "Why?"],
        ),
        (
            "Steps:\n1. Rinse the hair.\n2. Apply 1.5 ml of conditioner\n- Dry it",
            ["Steps:", "1. Rinse the hair.", "2. Apply 1.5 ml of conditioner", "- Dry it"],
        ),
        (
            "Paris is in France [1]. It has 2,100,000 people [1, 2].\n\nSee [3].",
            ["Paris is in France [1].", "It has 2,100,000 people [1, 2].", "See [3]."],
        ),
    ],
)
def test_claims_and_offsets(answer: str, expected: list[str]) -> None:
    spans = split_claims(answer)
    assert _texts(answer) == expected
    assert all(0 <= s < e <= len(answer) for s, e in spans)
    assert [s for s, _ in spans] == sorted(s for s, _ in spans)


def test_marker_only_sentences_are_not_claims() -> None:
    answer = "Water boils at 100 degrees. [2]"
    assert _texts(answer) == ["Water boils at 100 degrees."]


def test_a_cited_or_lone_number_is_a_claim_and_a_list_number_is_not() -> None:
    assert _texts("142 [1].") == ["142 [1]."]  # the whole answer to "how many steps?"
    assert _texts("142.") == ["142."]
    assert _texts("It opened in 1874 [1]. 1874 [2].") == ["It opened in 1874 [1].", "1874 [2]."]
    assert _texts("1. Install foo. 2. Run bar.") == ["1. Install foo.", "Run bar."]


def test_claim_texts_blank_markers_and_keep_offsets() -> None:
    answer = "Paris is in France [1]. It is large [12, 3]."
    spans, texts = claim_texts(answer)
    assert [len(t) for t in texts] == [e - s for s, e in spans]
    assert "[" not in "".join(texts)
    assert texts[1].startswith("It is large ") and texts[1].endswith(".")
    at = texts[0].index("France")
    assert answer[spans[0][0] + at : spans[0][0] + at + 6] == "France"


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("Dr. Who came. He left.", ["Dr. Who came.", "He left."]),
        ("\n" + " " * 40 + "3. Step three. Done.", ["3. Step three.", "Done."]),
        ("See www.example.co.uk.a.long.domain.name.org. Next.", None),
        ("It cost 3.5 units, e.g. ten. Fine.", ["It cost 3.5 units, e.g. ten.", "Fine."]),
    ],
)
def test_sentences_far_into_a_long_text(tail: str, expected: list[str] | None) -> None:
    """Abbreviations and list numbers are recognised however much text comes before them
    (the tests look back a bounded stretch, not to the text's start)."""
    from grounding.core.text import sentence_spans

    head = "A sentence of filler words here. " * 300
    text = head + tail
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got[:300] == [head.split(". ")[0] + "."] * 300
    alone = [tail[s:e] for s, e in sentence_spans(tail)]
    assert got[300:] == alone  # the same split as with nothing before it
    if expected is not None:
        assert alone == expected
