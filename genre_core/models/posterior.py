"""What a posterior shows that a point estimate does not: coefficient intervals per genre, ARD
relevances, the most uncertain tracks, and the point-estimate logistic regression on the same
rows (Model 1's maximum a posteriori estimate) side by side.

Pure numbers and tables over a :class:`~genre_core.models.bayes.BayesFit`; the figures are in
:mod:`genre_core.plots.bayes`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from genre_core.errors import DataError
from genre_core.models.bayes import (
    MODEL_TITLES,
    BayesFit,
    Predictions,
    entropy,
    metrics,
    predict,
)
from genre_core.models.bayes_data import REPORT_PREP, Prepared


def forest_table(fitted: BayesFit, genre: str, level: float = 0.9) -> pd.DataFrame:
    """One genre's coefficient posterior per feature: mean and central ``level`` interval.

    Coefficients are shown relative to the average genre (β of this genre minus the mean β
    over genres): adding a constant to a feature's β in every genre changes no prediction, so
    only these differences are learned from the data.
    """
    if not fitted.linear:
        raise DataError("a network has no per-feature coefficients; choose a linear model.")
    if genre not in fitted.classes:
        raise DataError(f"genre '{genre}' is not one the model was fitted on.")
    beta = fitted.draws["beta"]
    centred = beta[..., fitted.classes.index(genre)] - beta.mean(axis=-1)
    tail = (1 - level) / 2
    return pd.DataFrame(
        {
            "feature": fitted.features,
            "mean": centred.mean(axis=0),
            "low": np.quantile(centred, tail, axis=0),
            "high": np.quantile(centred, 1 - tail, axis=0),
        }
    )


def relevance_table(fitted: BayesFit, level: float = 0.9) -> pd.DataFrame:
    """ARD relevances: the posterior of each feature's σβ (median and interval), largest first."""
    if fitted.config.model != "ard":
        raise DataError("feature relevances come from the ARD model (Model 4).")
    sigma = fitted.draws["sigma_beta"]
    tail = (1 - level) / 2
    table = pd.DataFrame(
        {
            "feature": fitted.features,
            "relevance": np.median(sigma, axis=0),
            "low": np.quantile(sigma, tail, axis=0),
            "high": np.quantile(sigma, 1 - tail, axis=0),
        }
    )
    return table.sort_values("relevance", ascending=False, ignore_index=True)


def uncertain_tracks(
    frame: pd.DataFrame,
    data: Prepared,
    predictions: Predictions,
    *,
    columns: Sequence[str] = (),
    top: int = 15,
) -> pd.DataFrame:
    """The ``top`` test tracks with the most uncertain prediction (highest entropy).

    ``columns`` (titles, artists) are copied from ``frame``'s test rows to name the tracks.
    """
    names = np.asarray(data.classes)
    best = predictions.proba.argmax(1)
    table = frame.iloc[data.test_rows][[c for c in columns if c in frame.columns]].copy()
    table = table.assign(
        genre=names[data.y_test],
        predicted=names[best],
        probability=predictions.proba[np.arange(len(best)), best],
        entropy=predictions.entropy,
        model_uncertainty=predictions.mutual_information,
    )
    return table.sort_values("entropy", ascending=False).head(top).reset_index(drop=True)


def point_estimate(data: Prepared, C: float = 25.0, seed: int = 0):
    """The project's logistic regression (:mod:`genre_core.models.classical`) fitted on the same
    rows.

    ``C = 25`` makes its L2 penalty that of the N(0, 5) prior of Model 1, so it is Model 1's
    maximum a posteriori estimate: one point where the posterior has a whole distribution.

    Returns
    -------
    tuple
        The fitted pipeline and its test probabilities (columns in ``data.classes`` order).
    """
    from genre_core.models.classical import make_model as make_classical

    names = np.asarray(data.classes)
    pipeline = make_classical("logreg", {"C": C}, REPORT_PREP, seed)
    pipeline.fit(data.raw_train, names[data.y_train])
    proba = np.zeros((len(data.y_test), len(names)))
    known = [data.classes.index(str(c)) for c in pipeline.classes_]
    proba[:, known] = pipeline.predict_proba(data.raw_test)
    return pipeline, proba


def comparison_table(
    data: Prepared, fitted: BayesFit, predictions: Predictions, C: float = 25.0
) -> pd.DataFrame:
    """Posterior predictive against the point-estimate logistic regression on the same rows.

    Returns
    -------
    DataFrame
        One row per model: ``accuracy``, ``log_loss``, ``mean_entropy``, ``train_accuracy``.
    """
    pipeline, proba = point_estimate(data, C, fitted.config.seed)
    point = Predictions(proba, entropy(proba), entropy(proba))
    names = np.asarray(data.classes)
    train_point = float((pipeline.predict(data.raw_train) == names[data.y_train]).mean())
    train_bayes = float((predict(fitted, data.X_train).proba.argmax(1) == data.y_train).mean())
    rows = [
        {
            "model": f"Bayesian: {MODEL_TITLES[fitted.config.model]} "
            f"({fitted.config.inference.upper()})",
            **metrics(data.y_test, predictions, data.classes),
            "train_accuracy": train_bayes,
        },
        {
            "model": f"point estimate: logistic regression (C={C:g})",
            **metrics(data.y_test, point, data.classes),
            "train_accuracy": train_point,
        },
    ]
    return pd.DataFrame(rows)


def point_coefficients(data: Prepared, C: float = 25.0, seed: int = 0) -> np.ndarray:
    """The point-estimate logistic regression's coefficients (features × genres), centred."""
    pipeline, _ = point_estimate(data, C, seed)
    estimator = pipeline[-1]
    coef = np.zeros((len(data.features), len(data.classes)))
    for row, genre in zip(estimator.coef_, estimator.classes_, strict=True):
        coef[:, data.classes.index(str(genre))] = row
    return coef - coef.mean(axis=1, keepdims=True)


def centred_coefficients(fitted: BayesFit) -> np.ndarray:
    """The posterior draws of β relative to the average genre (draws × features × genres): the
    part of the coefficients the data identify (see :func:`forest_table`)."""
    if not fitted.linear:
        raise DataError("a network has no per-feature coefficients; choose a linear model.")
    beta = fitted.draws["beta"]
    return beta - beta.mean(axis=-1, keepdims=True)
