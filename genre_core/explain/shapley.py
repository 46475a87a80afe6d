"""SHAP values of one track: how much each feature moves the model's output for each genre.

The explainer follows the model: ``shap.TreeExplainer`` for XGBoost, the random forest and
histogram boosting (exact, from the trees), ``shap.LinearExplainer`` for logistic regression,
and a bounded ``shap.PermutationExplainer`` over the whole pipeline for the rest (SVM, KNN,
networks): a small background sample and a hard cap on model evaluations keep one track under
a second or two. Values are per input feature of the model (the numeric features, after their
imputer and scaler for trees and the linear model; the pipeline's raw input otherwise, which is
the same attribution since the preparation works column by column).

What the values add up to depends on the explainer, as SHAP defines it: the log-odds margin of
XGBoost, histogram boosting and logistic regression, the probability for the random forest and
the permutation explainer. ``base + values.sum() == output`` either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from genre_core.errors import DataError

BACKGROUND_ROWS = 30  # reference rows a masked feature is drawn from (permutation, linear)
PERMUTATIONS = 3  # forward-and-back permutations of the features: 2 * (d + 1) evaluations each
SCALES = {"tree-margin": "log-odds", "tree-proba": "probability", "linear": "log-odds"}


def _split(pipeline) -> tuple[object, object | None]:
    """The estimator and the preparation before it (None for a bare estimator)."""
    if isinstance(pipeline, Pipeline):
        return pipeline[-1], (pipeline[:-1] if len(pipeline) > 1 else None)
    return pipeline, None


def explainer_kind(pipeline) -> str:
    """``"tree"``, ``"linear"`` or ``"permutation"``: the explainer :class:`TrackExplainer`
    uses for this model."""
    from genre_core.models.classical import XGBLabelClassifier

    model, _ = _split(pipeline)
    if isinstance(model, XGBLabelClassifier | RandomForestClassifier):
        return "tree"
    if isinstance(model, HistGradientBoostingClassifier):
        return "tree"
    if isinstance(model, LogisticRegression):
        return "linear"
    return "permutation"


@dataclass(frozen=True)
class TrackExplanation:
    """SHAP values of one track for every genre.

    ``shap`` is features × genres; ``base`` and ``output`` one value per genre, with
    ``base + shap.sum(axis=0) == output`` on the explainer's ``scale`` ("probability" or
    "log-odds"). ``values`` are the track's feature values as the table holds them.
    """

    features: tuple[str, ...]
    classes: tuple[str, ...]
    values: np.ndarray
    shap: np.ndarray
    base: np.ndarray
    output: np.ndarray
    predicted: str
    kind: str
    scale: str

    def column(self, genre: str | None = None) -> int:
        """The position of ``genre`` (the predicted one by default) among the classes."""
        genre = self.predicted if genre is None else str(genre)
        if genre not in self.classes:
            raise DataError(
                f"genre '{genre}' is not one the model knows ({', '.join(self.classes)})."
            )
        return self.classes.index(genre)

    def table(self, genre: str | None = None) -> pd.DataFrame:
        """A tidy table for one genre (default: the predicted one): ``feature``, ``value``,
        ``shap``, largest effect first."""
        k = self.column(genre)
        table = pd.DataFrame(
            {"feature": list(self.features), "value": self.values, "shap": self.shap[:, k]}
        )
        order = np.argsort(-np.abs(table["shap"].to_numpy()), kind="stable")
        return table.iloc[order].reset_index(drop=True)


def background(reference: np.ndarray, rows: int = BACKGROUND_ROWS, seed: int = 0) -> np.ndarray:
    """The ``rows`` reference rows (drawn with ``seed``, kept in order) a
    :class:`TrackExplainer` explains against. Given them as its reference, with the same
    ``rows`` and ``seed``, it draws them all again: a page sends a job these few rows instead
    of the whole training part, for the same values."""
    reference = np.asarray(reference, dtype=float)
    rng = np.random.default_rng(seed)
    take = min(rows, len(reference))
    return reference[np.sort(rng.choice(len(reference), take, replace=False))]


class TrackExplainer:
    """Explains single tracks of one fitted model; build it once per model.

    Parameters
    ----------
    pipeline
        A fitted Pipeline (preparation, then a ``model`` step) or a bare classifier, with
        ``predict_proba`` over the raw feature columns ``features``.
    features
        The names of the model's input columns, in order.
    reference
        Raw rows of those columns (the training part): the background the linear and
        permutation explainers draw masked features from.
    background_rows
        How many reference rows, drawn with ``seed``, make the background.
    permutations
        The permutation explainer's budget: ``permutations * 2 * (d + 1)`` evaluations of the
        pipeline on ``background_rows`` rows each (the hard cap).
    cancel
        Anything with ``is_set()`` (a job's stop flag): the permutation explainer checks it
        before each evaluation of the model and raises
        :class:`~genre_core.runs.progress.Cancelled` when it is set.
    """

    def __init__(
        self,
        pipeline,
        features: Sequence[str],
        reference: np.ndarray,
        *,
        background_rows: int = BACKGROUND_ROWS,
        permutations: int = PERMUTATIONS,
        seed: int = 0,
        cancel=None,
    ):
        import shap

        self.pipeline = pipeline
        self.features = tuple(str(f) for f in features)
        self.classes = tuple(str(c) for c in pipeline.classes_)
        reference = np.asarray(reference, dtype=float)
        if reference.ndim != 2 or reference.shape[1] != len(self.features):
            raise DataError(
                f"the reference rows have {np.shape(reference)[-1]} columns; the model reads "
                f"{len(self.features)} features."
            )
        if not len(reference):
            raise DataError("no reference rows to explain against.")
        self.background = background(reference, background_rows, seed)
        take = len(self.background)
        self.kind = explainer_kind(pipeline)
        self.model, self.prep = _split(pipeline)
        if self.kind != "permutation" and self._prepared(self.background).shape[1] != len(
            self.features
        ):
            self.kind = "permutation"  # the preparation adds columns: explain the raw inputs
        self.max_evals = permutations * 2 * (len(self.features) + 1)
        if self.kind == "tree":
            from genre_core.models.classical import XGBLabelClassifier

            model = (
                self.model.booster_ if isinstance(self.model, XGBLabelClassifier) else self.model
            )
            self.explainer = shap.TreeExplainer(model)
            proba = isinstance(self.model, RandomForestClassifier)
            self.scale = SCALES["tree-proba" if proba else "tree-margin"]
        elif self.kind == "linear":
            self.explainer = shap.LinearExplainer(self.model, self._prepared(self.background))
            self.scale = SCALES["linear"]
        else:
            masker = shap.maskers.Independent(self.background, max_samples=take)
            self.explainer = shap.PermutationExplainer(
                _stoppable(self.pipeline.predict_proba, cancel), masker, seed=seed
            )
            self.scale = "probability"

    def _prepared(self, X: np.ndarray) -> np.ndarray:
        out = X if self.prep is None else self.prep.transform(X)
        return np.asarray(out.toarray() if hasattr(out, "toarray") else out, dtype=float)

    def explain(self, x: np.ndarray) -> TrackExplanation:
        """SHAP values of the raw feature row ``x`` for every genre."""
        x = np.asarray(x, dtype=float).reshape(1, -1)
        if x.shape[1] != len(self.features):
            raise DataError(
                f"the track has {x.shape[1]} values; the model reads {len(self.features)} features."
            )
        if self.kind == "permutation":
            result = self.explainer(x, max_evals=self.max_evals, silent=True)
        else:
            result = self.explainer(self._prepared(x))
        values, base = _per_class(result.values[0], result.base_values[0], len(self.classes))
        return TrackExplanation(
            self.features,
            self.classes,
            x[0],
            values,
            base,
            base + values.sum(axis=0),
            str(self.pipeline.predict(x)[0]),
            self.kind,
            self.scale,
        )


def _stoppable(predict, cancel):
    """``predict``, checking ``cancel`` before each call (itself when there is none)."""
    if cancel is None:
        return predict
    from genre_core.runs.progress import check_cancel

    def checked(X):
        check_cancel(cancel)
        return predict(X)

    return checked


def _per_class(values: np.ndarray, base, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """SHAP values as features × genres. A binary model with a single output (the margin of
    its second genre) gives the first genre the opposite margin."""
    values = np.asarray(values, dtype=float)
    base = np.atleast_1d(np.asarray(base, dtype=float))
    if values.ndim == 1:
        if n_classes != 2:
            raise DataError(f"the explainer gave one output for {n_classes} genres.")
        return np.column_stack([-values, values]), np.array([-base[0], base[0]])
    return values, base


__all__ = ["TrackExplainer", "TrackExplanation", "background", "explainer_kind"]
