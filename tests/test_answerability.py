"""When the sources cannot answer: named terms they never mention, a missing answer type."""

from __future__ import annotations

import pytest

from grounding.core.answer_types import named_terms, unmentioned
from grounding.generation.base import whole, written
from grounding.generation.decoders import get_decoder
from grounding.generation.prompt import build_prompt
from grounding.schema import Source

NEWS = Source(
    index=1,
    title="tar NEWS",
    uri="tar-NEWS.txt",
    text="* Noteworthy changes in release 1.34 (2021-02-13) [stable]\n\n"
    "This release includes official tar(1) and rmt(8) manpages. "
    "Sergey Poznyakoff made the release.",
    origin="local",
)


@pytest.mark.parametrize(
    ("question", "terms"),
    [
        ("Which version of libffi first added support for RISC-V?", ["RISC-V"]),
        ("When was tar 1.35 released?", ["1.35"]),
        ("Which Windows API does ffi_closure_alloc call?", ["Windows", "API", "ffi_closure_alloc"]),
        ("What is $SYSTEMD_OFFLINE for?", ["SYSTEMD_OFFLINE"]),
        ("Can I take my dog onto the beach in July?", []),  # "I", a month: not names
        ("How does gzip decide the output name?", []),  # plain words
    ],
)
def test_named_terms(question: str, terms: list[str]) -> None:
    assert named_terms(question) == terms


def test_unmentioned_terms_are_those_no_text_contains() -> None:
    texts = ["Changes in release 1.34: new manpages for tar(1).", "Runs on GNU/Linux systems."]
    assert unmentioned("When was tar 1.35 released?", texts) == ["1.35"]
    assert unmentioned("When was tar 1.34 released?", texts) == []
    assert unmentioned("Does it run on Linux or on Windows?", texts) == ["Windows"]
    assert unmentioned("What did the Manpages add?", texts) == []  # case and plural forgiven


def test_the_extractive_decoder_refuses_a_question_about_an_unmentioned_version() -> None:
    decoder = get_decoder("extractive")
    prompt = build_prompt("Who made the tar 1.35 release?", [NEWS], decoder.count_tokens, 4000)
    assert "do not answer" in whole(written(decoder, prompt)).text  # no embedding needed to say so


@pytest.mark.slow
def test_the_extractive_decoder_refuses_when_the_answer_lacks_the_asked_kind() -> None:
    decoder = get_decoder("extractive")
    asks_version = "Which version of tar added official manpages?"
    asks_date = "When did tar get official manpages?"
    answers = whole(
        written(decoder, build_prompt(asks_version, [NEWS], decoder.count_tokens, 4000))
    ).text
    assert "1.34" in answers  # the heading holds the version: it leads the answer
    plain = NEWS.model_copy(update={"text": NEWS.text.split("\n\n", 1)[1]})
    for question in (asks_version, asks_date):
        prompt = build_prompt(question, [plain], decoder.count_tokens, 4000)
        assert "do not answer" in whole(written(decoder, prompt)).text, question
    off = get_decoder("extractive", require_type=False)
    prompt = build_prompt(asks_version, [plain], off.count_tokens, 4000)
    assert "manpages" in whole(written(off, prompt)).text


CHANGELOG = Source(
    index=1,
    title="gzip NEWS",
    uri="gzip-NEWS.txt",
    text="* Noteworthy changes in release 1.12 (2022-04-07) [stable]\n\n"
    "** Bug fixes\n\n  zgrep applied to a crafted file name with two or more newlines\n"
    "  can no longer overwrite an arbitrary, attacker-selected file.\n\n"
    "* Noteworthy changes in release 1.11 (2021-09-03) [stable]\n\n"
    "** Changes in behavior\n\n  IBM Z platforms now support hardware-accelerated deflation.\n",
    origin="local",
)


def test_a_sub_heading_keeps_the_section_it_is_under() -> None:
    from grounding.generation.decoders.extractive.passages import passages

    headings = {p.text[:14]: p.heading for p in passages([CHANGELOG])}
    assert headings["zgrep applied "] == (
        "Noteworthy changes in release 1.12 (2022-04-07) [stable] › Bug fixes"
    )
    assert headings["IBM Z platform"].startswith("Noteworthy changes in release 1.11")


@pytest.mark.slow
def test_a_dated_heading_answers_when_a_release_was_made() -> None:
    decoder = get_decoder("extractive")
    prompt = build_prompt("When was gzip 1.12 released?", [CHANGELOG], decoder.count_tokens, 4000)
    assert "2022-04-07" in whole(written(decoder, prompt)).text


@pytest.mark.slow
def test_a_chunk_inside_a_release_section_answers_for_that_release() -> None:
    """The version is in the section heading, which the chunk starts below (`Source.section`):
    the question is not refused for naming a version the chunk's text lacks."""
    from grounding.generation.decoders.extractive.passages import passages

    entry = Source(
        index=1,
        title="gzip NEWS",
        uri="gzip-NEWS.txt",
        text="  zgrep applied to a crafted file name with two or more newlines can no longer "
        "overwrite an arbitrary, attacker-selected file.",
        origin="local",
        section="Noteworthy changes in release 1.12 (2022-04-07) [stable] › Bug fixes",
    )
    assert [p.heading for p in passages([entry])] == [entry.section]
    decoder = get_decoder("extractive")
    question = "Which zgrep bug was fixed in gzip 1.12?"
    prompt = build_prompt(question, [entry], decoder.count_tokens, 4000)
    assert "attacker-selected file" in whole(written(decoder, prompt)).text
    alone = entry.model_copy(update={"section": ""})
    prompt = build_prompt(question, [alone], decoder.count_tokens, 4000)
    assert (
        "attacker-selected file" not in whole(written(decoder, prompt)).text
    )  # 1.12 named nowhere


@pytest.mark.slow
def test_a_paraphrased_question_is_answered_by_a_sentence_sharing_none_of_its_words() -> None:
    """The decoder once refused when its best passage held under 5% of the question's
    (rarity-weighted) words: a paraphrase, answered by the demo's "last keeper", was refused."""
    from grounding import Grounder

    result = Grounder().ask("Which woman was the final person to live at and tend the light?")
    assert result.answered, result.reason
    assert result.answer.startswith("Ingrid Solberg (1931–2019) was the last keeper")
