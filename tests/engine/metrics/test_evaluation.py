"""Metrics against values worked out by hand on tiny cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import f1_score

from genre_core.errors import DataError
from genre_core.metrics.evaluation import (
    baseline_accuracies,
    bootstrap_intervals,
    confusion_counts,
    evaluate,
    pr_curves,
    roc_curves,
    row_normalised,
    scores,
    top_k_accuracy,
)

CLASSES = ("a", "b", "c")
TRUE = ["a", "a", "b", "b", "c"]
PRED = ["a", "b", "b", "b", "c"]
# rows: a a b b c; the most probable class is PRED, the true class is 2nd for row 2
PROBA = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.3, 0.6, 0.1],
        [0.2, 0.5, 0.3],
        [0.1, 0.8, 0.1],
        [0.2, 0.2, 0.6],
    ]
)


def test_scores_match_hand_computation():
    m = scores(TRUE, PRED, PROBA, CLASSES)
    assert m["accuracy"] == pytest.approx(4 / 5)
    # recalls a 1/2, b 1, c 1
    assert m["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert m["recall_macro"] == pytest.approx((0.5 + 1 + 1) / 3)
    # precisions a 1, b 2/3, c 1
    assert m["precision_macro"] == pytest.approx((1 + 2 / 3 + 1) / 3)
    # F1 a 2/3, b 4/5, c 1; weights by support 2, 2, 1
    assert m["f1_macro"] == pytest.approx((2 / 3 + 4 / 5 + 1) / 3)
    assert m["f1_weighted"] == pytest.approx((2 * 2 / 3 + 2 * 4 / 5 + 1) / 5)
    # F2 = 5PR / (4P + R): a 5*1*0.5/4.5, b 5*(2/3)/(8/3+1)
    assert m["f2_macro"] == pytest.approx((2.5 / 4.5 + (10 / 3) / (11 / 3) + 1) / 3)
    expected_loss = -np.mean(np.log([0.7, 0.3, 0.5, 0.8, 0.6]))
    assert m["log_loss"] == pytest.approx(expected_loss)
    assert m["top2_accuracy"] == pytest.approx(1.0)


def test_top_k_accuracy_counts_second_guesses():
    proba = np.array([[0.5, 0.3, 0.2], [0.5, 0.3, 0.2], [0.5, 0.3, 0.2]])
    assert top_k_accuracy(["a", "b", "c"], proba, CLASSES, k=1) == pytest.approx(1 / 3)
    assert top_k_accuracy(["a", "b", "c"], proba, CLASSES, k=2) == pytest.approx(2 / 3)


def test_confusion_counts_and_row_shares():
    cm = confusion_counts(TRUE, PRED, CLASSES)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [0, 0, 1]]
    shares = row_normalised(np.array([[1, 1, 0], [0, 0, 0], [0, 0, 4]]))
    assert shares.tolist() == [[0.5, 0.5, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]


def test_baselines_use_the_training_shares():
    base = baseline_accuracies(["a", "a", "a", "b"], ["a", "b", "b", "c"], CLASSES)
    assert base["random"] == pytest.approx(1 / 3)
    assert base["majority"] == pytest.approx(1 / 4)  # always "a": right once in four
    assert base["stratified"] == pytest.approx(0.75 * 0.25 + 0.25 * 0.5)


def test_pr_and_roc_areas_on_separable_and_reversed_scores():
    y = ["a", "a", "b", "b"]
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    assert [c.area for c in pr_curves(y, proba, ("a", "b"))] == [1.0, 1.0]
    assert [c.area for c in roc_curves(y, proba, ("a", "b"))] == [1.0, 1.0]
    flipped = proba[:, ::-1]
    assert roc_curves(y, flipped, ("a", "b"))[0].area == 0.0
    # average precision of ranking both negatives first: (1/3 + 2/4) / 2
    assert pr_curves(y, flipped, ("a", "b"))[0].area == pytest.approx((1 / 3 + 2 / 4) / 2)


def test_bootstrap_matches_a_slow_loop_over_the_same_resamples():
    rng = np.random.default_rng(3)
    true = rng.choice(list(CLASSES), 60)
    pred = np.where(rng.random(60) < 0.6, true, rng.choice(list(CLASSES), 60))
    got = bootstrap_intervals(true, pred, CLASSES, n_boot=150, seed=7)
    rows = np.random.default_rng(7).integers(0, 60, size=(150, 60))
    acc = [(true[r] == pred[r]).mean() for r in rows]
    f1 = [
        f1_score(true[r], pred[r], labels=list(CLASSES), average="macro", zero_division=0)
        for r in rows
    ]
    assert got["accuracy"] == pytest.approx((np.percentile(acc, 2.5), np.percentile(acc, 97.5)))
    assert got["f1_macro"] == pytest.approx((np.percentile(f1, 2.5), np.percentile(f1, 97.5)))


def test_bootstrap_is_degenerate_when_every_prediction_is_right_and_narrows_with_rows():
    assert bootstrap_intervals(TRUE, TRUE, CLASSES, n_boot=50)["accuracy"] == (1.0, 1.0)
    rng = np.random.default_rng(0)
    widths = []
    for n in (100, 10_000):
        true = rng.choice(list(CLASSES), n)
        pred = np.where(rng.random(n) < 0.5, true, "a")
        low, high = bootstrap_intervals(true, pred, CLASSES, n_boot=300)["accuracy"]
        assert low < (true == pred).mean() < high
        widths.append(high - low)
    assert widths[1] < widths[0] / 5


def test_evaluate_gathers_everything_and_the_gap():
    ev = evaluate(
        TRUE,
        PROBA,
        CLASSES,
        y_train=["a", "b", "c", "c"],
        train_pred=["a", "b", "c", "c"],
        n_boot=100,
    )
    assert ev.metrics["accuracy"] == pytest.approx(0.8)
    assert ev.train_accuracy == 1.0 and ev.gap == pytest.approx(0.2)
    assert ev.confusion.sum() == 5
    assert list(ev.per_genre["genre"]) == list(CLASSES)
    assert ev.per_genre["support"].tolist() == [2, 2, 1]
    assert ev.baselines["majority"] == pytest.approx(1 / 5)  # "c" is the training majority
    assert not math.isnan(ev.per_genre["pr_auc"].iloc[0])


def test_evaluate_rejects_unknown_labels_and_wrong_shapes():
    with pytest.raises(DataError, match="'z'"):
        evaluate(["a", "z"], np.full((2, 3), 1 / 3), CLASSES)
    with pytest.raises(DataError, match="shape"):
        evaluate(["a"], np.full((2, 3), 1 / 3), CLASSES)
