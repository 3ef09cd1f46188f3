"""Eval metrics: hand-computable cases exactly, and agreement with scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as sk

from grounding.evaluation.compare import paired_bootstrap_f1
from grounding.evaluation.metrics import (
    auroc,
    average_precision,
    best_f1_threshold,
    calibration,
    example_metrics,
    pr_curve,
    roc_curve,
    span_metrics,
)


def test_hand_computed_example_metrics():
    labels = [1, 1, 1, 0, 0, 0, 0, 0]
    predicted = [1, 1, 0, 1, 0, 0, 0, 0]
    scores = [0.9, 0.8, 0.3, 0.7, 0.2, 0.1, 0.1, 0.0]
    m = example_metrics(labels, predicted, scores)
    assert (m.tp, m.fp, m.tn, m.fn) == (2, 1, 4, 1)
    assert m.precision == pytest.approx(2 / 3)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 / 3)
    assert m.balanced_accuracy == pytest.approx((2 / 3 + 4 / 5) / 2)
    # positives rank above 4 of 5 negatives (0.9, 0.8) and 3 of 5 (0.3, tied 0.1s below): 14/15
    assert m.auroc == pytest.approx(14 / 15)


def test_one_class_only_leaves_auroc_undefined():
    m = example_metrics([0, 0, 0], [0, 1, 0], [0.1, 0.6, 0.2])
    assert m.auroc is None and m.auprc is None
    assert m.precision == 0.0 and m.recall == 0.0 and m.f1 == 0.0


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    n = 400
    labels = rng.integers(0, 2, n)
    # coarse scores make many ties, the hard case for ranks and curves
    scores = np.round(np.clip(labels * 0.3 + rng.random(n) * 0.8, 0, 1), 1)
    predicted = (scores > 0.5).astype(int)
    m = example_metrics(labels, predicted, scores)
    assert m.precision == pytest.approx(sk.precision_score(labels, predicted), abs=1e-12)
    assert m.recall == pytest.approx(sk.recall_score(labels, predicted), abs=1e-12)
    assert m.f1 == pytest.approx(sk.f1_score(labels, predicted), abs=1e-12)
    assert m.accuracy == pytest.approx(sk.accuracy_score(labels, predicted), abs=1e-12)
    assert m.balanced_accuracy == pytest.approx(
        sk.balanced_accuracy_score(labels, predicted), abs=1e-12
    )
    assert m.auroc == pytest.approx(sk.roc_auc_score(labels, scores), abs=1e-12)
    assert auroc(labels, scores) == pytest.approx(sk.roc_auc_score(labels, scores), abs=1e-12)
    assert average_precision(labels, scores) == pytest.approx(
        sk.average_precision_score(labels, scores), abs=1e-12
    )
    fpr, tpr, _ = roc_curve(labels, scores)
    sk_fpr, sk_tpr, _ = sk.roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    precision, recall, thresholds = pr_curve(labels, scores)
    sk_p, sk_r, sk_t = sk.precision_recall_curve(labels, scores, drop_intermediate=False)
    # scikit-learn orders by ascending threshold and appends (1, 0)
    np.testing.assert_allclose(precision[::-1], sk_p[:-1])
    np.testing.assert_allclose(recall[::-1], sk_r[:-1])
    np.testing.assert_allclose(thresholds[::-1], sk_t)


def test_best_threshold_is_the_f1_maximum_over_all_thresholds():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 300)
    support = np.round(np.clip(1 - labels * 0.3 - rng.random(300) * 0.7, 0, 1), 2)
    best = best_f1_threshold(labels, support)
    brute = max(
        (sk.f1_score(labels, support < t, zero_division=0), -t) for t in np.r_[support, 1.0]
    )
    assert best.f1 == pytest.approx(brute[0], abs=1e-12)
    assert best.threshold == pytest.approx(-brute[1])
    assert sk.f1_score(labels, support < best.threshold) == pytest.approx(best.f1)


def test_span_metrics_count_characters_micro_averaged():
    # row 1: gold 0-10, predicted 5-15 -> overlap 5; row 2: gold 0-4, nothing predicted
    m = span_metrics([[(0, 10)], [(0, 4)]], [[(5, 15)], []])
    assert (m.gold_chars, m.predicted_chars, m.overlap_chars) == (14, 10, 5)
    assert m.precision == pytest.approx(0.5)
    assert m.recall == pytest.approx(5 / 14)
    assert m.f1 == pytest.approx(2 * 0.5 * (5 / 14) / (0.5 + 5 / 14))
    # overlapping predicted spans are not counted twice
    assert span_metrics([[(0, 4)]], [[(0, 3), (2, 4)]]).predicted_chars == 4


def test_calibration_bins_and_ece():
    cal = calibration([0, 1, 1, 0], [0.05, 0.95, 0.55, 0.45], bins=2)
    assert cal.counts == [2, 2]
    assert cal.mean_predicted == pytest.approx([0.25, 0.75])
    assert cal.observed_rate == pytest.approx([0.0, 1.0])
    assert cal.ece == pytest.approx((2 * 0.25 + 2 * 0.25) / 4)


def test_paired_bootstrap_sees_a_real_difference_and_no_difference():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 500)
    good = np.where(rng.random(500) < 0.9, labels, 1 - labels)
    bad = np.where(rng.random(500) < 0.6, labels, 1 - labels)
    difference, low, high, p = paired_bootstrap_f1(labels, bad, good, resamples=500)
    assert difference == pytest.approx(sk.f1_score(labels, good) - sk.f1_score(labels, bad))
    assert 0 < low < difference < high and p < 0.01
    same = paired_bootstrap_f1(labels, good, good, resamples=200)
    assert same == (0.0, 0.0, 0.0, 1.0)
