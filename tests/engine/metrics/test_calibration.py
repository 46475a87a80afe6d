"""Calibration: reliability bins, expected calibration error and the risk-coverage curve."""

from __future__ import annotations

import numpy as np
import pytest

from genre_core.metrics.calibration import calibration, risk_coverage
from genre_core.plots.calibration import reliability_figure, risk_coverage_figure

CLASSES = ("pop", "rock", "rap")


def sampled(n: int, sharpen: float, seed: int = 0):
    """Labels drawn from the model's own probabilities (a calibrated model), then the
    probabilities sharpened (``sharpen`` > 1: overconfident) or kept."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 1.5, (n, len(CLASSES)))
    truth = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    true = [CLASSES[rng.choice(3, p=p)] for p in truth]
    shown = truth**sharpen
    shown /= shown.sum(1, keepdims=True)
    pred = [CLASSES[i] for i in shown.argmax(1)]
    return true, pred, shown


def test_a_calibrated_model_has_a_small_error_and_an_overconfident_one_a_large_one():
    calibrated = calibration(*sampled(20_000, 1.0), CLASSES)
    overconfident = calibration(*sampled(20_000, 4.0), CLASSES)
    assert calibrated.ece < 0.02
    assert overconfident.ece > 0.1
    bins = overconfident.bins
    assert bins["rows"].sum() == 20_000 and (bins["confidence"] > bins["accuracy"]).mean() > 0.7


def test_the_error_is_computed_by_hand_on_four_rows():
    proba = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.3, 0.6, 0.1], [0.3, 0.6, 0.1]])
    true = ["pop", "rock", "rock", "rock"]
    result = calibration(true, ["pop", "pop", "rock", "rock"], proba, CLASSES)
    # bin (0.8, 0.9]: confidence 0.9, accuracy 0.5; bin (0.5, 0.6]: 0.6 and 1.0
    assert result.ece == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)
    assert list(result.bins["rows"]) == [2, 2]


def test_answering_only_the_surest_tracks_is_more_accurate():
    result = calibration(*sampled(5_000, 1.0), CLASSES)
    assert result.coverage[-1] == 1.0
    assert result.accuracy_at(0.2) > result.accuracy_at(1.0) + 0.1
    assert np.all(np.diff(result.threshold) <= 0)  # surest first


def test_an_own_ranking_orders_the_curve():
    true, pred, proba = sampled(2_000, 1.0)
    entropy = -(proba * np.log(proba)).sum(1)
    result = calibration(true, pred, proba, CLASSES, confidence=-entropy)
    assert result.accuracy_at(0.2) > result.accuracy_at(1.0)


def test_the_figures_draw_the_bins_and_the_curve():
    result = calibration(*sampled(2_000, 2.0), CLASSES)
    figure = reliability_figure(result)
    assert "expected calibration error" in figure.layout.title.text
    assert len(figure.data[1].x) == len(result.bins)
    assert len(risk_coverage_figure(result).data[0].x) == len(result.coverage)


def crafted_rows(n: int = 40):
    """Two kinds of answers: a flat spread with the higher top probability (0.6, 0.2, 0.2),
    always wrong, and a two-way doubt with a lower one but less entropy (0.55, 0.45, 0),
    always right."""
    flat = np.tile([0.6, 0.2, 0.2], (n, 1))
    doubt = np.tile([0.55, 0.45, 0.0], (n, 1))
    proba = np.r_[flat, doubt]
    entropy = -(proba * np.log(proba, where=proba > 0, out=np.zeros_like(proba))).sum(1)
    correct = np.r_[np.zeros(n, bool), np.ones(n, bool)]
    return proba, entropy, correct


def test_entropy_ranks_the_answers_otherwise_than_the_top_probability():
    proba, entropy, correct = crafted_rows()
    by_probability = risk_coverage(correct, proba.max(1))
    by_entropy = risk_coverage(correct, entropy, ranked_by="entropy")
    # the top probability answers the flat (wrong) rows first, entropy the doubtful (right) ones
    assert by_probability.accuracy_at(0.5) == 0.0
    assert by_entropy.accuracy_at(0.5) == 1.0
    assert by_entropy.accuracy_at(1.0) == by_probability.accuracy_at(1.0) == 0.5
    assert np.all(np.diff(by_entropy.threshold) >= 0)  # entropy at most this: growing
    assert by_entropy.ranked_by == "entropy"
    with pytest.raises(ValueError, match="ranked_by"):
        risk_coverage(correct, entropy, ranked_by="variance")


def test_a_calibrations_curve_is_its_top_probability_ranking():
    true, pred, proba = sampled(2_000, 1.0)
    result = calibration(true, pred, proba, CLASSES)
    correct = np.asarray(true) == np.asarray(pred)
    again = risk_coverage(correct, proba.max(1))
    assert np.array_equal(result.curve.accuracy, again.accuracy)
    assert np.array_equal(result.curve.coverage, again.coverage)


def test_the_abstention_figure_draws_both_rankings_named():
    proba, entropy, correct = crafted_rows()
    figure = risk_coverage_figure(
        risk_coverage(correct, proba.max(1)),
        also=[risk_coverage(correct, entropy, ranked_by="entropy")],
    )
    assert [t.name for t in figure.data] == [
        "ranked by confidence (top probability)",
        "ranked by predictive entropy",
    ]
    assert "entropy at most" in figure.data[1].hovertemplate
    by_probability, by_entropy = (np.interp(0.5, t.x, t.y) for t in figure.data)
    assert (by_probability, by_entropy) == (0.0, 1.0)
    assert figure.layout.showlegend
