"""The checker with the default (learned) scorer: ordering, report consistency, errors."""

from __future__ import annotations

import numpy as np
import pytest

from grounding.checking import check, check_many, get_scorer, list_scorers
from grounding.checking.registry import DEFAULT_SCORER
from grounding.checking.scorers.learned.forest import Forest
from grounding.errors import ConfigError, InputError

SOURCE = (
    "The Varnholt lighthouse stands on the northern cape of Halsoy. It was first lit in 1874 "
    "and is 32 metres tall. The lamp was electrified in 1931 and automated in 1978. "
    "Its keeper, Ingrid Moe, kept a logbook of every storm between 1890 and 1921."
)
SUPPORTED = (
    "The Varnholt lighthouse was first lit in 1874 and is 32 metres tall. "
    "Its lamp was electrified in 1931."
)
UNSUPPORTED = (
    "The Varnholt lighthouse was first lit in 1874. It was designed by the Scottish engineer "
    "Robert Stevenson, who also painted it bright red with funds from King Haakon."
)


def test_default_is_the_learned_scorer() -> None:
    assert DEFAULT_SCORER == "learned"
    assert {"learned", "overlap", "cross-encoder", "llm-judge"} <= set(list_scorers())
    assert 0.0 < get_scorer().threshold < 1.0


def test_supported_answer_scores_above_unsupported() -> None:
    good, bad = check_many([(SUPPORTED, [SOURCE]), (UNSUPPORTED, [SOURCE])])
    assert good.checker == bad.checker == "learned@2"
    assert good.score > bad.score + 0.2
    assert good.supported and not bad.supported
    assert bad.claims[0].score > bad.claims[1].score  # the invented claim is the weak one
    assert bad.claims[0].citations == [1] and bad.claims[1].citations == []
    flagged = " ".join(span.text for span in bad.unsupported_spans)
    assert "Stevenson" in flagged and "1874" not in flagged


def test_report_is_consistent_with_the_answer() -> None:
    report = check(UNSUPPORTED, [SOURCE, "An unrelated note about tides."])
    assert report.score == pytest.approx(min(c.score for c in report.claims))
    for claim in report.claims:
        assert UNSUPPORTED[claim.start : claim.end] == claim.text
        assert all(1 <= i <= 2 for i in claim.citations)
    for span in report.unsupported_spans:
        assert UNSUPPORTED[span.start : span.end] == span.text
    threshold = get_scorer().threshold
    assert report.supported == (report.score >= threshold)


def test_explicit_threshold_overrides_the_scorer() -> None:
    assert check(UNSUPPORTED, [SOURCE], threshold=0.0).supported
    assert not check(SUPPORTED, [SOURCE], threshold=1.0).supported
    with pytest.raises(InputError, match="outside"):
        check(SUPPORTED, [SOURCE], threshold=1.5)


@pytest.mark.parametrize("scorer", ["learned", "overlap"])
def test_empty_inputs_are_clear_errors(scorer: str) -> None:
    with pytest.raises(InputError, match="answer is empty"):
        check("   ", [SOURCE], scorer=scorer)
    with pytest.raises(InputError, match="no sources"):
        check(SUPPORTED, [], scorer=scorer)
    with pytest.raises(InputError, match="no sources"):
        check(SUPPORTED, ["", "  "], scorer=scorer)


def test_unknown_scorer_names_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"choose one of: .*learned"):
        get_scorer("nli-magic")


def test_flattened_forest_matches_scikit_learn() -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5))
    y = (x[:, 0] + x[:, 1] * x[:, 2] > 0).astype(int)
    x[rng.random(400) < 0.2, 1] = np.nan  # missing values learned to go either way
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(x, y)
    forest = Forest.from_sklearn(model)
    assert forest.missing_left[~forest.is_leaf].any()
    assert not forest.missing_left[~forest.is_leaf].all()
    test = rng.normal(size=(200, 5))
    test[:5, 3] = np.nan
    test[rng.random(200) < 0.2, 1] = np.nan
    assert np.allclose(forest.predict(test), model.predict_proba(test)[:, 1], atol=1e-9)
    restored = Forest.from_arrays(forest.to_arrays("t"), "t")
    assert np.allclose(restored.predict(test), forest.predict(test))


def test_a_refusal_claims_nothing_so_it_is_not_a_hallucination() -> None:
    report = check("The sources do not answer this question.", [SOURCE])
    assert (report.score, report.supported, report.claims) == (1.0, True, [])
    # a refusal followed by a claim is checked as usual
    mixed = check("The sources do not answer this. Robert Stevenson painted it red.", [SOURCE])
    assert mixed.claims and not mixed.supported
