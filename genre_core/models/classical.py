"""The classical model zoo: each model a scikit-learn Pipeline of preprocessing and estimator.

A :class:`ModelSpec` lists the hyperparameters that matter (type, default, range), so the Train
page draws its widgets and the CLI parses ``--param KEY=VALUE`` from the same table, and names
the settings the seed reports used as presets.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from genre_core.data.features import Layout, layout_preprocessor
from genre_core.data.preprocess import PrepConfig, make_preprocessor
from genre_core.errors import DataError
from genre_core.models.best import BEST_PARAMS
from genre_core.models.boosting import (  # noqa: F401 (XGBLabelClassifier: stored models name it here)
    XGBOOST_PARAMS,
    FitReport,
    XGBLabelClassifier,
    round_callback,
)
from genre_core.models.presets import BEST_PRESETS, BEST_TUNED
from genre_core.params import Param
from genre_core.runs.budget import threads

TREE_MODELS = ("rf", "xgboost", "hgb")
TREE_TEXT_COMPONENTS = 32  # principal components of the title embedding that trees see


# scikit-learn 1.9 deprecates SVC(probability=True); the "5-fold" calibration of
# SVMClassifier keeps libsvm's own Platt scaling for exact reproductions until 1.11 removes it.
warnings.filterwarnings(
    "ignore", message="The `probability` parameter was deprecated", category=FutureWarning
)


@dataclass(frozen=True)
class ModelSpec:
    """A model of the zoo: its hyperparameters, presets and estimator factory."""

    name: str
    title: str
    params: tuple[Param, ...]
    build: Callable[[dict, int], BaseEstimator]
    presets: dict[str, dict] = field(default_factory=dict)
    prep: PrepConfig = PrepConfig()
    note: str = ""
    # the estimator's keyword taking how many numeric columns lead its prepared input (the
    # others: title embeddings, an artist code), for a model that treats the blocks apart
    numeric_width: str | None = None

    @property
    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.params)
        raise DataError(f"{self.name} has no parameter '{name}'; its parameters are: {known}.")


FOREST_BATCHES = 10  # a forest grows in this many batches when its fit is reported
# what fit_pipeline reports a model's fit in
FIT_UNITS = {"xgboost": "round", "rf": "trees", "best": "round"}


def _fit_pair(X, y, low, high, C, gamma, weights, seed) -> SVC:
    """One binary SVC of the one-vs-one scheme: genre ``high`` (1) against genre ``low`` (0)."""
    rows = (y == low) | (y == high)
    binary = None if weights is None else {0: weights[low], 1: weights[high]}
    svc = SVC(kernel="rbf", C=C, gamma=gamma, class_weight=binary, cache_size=500)
    return svc.set_params(random_state=seed).fit(X[rows], (y[rows] == high).astype(int))


class SVMClassifier(ClassifierMixin, BaseEstimator):
    """RBF support vector machine, one-vs-one as in "The Genre Factor", with probabilities.

    ``calibration="holdout"`` (default) trains the K(K-1)/2 pairs of genres as binary SVCs
    spread over the cores (libsvm runs them one after another on one core), with ``gamma`` and
    balanced class weights computed on all rows as libsvm does, so each pair is the problem
    libsvm solves. It trains twice, on all rows and on a stratified 80%; a multinomial logistic
    regression maps the second model's pairwise decision values on the held-out 20% to
    probabilities and is applied to the full model (libsvm's own scheme with one split instead
    of five folds). ``calibration="5-fold"`` is ``SVC(probability=True)``: libsvm's pairwise
    Platt scaling over an internal 5-fold CV on one core, for exact reproductions; about 2.7x
    the CPU time. Either way the predicted genre is the vote of the pairs trained on all rows.
    """

    def __init__(
        self, C=1.0, gamma="scale", class_weight=None, calibration="holdout", random_state=0
    ):
        self.C = C
        self.gamma = gamma
        self.class_weight = class_weight
        self.calibration = calibration
        self.random_state = random_state

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y)
        self.n_features_in_ = X.shape[1]
        self.classes_, counts = np.unique(y, return_counts=True)
        self.calibrator_ = self.svc_ = None
        if self.calibration == "5-fold":
            self.svc_ = SVC(
                kernel="rbf",
                C=self.C,
                gamma=self.gamma,
                decision_function_shape="ovo",
                probability=True,
                class_weight=self.class_weight,
                cache_size=1000,
                random_state=self.random_state,
            ).fit(X, y)
            return self
        from joblib import Parallel, delayed
        from sklearn.model_selection import train_test_split

        gamma = self.gamma
        if gamma == "scale":
            gamma = 1.0 / (X.shape[1] * X.var()) if X.var() > 0 else 1.0
        elif gamma == "auto":
            gamma = 1.0 / X.shape[1]
        weights = None
        if self.class_weight == "balanced":
            weights = dict(zip(self.classes_, len(y) / (len(counts) * counts), strict=True))
        elif self.class_weight is not None:
            weights = {c: float(self.class_weight.get(c, 1.0)) for c in self.classes_}
        sets = [(X, y)]
        if counts.min() >= 5:  # enough rows of every genre to hold some out
            X_fit, X_cal, y_fit, y_cal = train_test_split(
                X, y, test_size=0.2, stratify=y, random_state=self.random_state
            )
            sets.append((X_fit, y_fit))
        self.pairs_ = [(a, b) for i, a in enumerate(self.classes_) for b in self.classes_[i + 1 :]]
        jobs = [(s, a, b) for s in range(len(sets)) for a, b in self.pairs_]
        fitted = Parallel(n_jobs=threads())(
            delayed(_fit_pair)(*sets[s], a, b, self.C, gamma, weights, self.random_state)
            for s, a, b in jobs
        )
        self.gamma_ = gamma
        self._share_support_vectors(fitted[: len(self.pairs_)], X, y)
        if len(sets) == 2:
            inner = fitted[len(self.pairs_) :]
            self.calibrator_ = LogisticRegression(max_iter=1000).fit(
                np.column_stack([e.decision_function(X_cal) for e in inner]), y_cal
            )
        return self

    def _share_support_vectors(self, estimators, X, y) -> None:
        """Keep each support vector once, as libsvm does: a row that supports several pairs
        costs one kernel evaluation per predicted row, not one per pair."""
        rows = [
            np.flatnonzero((y == a) | (y == b))[e.support_]
            for (a, b), e in zip(self.pairs_, estimators, strict=True)
        ]
        union, inverse = np.unique(np.concatenate(rows), return_inverse=True)
        self.support_vectors_ = X[union]
        bounds = np.cumsum([len(r) for r in rows])[:-1]
        self.pair_support_ = np.split(inverse, bounds)
        self.pair_coef_ = [e.dual_coef_[0] for e in estimators]
        self.pair_intercept_ = np.array([e.intercept_[0] for e in estimators])

    def _pairwise(self, X, chunk: int = 1024) -> np.ndarray:
        """Each pair's decision value (positive: the pair's second genre) for every row."""
        from sklearn.metrics.pairwise import rbf_kernel

        out = np.empty((len(X), len(self.pairs_)))
        for start in range(0, len(X), chunk):
            kernel = rbf_kernel(X[start : start + chunk], self.support_vectors_, gamma=self.gamma_)
            pairs = zip(self.pair_support_, self.pair_coef_, strict=True)
            for j, (index, coef) in enumerate(pairs):
                out[start : start + chunk, j] = kernel[:, index] @ coef
        return out + self.pair_intercept_

    def decision_function(self, X):
        """Votes per genre, ties broken by the summed pairwise confidences (as scikit-learn)."""
        X = np.asarray(X, dtype=float)
        if self.svc_ is not None:
            return self.svc_.decision_function(X)
        index = {c: i for i, c in enumerate(self.classes_)}
        votes = np.zeros((len(X), len(self.classes_)))
        confidence = np.zeros_like(votes)
        for (a, b), d in zip(self.pairs_, self._pairwise(X).T, strict=True):
            votes[:, index[b]] += d > 0
            votes[:, index[a]] += d <= 0
            confidence[:, index[b]] += d
            confidence[:, index[a]] -= d
        return votes + confidence / (3 * (np.abs(confidence) + 1))

    def predict_proba(self, X):
        if self.svc_ is not None:
            return self.svc_.predict_proba(X)
        if self.calibrator_ is None:  # too few rows to calibrate: one-hot votes, crude but honest
            votes = self.predict(X)
            return (votes[:, None] == self.classes_[None, :]).astype(float)
        return self.calibrator_.predict_proba(self._pairwise(np.asarray(X, dtype=float)))

    def predict(self, X):
        if self.svc_ is not None:
            return self.svc_.predict(X)
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]


# Each model's Params are named as its estimator's arguments: the factories pass them through.
def _logreg(p: dict, seed: int) -> BaseEstimator:
    return LogisticRegression(**p, random_state=seed)


def _svm(p: dict, seed: int) -> BaseEstimator:
    return SVMClassifier(**p, random_state=seed)


def _knn(p: dict, seed: int) -> BaseEstimator:
    return KNeighborsClassifier(**p, n_jobs=threads())


def _rf(p: dict, seed: int) -> BaseEstimator:
    return RandomForestClassifier(**p, n_jobs=threads(), random_state=seed)


def _xgboost(p: dict, seed: int) -> BaseEstimator:
    return XGBLabelClassifier(**p, random_state=seed)


def _hgb(p: dict, seed: int) -> BaseEstimator:
    return HistGradientBoostingClassifier(**p, random_state=seed)


def _best(p: dict, seed: int) -> BaseEstimator:
    from genre_core.models.best import StackedBoostClassifier

    return StackedBoostClassifier(**p, random_state=seed)


_WEIGHT = Param(
    "class_weight",
    "choice",
    None,
    choices=(None, "balanced"),
    help="'balanced' weighs rare genres up.",
)

MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "logreg",
            "Logistic regression",
            (
                Param(
                    "C",
                    "float",
                    1.0,
                    1e-4,
                    1e4,
                    log=True,
                    help="Inverse regularisation strength.",
                    search=(1e-3, 1e2),
                ),
                Param(
                    "max_iter",
                    "int",
                    1000,
                    50,
                    10_000,
                    help="Solver iterations.",
                    search=(1000, 1000),
                ),
                _WEIGHT,
            ),
            _logreg,
            presets={"cas-d-etude": {}, "model-based": {}},
        ),
        ModelSpec(
            "svm",
            "Support vector machine (RBF, one-vs-one)",
            (
                Param(
                    "C",
                    "float",
                    1.0,
                    1e-3,
                    1e3,
                    log=True,
                    help="Penalty on misclassified points.",
                    search=(1e-2, 1e2),
                ),
                Param(
                    "gamma", "choice", "scale", choices=("scale", "auto"), help="RBF kernel width."
                ),
                _WEIGHT,
                Param(
                    "calibration",
                    "choice",
                    "holdout",
                    choices=("holdout", "5-fold"),
                    help=(
                        "How probabilities are fitted: one 80/20 split (fast) or libsvm's "
                        "5-fold Platt scaling (SVC(probability=True), about 2x slower). "
                        "Predicted genres are the same."
                    ),
                ),
            ),
            _svm,
            presets={"genre-factor": {}, "cas-d-etude": {}},
            note=(
                "Fits grow about quadratically with the rows: tens of seconds on 20,000+ "
                "training rows."
            ),
        ),
        ModelSpec(
            "knn",
            "k-nearest neighbours",
            (
                Param(
                    "n_neighbors",
                    "int",
                    5,
                    1,
                    200,
                    help="How many neighbours vote.",
                    search=(1, 50),
                ),
                Param("weights", "choice", "uniform", choices=("uniform", "distance")),
                Param(
                    "metric", "choice", "euclidean", choices=("euclidean", "manhattan", "cosine")
                ),
            ),
            _knn,
            presets={"genre-factor": {"n_neighbors": 12, "metric": "euclidean"}, "cas-d-etude": {}},
        ),
        ModelSpec(
            "rf",
            "Random forest",
            (
                Param(
                    "n_estimators", "int", 100, 10, 2000, help="Number of trees.", search=(50, 300)
                ),
                Param(
                    "max_depth",
                    "int",
                    None,
                    1,
                    100,
                    optional=True,
                    help="None grows full trees.",
                    search=(2, 30),
                ),
                Param("min_samples_split", "int", 2, 2, 100, search=(2, 20)),
                Param("min_samples_leaf", "int", 1, 1, 100, search=(1, 20)),
                Param("max_features", "choice", "sqrt", choices=("sqrt", "log2")),
                Param("bootstrap", "bool", True),
                _WEIGHT,
            ),
            _rf,
            presets={"cas-d-etude": {}},
        ),
        ModelSpec(
            "xgboost",
            "XGBoost (gradient-boosted trees)",
            tuple(XGBOOST_PARAMS),
            _xgboost,
            presets={
                "development": {
                    "colsample_bytree": 0.9,
                    "learning_rate": 0.1,
                    "max_depth": 10,
                    "n_estimators": 300,
                    "subsample": 0.9,
                },
            },
        ),
        ModelSpec(
            "hgb",
            "Histogram gradient boosting",
            (
                Param("learning_rate", "float", 0.1, 1e-3, 1.0, log=True, search=(0.01, 0.3)),
                Param("max_iter", "int", 200, 10, 3000, help="Boosting rounds.", search=(50, 300)),
                Param("max_leaf_nodes", "int", 31, 2, 1024, search=(8, 128)),
                Param("max_depth", "int", None, 1, 100, optional=True, search=(2, 20)),
                Param("l2_regularization", "float", 0.0, 0.0, 100.0, search=(0.0, 10.0)),
                Param("early_stopping", "bool", False, help="Stop on a 10% internal validation."),
                _WEIGHT,
            ),
            _hgb,
        ),
        ModelSpec(
            "best",
            "Best: XGBoost stacked on title probabilities",
            tuple(BEST_PARAMS),
            _best,
            presets=BEST_PRESETS,
            note=(
                "XGBoost on the numeric features (add release_year where there is one) and on "
                "the genre probabilities a logistic regression gives each title, out of fold. "
                "Choose the numeric+text features for the titles; the artist only with a split "
                "grouped by artist. Under a split grouped by artist it also reads the artist's "
                "profile (the average sound of the artist's songs), honest there."
            ),
            numeric_width="n_numeric",
        ),
    )
}

PRESET_SOURCES = {
    "development": "Development of a Neural Network-Based Music Genre Classification Tool (tuned)",
    "genre-factor": "The Genre Factor (k=12, euclidean; RBF one-vs-one SVC)",
    "cas-d-etude": "Deep Learning - Cas d'étude, Table 1 (scikit-learn defaults)",
    "model-based": "Music Genre Classification using Model-Based Machine Learning",
    **{name: f"tuned on {name}'s training rows ({p.date})" for name, p in BEST_TUNED.items()},
}


def get_model(name: str) -> ModelSpec:
    """The spec of a model of the zoo, or a :class:`DataError` listing the known ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise DataError(f"unknown model '{name}'; choose one of: {', '.join(MODELS)}.") from None


def model_title(name: str, params: Mapping[str, Any]) -> str:
    """The model and what differs from its defaults: ``"knn (n_neighbors=3)"``, ``"logreg"``."""
    defaults = MODELS[name].defaults if name in MODELS else {}
    changed = [f"{k}={v}" for k, v in params.items() if defaults.get(k) != v]
    return f"{name} ({', '.join(changed)})" if changed else name


def resolve_params(
    name: str, values: Mapping[str, Any] | None = None, preset: str | None = None
) -> dict:
    """All hyperparameters of a model: defaults, overlaid by a preset, then by ``values``.

    Values may be strings (from the CLI) or typed (from widgets); each is checked.

    Raises
    ------
    DataError
        For an unknown model, preset or parameter, or a value of the wrong type or range.
    """
    spec = get_model(name)
    params = spec.defaults
    if preset:
        if preset not in spec.presets:
            known = ", ".join(spec.presets) or "none"
            raise DataError(f"{name} has no preset '{preset}'; its presets are: {known}.")
        params.update(spec.presets[preset])
    for key, value in (values or {}).items():
        params[key] = spec.param(key).parse(value, name)
    return params


def fit_pipeline(
    pipeline: Pipeline, X, y, report: FitReport | None = None, groups=None
) -> Pipeline:
    """Fit a pipeline of :func:`make_model`, calling ``report(done, total)`` as it goes: after
    each boosting round (xgboost), after each tenth of a random forest's trees (grown with
    ``warm_start``: the same trees as one fit with the same ``random_state``); other models
    fit in one go without reports. ``report`` may raise to end the fit. ``groups`` (the
    split's group of each row) goes to a model that ``fits_groups`` (the "best" model's inner
    folds keep a group together)."""
    model = pipeline[-1]
    extra = {"model__groups": groups} if groups is not None and getattr(
        model, "fits_groups", False
    ) else {}  # fmt: skip
    if report is None:
        return pipeline.fit(X, y, **extra)
    if getattr(model, "reports_rounds", False):
        return pipeline.fit(X, y, model__report=report, **extra)
    if isinstance(model, RandomForestClassifier) and not model.warm_start:
        grow_forest(model, pipeline[:-1].fit_transform(X, y), y, report)
        return pipeline
    return pipeline.fit(X, y, **extra)


def grow_forest(forest: RandomForestClassifier, X, y, report: FitReport) -> None:
    """Fit ``forest`` in :data:`FOREST_BATCHES` batches of trees, reporting after each."""
    total = forest.n_estimators
    step = max(1, -(-total // FOREST_BATCHES))
    try:
        for size in range(step, total + step, step):
            forest.set_params(warm_start=True, n_estimators=min(size, total)).fit(X, y)
            report(forest.n_estimators, total)
    finally:
        forest.set_params(warm_start=False, n_estimators=total)


def make_model(
    name: str,
    params: Mapping[str, Any] | None = None,
    prep: PrepConfig | None = None,
    seed: int = 0,
    *,
    layout: Layout | None = None,
) -> Pipeline:
    """An unfitted Pipeline ``prep -> model`` for a model of the zoo.

    Parameters
    ----------
    name
        One of :data:`MODELS` (logreg, svm, knn, rf, xgboost, hgb, best).
    params
        Hyperparameters; missing ones take their default. Checked by :func:`resolve_params`.
    prep
        Imputer and scaler; the model's usual preparation when ``None``.
    seed
        Random state of the estimator.
    layout
        The input's blocks when it holds title embeddings or an artist code besides numeric
        features (see :mod:`genre_core.data.features`); tree models see the embedding reduced to
        its first principal components; "best" sees it whole, told where the numeric
        columns end (:attr:`ModelSpec.numeric_width`).
    """
    spec = get_model(name)
    full = resolve_params(name, params)
    prepare = make_preprocessor(prep or spec.prep)
    if layout is not None and (layout.text or layout.artist):
        components = TREE_TEXT_COMPONENTS if name in TREE_MODELS else None
        prepare = layout_preprocessor(layout, prep or spec.prep, text_components=components)
    model = spec.build(full, seed)
    if spec.numeric_width and layout is not None:
        model.set_params(**{spec.numeric_width: layout.numeric})
    return Pipeline([("prep", prepare), ("model", model)])
