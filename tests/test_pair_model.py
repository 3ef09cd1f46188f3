"""The pair model shipped in the package: loads offline without torch; the checker that stacks it
(`learned@3`) and the Grounder read claims and questions against their evidence.

The hand cases the model still gets wrong are strict xfails: they say what `pair-1` cannot do
yet, and fail the day it can (then drop the mark)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grounding.backends.pair import MODEL_DIR, pair_model
from grounding.checking import check

pytestmark = pytest.mark.slow


def test_the_weights_ship_in_the_package_as_int8_onnx_within_30_mb() -> None:
    model = MODEL_DIR / "model.onnx"
    assert model.is_file() and model.stat().st_size < 30_000_000
    assert (MODEL_DIR / "tokenizer.json").is_file()
    assert pair_model().version.startswith("pair-")


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_it_loads_and_scores_with_no_network_and_no_torch() -> None:
    if subprocess.run(["unshare", "-n", "true"], check=False).returncode != 0:
        pytest.skip("no permission to make a network namespace")
    code = (
        "import sys\n"
        "from grounding.checking import check\n"
        "report = check('The ferry leaves twice a day.', ['The ferry leaves twice a day.'], "
        "scorer='learned@3')\n"
        "print(report.model, report.checker, round(report.score, 3))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    model, checker, _ = done.stdout.split()
    assert model.startswith("pair-") and checker == "learned@3"


NOT_YET = pytest.mark.xfail(strict=True, reason="pair-1 reads this pair the wrong way round")
SUPPORTED = [
    ("The tower is 330 m tall.", "The iron tower stands 330 metres high above the square."),
    ("The bakery was established in 1962.",
     "Marta Kovac founded the bakery in 1962, and it has stayed in the family since."),
    pytest.param("The museum does not open on Sundays.",
                 "The museum is open from Monday to Saturday and closed on Sundays.",
                 marks=NOT_YET),
]  # fmt: skip
UNSUPPORTED = [
    pytest.param("Foreign key constraints are enabled by default.",
                 "Foreign key constraints are disabled by default and must be turned on for "
                 "each connection.", marks=NOT_YET),
    ("The ferry leaves Dunmore three times a day.",
     "The Ostrey ferry leaves Dunmore harbour twice a day, at 7:15 and 16:40."),
    pytest.param("The sister founded the company in 1910.",
                 "The company was founded in 1910 by the brother of the painter, while his "
                 "sister managed the shop.", marks=NOT_YET),
]  # fmt: skip


@pytest.mark.parametrize(("claim", "source"), SUPPORTED)
def test_the_stacked_checker_supports_what_the_source_says(claim: str, source: str) -> None:
    report = check(claim, [source], scorer="learned@3")
    assert report.supported, (claim, report.score)
    assert report.checker == "learned@3" and report.model == pair_model().version


@pytest.mark.parametrize(("claim", "source"), UNSUPPORTED)
def test_the_stacked_checker_flags_what_the_source_contradicts(claim: str, source: str) -> None:
    report = check(claim, [source], scorer="learned@3")
    assert not report.supported, (claim, report.score)


def test_the_stated_count_outranks_a_changed_one() -> None:
    """The stated count scores above the changed one, whatever the cut."""
    ferry = "The Ostrey ferry leaves Dunmore harbour twice a day, at 7:15 and 16:40."
    twice = check("The ferry leaves Dunmore twice a day.", [ferry], scorer="learned@3").score
    thrice = check("The ferry leaves Dunmore three times a day.", [ferry], scorer="learned@3")
    assert twice > thrice.score


def test_the_answer_head_prefers_the_passage_that_answers() -> None:
    question = "When does the Ostrey ferry leave Dunmore?"
    right = "The Ostrey ferry leaves Dunmore harbour twice a day, at 7:15 and 16:40."
    wrong = "Dunmore harbour was rebuilt in 1988 after the storm damaged the pier."
    p_right, p_wrong = pair_model().answer_scores(question, [right, wrong])
    assert p_right > 0.5 > p_wrong


def test_the_one_document_ferry_question_is_answered_with_its_times(tmp_path: Path) -> None:
    from grounding import Grounder
    from grounding.retrieval.index.local import LocalIndex

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ferry.txt").write_text(
        "The Ostrey ferry leaves Dunmore harbour twice a day, at 7:15 and 16:40.\n", "utf-8"
    )
    LocalIndex.build([docs], tmp_path / "index")
    result = Grounder(index=tmp_path / "index").ask("When does the Ostrey ferry leave Dunmore?")
    assert result.answered, result.reason
    assert "7:15" in result.answer and "16:40" in result.answer
    assert result.support.supported
    assert result.model == pair_model().version  # the answer names the model that judged it
