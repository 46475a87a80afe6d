"""Calibration: reliability bins, expected calibration error and the risk-coverage curve."""

from __future__ import annotations

import numpy as np
import pytest

from genre_core.metrics.calibration import calibration
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
