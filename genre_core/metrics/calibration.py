"""Calibration and abstention: does a model's confidence mean what it says?

:func:`calibration` bins the test rows by the model's confidence in its own answer (the
probability it gives the genre it predicts) and compares each bin's mean confidence with its
accuracy (a reliability diagram); the expected calibration error (ECE) is their gap, weighted by
the rows in each bin. The risk-coverage curve answers "if the model only answered when at least
p sure": for every threshold, the share of tracks it answers (coverage) and its accuracy on them.
A Bayesian model can rank its answers by predictive entropy instead (:func:`risk_coverage` with
``ranked_by="entropy"``: the lower the entropy, the surer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

BINS = 10
CURVE_POINTS = 200  # the risk-coverage curve is thinned to about this many points


@dataclass(frozen=True)
class RiskCoverage:
    """A risk-coverage curve: answering the surest tracks first, the share answered
    (``coverage``), the ``accuracy`` on them and the ``threshold`` answering them (the score
    of the last track answered: a confidence at least this, an entropy at most this), arrays
    from the surest answers to all of them. ``ranked_by``: "confidence" (the probability of
    the predicted genre, higher is surer) or "entropy" (predictive entropy, lower is surer)."""

    coverage: np.ndarray
    accuracy: np.ndarray
    threshold: np.ndarray
    ranked_by: str = "confidence"

    def accuracy_at(self, coverage: float) -> float:
        """Accuracy when the model answers the ``coverage`` share it is surest of."""
        return float(np.interp(coverage, self.coverage, self.accuracy))


def risk_coverage(
    correct: np.ndarray, score: np.ndarray, ranked_by: str = "confidence"
) -> RiskCoverage:
    """The :class:`RiskCoverage` of answers ``correct`` (booleans) ranked by ``score``: higher
    is surer for ``ranked_by="confidence"``, lower for ``"entropy"``. Ties keep the rows'
    order; the curve starts at 1% of the tracks (at least 10), thinned to about
    :data:`CURVE_POINTS` points.

    Raises
    ------
    ValueError
        For another ``ranked_by``, or ``score`` and ``correct`` of different lengths.
    """
    if ranked_by not in ("confidence", "entropy"):
        raise ValueError(f"ranked_by must be 'confidence' or 'entropy', not {ranked_by!r}.")
    correct = np.asarray(correct, dtype=float)
    score = np.asarray(score, dtype=float)
    if score.shape != correct.shape:
        raise ValueError(f"{len(score)} scores for {len(correct)} answers.")
    order = np.argsort(score if ranked_by == "entropy" else -score, kind="stable")
    answered = np.arange(1, len(order) + 1)
    accuracy = np.cumsum(correct[order]) / answered
    # from 1% of the tracks (at least 10) on: the accuracy of the first few answers is noise
    first = min(len(order) - 1, max(9, int(np.ceil(0.01 * len(order))) - 1))
    keep = np.unique(
        np.r_[np.linspace(first, len(order) - 1, CURVE_POINTS).astype(int), len(order) - 1]
    )
    return RiskCoverage(
        coverage=answered[keep] / len(order),
        accuracy=accuracy[keep],
        threshold=score[order][keep],
        ranked_by=ranked_by,
    )


@dataclass(frozen=True)
class Calibration:
    """``bins``: one row per non-empty confidence bin (``low``, ``high``, ``confidence``: mean
    confidence, ``accuracy``, ``rows``); ``ece``; the risk-coverage curve as ``coverage``,
    ``accuracy`` of the answered tracks and the ``threshold`` answering them (arrays, most
    confident first)."""

    bins: pd.DataFrame
    ece: float
    coverage: np.ndarray
    accuracy: np.ndarray
    threshold: np.ndarray

    def accuracy_at(self, coverage: float) -> float:
        """Accuracy when the model answers the ``coverage`` share it is surest of."""
        return float(np.interp(coverage, self.coverage, self.accuracy))

    @property
    def curve(self) -> RiskCoverage:
        """The risk-coverage curve alone."""
        return RiskCoverage(self.coverage, self.accuracy, self.threshold)


def calibration(
    y_true: Sequence,
    y_pred: Sequence,
    proba: np.ndarray,
    classes: Sequence[str],
    *,
    confidence: np.ndarray | None = None,
    bins: int = BINS,
) -> Calibration:
    """Reliability bins, ECE and the risk-coverage curve of one model's test predictions.

    ``confidence`` ranks the answers for the risk-coverage curve (default: the probability of
    the predicted genre, which also gives the reliability bins)."""
    classes = [str(c) for c in classes]
    true = np.asarray([str(v) for v in y_true])
    pred = np.asarray([str(v) for v in y_pred])
    proba = np.asarray(proba, dtype=float)
    column = {c: i for i, c in enumerate(classes)}
    picked = np.array([column.get(p, -1) for p in pred])
    sure = np.where(picked >= 0, proba[np.arange(len(pred)), np.maximum(picked, 0)], 0.0)
    correct = (true == pred).astype(float)

    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(sure, edges[1:-1], right=True), 0, bins - 1)
    table = (
        pd.DataFrame({"bin": which, "confidence": sure, "accuracy": correct})
        .groupby("bin")
        .agg(
            confidence=("confidence", "mean"),
            accuracy=("accuracy", "mean"),
            rows=("accuracy", "size"),
        )  # fmt: skip
        .reset_index()
    )
    table.insert(1, "low", edges[table["bin"]])
    table.insert(2, "high", edges[table["bin"] + 1])
    table = table.drop(columns="bin")
    ece = float((table["rows"] / len(true) * (table["accuracy"] - table["confidence"]).abs()).sum())

    ranking = sure if confidence is None else np.asarray(confidence, dtype=float)
    curve = risk_coverage(correct, ranking)
    return Calibration(
        bins=table,
        ece=ece,
        coverage=curve.coverage,
        accuracy=curve.accuracy,
        threshold=curve.threshold,
    )
