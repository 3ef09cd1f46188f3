"""The reward: each objective on hand-made cases, in the expected order; weights; errors."""

from __future__ import annotations

import json
import subprocess

import pytest

import grounding
from grounding.checking.reward import DEFAULT_WEIGHTS, OBJECTIVES, concision, parse_weights
from grounding.errors import InputError

QUESTION = "When was the Varnholt lighthouse first lit, and how tall is it?"
SOURCES = [
    "The Varnholt lighthouse stands on the northern cape of Halsoy. It was first lit in 1874 "
    "and is 32 metres tall.",
    "The ferry to Osk leaves the harbour twice a day, at seven and at five.",
]
GOOD = "The Varnholt lighthouse was first lit in 1874 [1]. It is 32 metres tall [1]."
WRONG_MARKER = "The Varnholt lighthouse was first lit in 1874 [2]. It is 32 metres tall [2]."
NO_MARKER = "The Varnholt lighthouse was first lit in 1874. It is 32 metres tall."
INVENTED = (
    "The Varnholt lighthouse was first lit in 1874 [1]. It was designed by Robert Stevenson, "
    "who painted it red with funds from King Haakon [1]."
)


def test_report_shape_and_total() -> None:
    report = grounding.reward(QUESTION, GOOD, SOURCES)
    assert set(report.objectives) == set(OBJECTIVES)
    assert report.weights == DEFAULT_WEIGHTS
    assert all(0.0 <= v <= 1.0 for v in report.objectives.values())
    expected = sum(report.weights[k] * report.objectives[k] for k in OBJECTIVES) / sum(
        report.weights.values()
    )
    assert report.total == pytest.approx(expected, abs=1e-3)


def test_support_orders_invented_below_supported() -> None:
    good = grounding.reward(QUESTION, GOOD, SOURCES)
    bad = grounding.reward(QUESTION, INVENTED, SOURCES)
    assert good.objectives["support"] > bad.objectives["support"] + 0.2
    assert good.total > bad.total


def test_citation_precision_right_marker_beats_wrong_marker() -> None:
    right = grounding.reward(QUESTION, GOOD, SOURCES)
    wrong = grounding.reward(QUESTION, WRONG_MARKER, SOURCES)
    assert right.objectives["citation_precision"] > 0.5 > wrong.objectives["citation_precision"]
    assert right.total > wrong.total
    # the support objective does not look at markers: both answers say the same
    assert right.objectives["support"] == pytest.approx(wrong.objectives["support"], abs=0.05)


def test_citation_recall_cited_beats_uncited_and_half_cited() -> None:
    half = "The Varnholt lighthouse was first lit in 1874 [1]. It is 32 metres tall."
    scores = [
        grounding.reward(QUESTION, text, SOURCES).objectives["citation_recall"]
        for text in (GOOD, half, NO_MARKER)
    ]
    assert scores[0] > scores[1] > scores[2] == 0.0
    assert grounding.reward(QUESTION, NO_MARKER, SOURCES).objectives["citation_precision"] == 0.0


def test_marker_after_the_full_stop_belongs_to_the_sentence_before() -> None:
    after = "The Varnholt lighthouse was first lit in 1874. [1] It is 32 metres tall. [1]"
    report = grounding.reward(QUESTION, after, SOURCES)
    assert report.objectives["citation_recall"] > 0.5


def test_relevance_orders_an_answer_to_the_question_above_one_beside_it() -> None:
    beside = "The ferry to Osk leaves the harbour twice a day [2]."
    on = grounding.reward(QUESTION, GOOD, SOURCES).objectives["relevance"]
    off = grounding.reward(QUESTION, beside, SOURCES).objectives["relevance"]
    assert on > 0.5 > off
    assert grounding.reward("", beside, SOURCES).objectives["relevance"] == 1.0  # no question


def test_concision_penalises_length_and_repeats() -> None:
    short = "It was first lit in 1874."
    long = " ".join(f"Sentence number {i} says something about lighthouses." for i in range(40))
    repeated = "It was first lit in 1874. It was first lit in 1874."
    assert concision(short) == 1.0
    assert concision(long) < 0.5
    assert concision(repeated) == pytest.approx(0.5)


def test_weights_text_and_mapping() -> None:
    table = parse_weights("support=2, concision=0")
    assert table["support"] == 2.0 and table["concision"] == 0.0
    assert table["citation_recall"] == DEFAULT_WEIGHTS["citation_recall"]
    only_support = grounding.reward(
        QUESTION, WRONG_MARKER, SOURCES, weights={k: 0.0 for k in OBJECTIVES} | {"support": 1}
    )
    assert only_support.total == pytest.approx(only_support.objectives["support"], abs=1e-3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("support", "not NAME=VALUE"),
        ("fluency=1", "unknown reward objective"),
        ("support=lots", "not a number"),
        ("support=-1", ">= 0"),
        ("support=0,citation_precision=0,citation_recall=0,relevance=0,concision=0", "every"),
    ],
)
def test_bad_weights_are_refused(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_weights(text)


def test_empty_answer_is_refused() -> None:
    with pytest.raises(InputError):
        grounding.reward(QUESTION, "  ", SOURCES)


def test_check_cli_json_carries_the_reward(grounding_exe: str) -> None:
    args = [grounding_exe, "check", "--answer", WRONG_MARKER, "--json"]
    args += [a for s in SOURCES for a in ("--source", s)]
    out = subprocess.run([*args, "--reward", "support=1,concision=0"], capture_output=True,
                         text=True, check=True)  # fmt: skip
    data = json.loads(out.stdout)
    assert 0.0 <= data["score"] <= 1.0  # the support report's fields stay where they were
    assert data["reward"]["weights"]["concision"] == 0.0
    assert data["reward"]["objectives"]["citation_precision"] < 0.5
    bad = subprocess.run([*args, "--reward", "fluency=1"], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "fluency" in bad.stderr
