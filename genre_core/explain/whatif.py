"""What-if: every genre's probability for a track whose features are edited.

:func:`what_if` works for any fitted model with ``predict_proba`` over the raw features;
:func:`posterior_band` gives a Bayesian posterior's probabilities with their band over the
posterior draws (one softmax per draw: cheap for a single track).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from genre_core.errors import DataError


def edited(x: np.ndarray, features: Sequence[str], changes: Mapping[str, float]) -> np.ndarray:
    """A copy of the raw row ``x`` with ``changes`` (``{feature: new value}``) applied.

    Raises
    ------
    DataError
        Naming a feature the model does not read.
    """
    names = [str(f) for f in features]
    row = np.array(x, dtype=float).reshape(-1)
    if len(row) != len(names):
        raise DataError(f"the track has {len(row)} values for {len(names)} features.")
    for feature, value in changes.items():
        if feature not in names:
            raise DataError(f"the model does not read a feature '{feature}'.")
        row[names.index(feature)] = float(value)
    return row


def what_if(
    pipeline, features: Sequence[str], x: np.ndarray, changes: Mapping[str, float]
) -> pd.DataFrame:
    """Every genre's probability before and after editing the track.

    Parameters
    ----------
    pipeline
        A fitted model with ``predict_proba`` over the raw feature columns ``features``.
    x
        The track's raw feature values.
    changes
        ``{feature: new value}``; features not named keep their value.

    Returns
    -------
    DataFrame
        ``genre``, ``before``, ``after`` and ``change`` (after − before), in the model's genre
        order.
    """
    before = np.array(x, dtype=float).reshape(1, -1)
    after = edited(x, features, changes).reshape(1, -1)
    proba = pipeline.predict_proba(np.vstack([before, after]))
    return pd.DataFrame(
        {
            "genre": [str(c) for c in pipeline.classes_],
            "before": proba[0],
            "after": proba[1],
            "change": proba[1] - proba[0],
        }
    )


def posterior_band(fitted, x_scaled: np.ndarray, level: float = 0.9) -> pd.DataFrame:
    """A Bayesian posterior's genre probabilities for one scaled row: the mean over draws and
    the central ``level`` band of the draws' probabilities.

    Parameters
    ----------
    fitted
        A :class:`~genre_core.models.bayes.BayesFit`.
    x_scaled
        The track's features, imputed and scaled as the posterior's training rows were.

    Returns
    -------
    DataFrame
        ``genre``, ``mean``, ``low``, ``high``.
    """
    import torch

    from genre_core.models.bayes import latent_sites, logits, torch_threads

    x = torch.as_tensor(np.asarray(x_scaled, dtype=np.float32).reshape(1, -1))
    if x.shape[1] != len(fitted.features):
        raise DataError(f"the track has {x.shape[1]} values for {len(fitted.features)} features.")
    sites = {k: torch.from_numpy(np.asarray(fitted.draws[k])) for k in latent_sites(fitted.config)}
    with torch.no_grad(), torch_threads():
        draws = torch.softmax(logits(fitted.config.model, sites, x), dim=-1).double().numpy()
    draws = draws.reshape(-1, len(fitted.classes))  # draws × genres for the one row
    tail = (1 - level) / 2
    return pd.DataFrame(
        {
            "genre": list(fitted.classes),
            "mean": draws.mean(axis=0),
            "low": np.quantile(draws, tail, axis=0),
            "high": np.quantile(draws, 1 - tail, axis=0),
        }
    )


class PosteriorClassifier(ClassifierMixin, BaseEstimator):
    """A fitted Bayesian posterior as a classifier over the raw features: its preprocessor
    (the imputer and scaler fitted on its training rows), then the posterior predictive. So
    SHAP, the what-if, the counterfactual and permutation importance treat it like any model;
    :meth:`band` adds the spread over the posterior draws.

    Parameters
    ----------
    fitted
        A :class:`~genre_core.models.bayes.BayesFit`.
    preprocessor
        The fitted transformer from raw feature rows to the posterior's scaled inputs
        (:attr:`~genre_core.models.bayes_data.Prepared.preprocessor`).
    """

    def __init__(self, fitted, preprocessor):
        self.fitted = fitted
        self.preprocessor = preprocessor
        self.classes_ = np.asarray(fitted.classes)
        self.n_features_in_ = len(fitted.features)

    def fit(self, X, y):
        raise DataError("a posterior is fitted on the Bayesian page, not here.")

    def _scaled(self, X) -> np.ndarray:
        return self.preprocessor.transform(np.asarray(X, dtype=float))

    def predict_proba(self, X) -> np.ndarray:
        from genre_core.models.bayes import predict

        return predict(self.fitted, self._scaled(X)).proba

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def band(self, x: np.ndarray, level: float = 0.9) -> pd.DataFrame:
        """:func:`posterior_band` of the raw row ``x``."""
        return posterior_band(self.fitted, self._scaled(np.reshape(x, (1, -1))), level)


__all__ = ["PosteriorClassifier", "edited", "posterior_band", "what_if"]
