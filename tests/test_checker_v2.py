"""The default checker, version 2: records, input kinds, number swaps, hand cases, offline load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grounding.checking import check, check_many, get_scorer
from grounding.checking.scorers.learned.records import flatten_record, is_record, unmatched_values
from grounding.checking.scorers.learned.scorer import input_kind, number_swaps
from grounding.checking.scorers.learned.source_index import build_evidence

ROOT = Path(__file__).resolve().parent.parent
RECORD = {
    "name": "Harbour Deli",
    "city": "Varnholt",
    "categories": "Sandwiches, Coffee & Tea",
    "hours": {"Monday": "8:0-17:30", "Saturday": "9:0-14:0"},
    "attributes": {"WiFi": "u'free'", "OutdoorSeating": False, "RestaurantsTakeOut": True},
    "business_stars": 4.5,
}


def test_flatten_record_gives_one_field_value_fact_per_leaf() -> None:
    facts = flatten_record(json.dumps(RECORD))
    assert facts == [
        "name: Harbour Deli",
        "city: Varnholt",
        "categories: Sandwiches, Coffee & Tea",
        "hours Monday: 8:0-17:30",
        "hours Saturday: 9:0-14:0",
        "attributes Wi Fi: free",
        "attributes Outdoor Seating: no",
        "attributes Restaurants Take Out: yes",
        "business stars: 4.5",
    ]
    assert is_record(json.dumps(RECORD)) and not is_record("{not json")


def test_claimed_values_are_matched_against_the_record_fields() -> None:
    facts = flatten_record(RECORD)
    good = "It opens at 8 AM on Mondays, closes at 5:30 PM and has a 4.5-star rating."
    assert unmatched_values(good, facts) == []
    bad = "It opens at 7 AM, closes at 2 PM on Saturdays and has a 4-star rating."
    assert [bad[s:e] for s, e in unmatched_values(bad, facts)] == ["7 AM", "4"]


def _record_answers() -> tuple[str, str]:
    good = (
        "Harbour Deli in Varnholt serves sandwiches, coffee and tea. It offers free WiFi and "
        "takeout, and has a rating of 4.5 stars."
    )
    bad = (
        "Harbour Deli in Varnholt serves sandwiches, coffee and tea. It is open late every "
        "night until 11 PM, has a rooftop terrace with live jazz, and has a rating of 3 stars."
    )
    return good, bad


CASES = {
    "document": (
        ["The Varnholt lighthouse was first lit in 1874. It is 32 metres tall and was automated "
         "in 1978. Its keeper, Ingrid Moe, kept a logbook of every storm."],
        "The Varnholt lighthouse was first lit in 1874 and was automated in 1978.",
        "The Varnholt lighthouse was first lit in 1874. It was designed by the Scottish engineer "
        "Robert Stevenson and painted red with funds from King Haakon.",
    ),
    "passages": (
        ["The Saltholm ferry crosses to the island in 25 minutes.",
         "There are no cars on Saltholm: residents use tractors and bicycles."],
        "The ferry crosses to Saltholm in 25 minutes, and there are no cars on the island.",
        "The ferry crosses to Saltholm in 25 minutes. A toll bridge built in 1962 links the "
        "island to the mainland for cars and buses.",
    ),
    "record": ([json.dumps(RECORD)], *_record_answers()),
}  # fmt: skip


@pytest.mark.parametrize("scorer", ["learned", "learned@3"])
@pytest.mark.parametrize("kind", sorted(CASES))
def test_supported_answer_outscores_unsupported_per_input_kind(kind: str, scorer: str) -> None:
    sources, good, bad = CASES[kind]
    assert input_kind(sources) == kind
    ok, wrong = check_many([(good, sources), (bad, sources)], scorer=scorer)
    assert ok.score > wrong.score
    assert ok.supported and not wrong.supported
    assert ok.checker == ("learned@2" if scorer == "learned" else "learned@3")


def test_metres_written_as_m_are_supported() -> None:
    report = check("The tower is 330 m tall.", ["The tower is 330 metres tall."])
    assert report.supported, report.score
    assert check("The tower is 300 m tall.", ["The tower is 330 metres tall."]).score < report.score


def test_faithful_paraphrase_is_supported() -> None:
    source = (
        "Node.js timers: when delay is larger than 2147483647 or less than 1, the delay will be "
        "set to 1. Non-integer delays are truncated to an integer."
    )
    answer = "Node.js sets the delay to 1 when it is larger than 2147483647 or less than 1."
    assert check(answer, [source]).supported


def test_swapped_number_is_the_unsupported_span() -> None:
    source = (
        "A cache miss is expensive: the processor can wait as much as 200 cycles for main "
        "memory, while an L1 hit costs about 4 cycles."
    )
    answer = "On a cache miss the processor can wait as much as 900 cycles for main memory."
    report = check(answer, [source])
    assert not report.supported
    at = answer.index("900")
    assert any(s.start <= at and at + 3 <= s.end for s in report.unsupported_spans)
    assert number_swaps(answer, build_evidence([source])) == [(at, at + 3)]
    assert number_swaps(answer.replace("900", "200"), build_evidence([source])) == []


def test_previous_scorers_stay_available_by_name() -> None:
    sources, good, bad = CASES["document"]
    by_version = check_many([(good, sources), (bad, sources)], scorer="learned@2")
    by_name = check_many([(good, sources), (bad, sources)], scorer="learned-v2")
    assert by_version == by_name and by_name[0].checker == "learned@2"
    assert by_name[0].model is None  # v2 runs no pair model
    old_good, old_bad = check_many([(good, sources), (bad, sources)], scorer="learned-v1")
    assert old_good.checker == old_bad.checker == "learned-v1"
    assert old_good.score > old_bad.score
    assert get_scorer("learned-v1").threshold != get_scorer("learned").threshold


def test_training_the_calibration_is_deterministic_on_a_tiny_set() -> None:
    sys.path.insert(0, str(ROOT / "train"))
    from train_stack import build_stack

    rows, v1 = [], {}
    for i, (kind, (sources, good, bad)) in enumerate(sorted(CASES.items()) * 4):
        if kind == "record":
            variant = [json.dumps({**RECORD, "id": i})]
        else:
            variant = [f"{source} (copy {i})" for source in sources]
        for label, answer in ((0, good), (1, bad)):
            row_id = f"{kind}-{i}-{label}"
            rows.append({"id": row_id, "sources": variant, "answer": answer, "label": label})
            v1[row_id] = 0.3 + 0.4 * label + 0.01 * i
    first, oof = build_stack(rows, v1)
    second, again = build_stack(rows, v1)
    assert first == second and (oof == again).all()
    assert set(first["kinds"]) == {"passages", "document", "record"}
    assert 0.0 < first["threshold"] < 1.0


def test_shipped_parameters_load_offline_without_torch() -> None:
    code = (
        "import sys\n"
        "from grounding.checking import check\n"
        "r = check('The tower is 330 m tall.', ['The tower is 330 metres tall.'], "
        "scorer='learned@2')\n"
        "assert r.checker == 'learned@2', r.checker\n"
        "assert 'torch' not in sys.modules, 'the default checker imported torch'\n"
        "print('ok')\n"
    )
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "", "NO_PROXY": "*",
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
