"""The orchestration package composes public steps, and does each answer's work once.

Best-of-n and repair (`orchestration/refine.py`) build on the Grounder's public steps, not
its private ones; the refusal is decided once per answer, and each best-of-n candidate is
scored once (counted on a real scorer subclass, not a mock).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from grounding.checking import ClaimScore
from grounding.checking.scorers.overlap import OverlapScorer
from grounding.core import answer_types
from grounding.errors import InputError
from grounding.orchestration.grounder import Grounder
from grounding.orchestration.refine import Refinement
from tests.test_improve import (
    DOCS,
    GOOD,
    INVENTED,
    QUESTION,
    WRONG_MARKER,
    OverlapRetriever,
    ScriptedSampler,
)
from tests.test_pipeline import TEXTS, ListRetriever, ScriptedDecoder

ORCHESTRATION = Path(__file__).resolve().parent.parent / "grounding" / "orchestration"


def _private_imports(tree: ast.Module) -> list[str]:
    return [
        f"from {node.module} import {alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name.startswith("_")
    ]


def _private_calls(tree: ast.Module) -> list[str]:
    """`obj._name(...)` calls on anything but `self` (a dunder is not private)."""
    return [
        ast.unparse(node.func)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr.startswith("_")
        and not node.func.attr.startswith("__")
        and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "self")
    ]


def test_the_scan_finds_what_it_looks_for() -> None:
    planted = ast.parse(
        "from grounding.orchestration.grounder import _Retrieved\n"
        "grounder._finish(text)\nself._reward(q, a)\nx.__len__()"
    )
    assert _private_imports(planted) == ["from grounding.orchestration.grounder import _Retrieved"]
    assert _private_calls(planted) == ["grounder._finish"]


@pytest.mark.parametrize("path", sorted(ORCHESTRATION.glob("*.py")), ids=lambda p: p.name)
def test_orchestration_imports_no_private_name(path: Path) -> None:
    assert _private_imports(ast.parse(path.read_text(encoding="utf-8"))) == []


def test_refine_calls_no_private_method_of_another_object() -> None:
    tree = ast.parse((ORCHESTRATION / "refine.py").read_text(encoding="utf-8"))
    assert _private_calls(tree) == []


class CountingScorer(OverlapScorer):
    """The overlap scorer, counting its `score` calls."""

    def __init__(self) -> None:
        self.calls = 0

    def score(self, claims: Sequence[str], sources: Sequence[str]) -> list[ClaimScore]:
        self.calls += 1
        return super().score(claims, sources)


@pytest.fixture
def refusal_tests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every run of `is_refusal`, wherever a grounding module imported it."""
    real = answer_types.is_refusal
    runs: list[str] = []

    def counted(answer: str) -> bool:
        runs.append(answer)
        return real(answer)

    for name, module in list(sys.modules.items()):
        if name.startswith("grounding") and getattr(module, "is_refusal", None) is real:
            monkeypatch.setattr(module, "is_refusal", counted)
    return runs


@pytest.mark.parametrize(
    "written",
    ["The lighthouse was first lit on 3 March 1874.",  # the checker adds its marker
     "The lighthouse was first lit on 3 March 1874 [1].",
     "The sources do not answer this question."],  # a refusal
)  # fmt: skip
def test_the_refusal_is_decided_once_per_answer(written: str, refusal_tests: list[str]) -> None:
    grounder = Grounder(
        index=ListRetriever(TEXTS), decoder=ScriptedDecoder(written), scorer="overlap"
    )
    result = grounder.ask("When was the lighthouse first lit?")
    assert result.answered == ("1874" in written)
    assert refusal_tests == [written]


def test_best_of_n_scores_each_candidate_once(refusal_tests: list[str]) -> None:
    scorer = CountingScorer()
    decoder = ScriptedSampler([INVENTED], samples=[WRONG_MARKER, GOOD])
    grounder = Grounder(index=OverlapRetriever(DOCS), decoder=decoder, k=3, scorer=scorer,
                        refiner=Refinement(best_of=3))  # fmt: skip
    result = grounder.ask(QUESTION)
    assert len(result.grounding_metadata.candidates) == 3 and result.answer == GOOD
    assert scorer.calls == 3  # one check per candidate; the reward reuses its report
    assert len(refusal_tests) == 3


def test_a_decoder_that_does_not_declare_sampling_is_refused_for_best_of_n() -> None:
    decoder = ScriptedDecoder(GOOD)  # a Decoder subclass that leaves `samples` at its default
    grounder = Grounder(index=OverlapRetriever(DOCS), decoder=decoder, scorer="overlap",
                        refiner=Refinement(best_of=2))  # fmt: skip
    with pytest.raises(InputError, match="samples"):
        grounder.ask(QUESTION)


def test_the_public_steps_compose_into_what_ask_gives() -> None:
    decoder = ScriptedDecoder("The lighthouse was first lit on 3 March 1874.")
    grounder = Grounder(index=ListRetriever(TEXTS), decoder=decoder, scorer="overlap")
    question = "When was the lighthouse first lit?"
    evidence = grounder.retrieve(question)
    prompted = grounder.prompt(question, evidence)
    generator = grounder.generate(prompted.prompt)  # the pieces as the decoder writes them
    pieces: list[str] = []
    while True:
        try:
            pieces.append(next(generator))
        except StopIteration as end:
            generated = end.value
            break
    assert generated.text == "".join(pieces) and generated.finish_reason == "stop"
    answer = grounder.finish(question, generated.text, prompted.evidence)
    asked = grounder.ask(question)
    assert answer.answer == asked.answer == "The lighthouse was first lit on 3 March 1874 [1]."
    assert answer.support == asked.support and answer.warnings == asked.warnings
    assert evidence.warnings == () and prompted.evidence.sources == evidence.sources
