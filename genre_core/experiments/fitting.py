"""The steps of training a classical model, shared by the kinds of job: the training table,
:func:`train_model` (split, fit, evaluate), :func:`cross_validate`, :func:`fit_all`.

Long steps report progress events to their task (:class:`~genre_core.runs.progress.TaskState`)
and check its cancel flag between fits (and between the boosting rounds or batches of trees of
one fit, and the batches of embedded titles), so a caller in another thread can watch and stop
them.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.pipeline import Pipeline

from genre_core.data.features import Layout, build_matrix, check_feature_set
from genre_core.data.preprocess import PrepConfig, feature_matrix, select_genres
from genre_core.data.splits import Split, SplitSpec, group_codes, group_values, split_rows
from genre_core.errors import DataError
from genre_core.experiments.sampling import rows_title
from genre_core.metrics.evaluation import Evaluation, HeldOut, evaluate
from genre_core.metrics.tracks import track_names
from genre_core.models.classical import (
    FIT_UNITS,
    fit_pipeline,
    make_model,
    model_title,
    resolve_params,
)
from genre_core.runs.progress import TaskState
from genre_core.runs.records import (
    Record,
    evaluation_metrics,
    flat_params,
    held_out_arrays,
    skops_bytes,
)


@dataclass(frozen=True)
class TrainConfig:
    """One model to train: which, with what, on which rows."""

    model: str
    params: Mapping[str, Any] = field(default_factory=dict)
    prep: PrepConfig | None = None
    features: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    split: SplitSpec = SplitSpec()
    seed: int = 0
    feature_set: str = "numeric"  # "numeric", "text" or "numeric+text" (title embeddings)
    text: tuple[str, ...] = ()  # the title columns embedded for the text feature sets
    artist: str | None = None  # an artist column to use as a feature (test it grouped by artist)
    rows: int | None = None  # the rows of a sample of the table (None: the whole table)
    profile: str | None = None  # an artist column: add each row's artist profile to the numeric

    @property
    def numeric_only(self) -> bool:
        """Whether the model reads the numeric features alone (one column per feature)."""
        return self.feature_set == "numeric" and not self.artist and not self.profile

    @property
    def inputs(self) -> str:
        """What the model read, as a leaderboard's "features" says it: the feature set, then
        ``+ artist`` and ``+ artist profile`` (as :func:`~genre_core.runs.records.run_facets`
        says it of a stored run)."""
        extra = (" + artist" if self.artist else "") + (" + artist profile" if self.profile else "")
        return self.feature_set + extra


@dataclass(frozen=True)
class TrainResult:
    """A fitted pipeline and its evaluation on the test part."""

    config: TrainConfig
    params: dict
    pipeline: Pipeline
    evaluation: Evaluation
    features: tuple[str, ...]
    n_train: int
    n_validation: int
    n_test: int
    fit_seconds: float
    held_out: HeldOut | None = None  # the test rows one by one (for pairing two runs)

    @property
    def classes(self) -> tuple[str, ...]:
        return self.evaluation.classes

    @property
    def title(self) -> str:
        """The model and what differs from its defaults, and the rows of a sample, e.g.
        ``"knn (n_neighbors=3)"``, ``"xgboost · 2,000 rows"`` (what it read is in
        :attr:`TrainConfig.inputs`)."""
        return model_title(self.config.model, self.params) + rows_title(self.config.rows)

    def record(self) -> Record:
        """What the run history stores of this run: the flattened configuration, the metrics
        with their intervals and the fit time, the test rows one by one, and the pipeline as
        skops (never pickled).

        Raises
        ------
        DataError
            When the result does not keep its test rows.
        """
        rows, true, pred = held_out_arrays(self)
        metrics = evaluation_metrics(self.evaluation)
        metrics["fit_seconds"] = self.fit_seconds
        meta = {"features": list(self.features), "classes": list(self.classes)}
        return Record(
            "classical",
            self.config.model,
            flat_params({**dataclasses.asdict(self.config), "params": self.params}),
            metrics,
            [],
            tuple(self.classes),
            np.asarray(self.evaluation.confusion),
            rows,
            true,
            pred.astype(str),
            {
                "model.skops": skops_bytes(self.pipeline),
                "model.json": json.dumps(meta, indent=2).encode(),
            },
            self.title,
            self.held_out.proba,
        )

    def summary(self) -> dict:
        """The headline numbers as a flat dict (what the CLI prints)."""
        m = self.evaluation.metrics
        low, high = self.evaluation.intervals["accuracy"]
        f_low, f_high = self.evaluation.intervals["f1_macro"]
        keys = (
            "accuracy",
            "balanced_accuracy",
            "top2_accuracy",
            "f1_macro",
            "f1_weighted",
            "f2_macro",
            "precision_macro",
            "recall_macro",
            "log_loss",
            "ece",
        )
        return {
            "model": self.config.model,
            **{k: round(m[k], 4) for k in keys if k in m},
            "accuracy_ci95": [round(low, 4), round(high, 4)],
            "f1_macro_ci95": [round(f_low, 4), round(f_high, 4)],
            "train_accuracy": _round(self.evaluation.train_accuracy),
            "n_train": self.n_train,
            "n_validation": self.n_validation,
            "n_test": self.n_test,
            "fit_seconds": round(self.fit_seconds, 3),
            "params": self.params,
            **({"artist_profile": self.config.profile} if self.config.profile else {}),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def training_table(
    frame: pd.DataFrame, label: str, features: Sequence[str], genres: Sequence[str] = ()
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The rows of the chosen genres, their feature matrix and their labels (as str).

    Raises
    ------
    DataError
        For no feature, an unknown feature or genre, or fewer than two genres left.
    """
    if not features:
        raise DataError("choose at least one feature column.")
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise DataError(f"feature column(s) {', '.join(missing)} not in the table.")
    table = select_genres(frame, label, list(genres)).reset_index(drop=True)
    y = table[label].astype(str).to_numpy()
    if len(np.unique(y)) < 2:
        raise DataError("the chosen rows hold a single genre; classification needs at least two.")
    return table, feature_matrix(table, features), y


def kept_positions(frame: pd.DataFrame, label: str, genres: Sequence[str] = ()) -> np.ndarray:
    """Positions in ``frame`` of the rows :func:`training_table` keeps, in its order."""
    if not genres:
        return np.arange(len(frame))
    return np.flatnonzero(frame[label].isin(list(genres)).to_numpy())


def model_inputs(
    frame: pd.DataFrame,
    label: str,
    config: TrainConfig,
    task: TaskState = TaskState(),
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, Layout]:
    """Like :func:`training_table`, for the config's feature set: the numeric features, the
    title embeddings (computed once, then read from the shared cache; ``embed`` events with
    the seconds elapsed and left, the task's cancel flag checked after each batch) and the
    artist and the artist's profile."""
    if config.numeric_only:
        table, X, y = training_table(frame, label, config.features, config.genres)
        return table, X, y, Layout(numeric=X.shape[1])
    check_feature_set(config.feature_set, config.features, config.text)
    table = select_genres(frame, label, list(config.genres)).reset_index(drop=True)
    y = table[label].astype(str).to_numpy()
    if len(np.unique(y)) < 2:
        raise DataError("the chosen rows hold a single genre; classification needs at least two.")
    X, layout = build_matrix(
        table,
        feature_set=config.feature_set,
        numeric=config.features,
        text=config.text,
        artist=config.artist,
        profile=config.profile,
        progress=task.steps(stage="embed", model=config.model),
    )
    return table, X, y, layout


def train_model(
    frame: pd.DataFrame,
    label: str,
    config: TrainConfig,
    task: TaskState = TaskState(),
    *,
    names: Mapping[str, str] | None = None,
) -> TrainResult:
    """Split, fit the pipeline on the training part, and evaluate on the test part.

    Parameters
    ----------
    frame
        The whole table (a :class:`~genre_core.data.dataset.Dataset`'s ``frame``).
    label
        The genre column.
    config
        Model, hyperparameters, preprocessing, features, genres, split and seed.
    task
        Its ``progress`` receives ``{"stage": "embed"|"split"|"fit"|"evaluate"|"done", ...}``
        events; ``fit`` after each boosting round or batch of trees (see :func:`fit_pipeline`),
        with ``done``, ``total``, ``unit``, the seconds ``elapsed`` and an estimate of the
        seconds left (``eta``). Its ``cancel`` is checked after each batch of embedded titles
        and each round or batch of trees; ``n_boot`` resamples give the accuracy interval.
    names
        The columns naming a track (:func:`~genre_core.metrics.tracks.track_columns`): the
        evaluation lists each test track by title and artist.

    Raises
    ------
    Cancelled
        When the task is stopped during the embedding or the fit.
    """
    params = resolve_params(config.model, config.params)
    table, X, y, layout = model_inputs(frame, label, config, task)
    split: Split = split_rows(table, label, config.split)
    task.emit(stage="split", model=config.model, **split.sizes())
    pipeline = make_model(config.model, params, config.prep, config.seed, layout=layout)
    unit = FIT_UNITS.get(config.model, "")
    report = task.steps(stage="fit", model=config.model, unit=unit)
    started = time.perf_counter()
    try:
        groups = groups_for(table, config.split)
        train_groups = None if groups is None else groups[split.train]
        fit_pipeline(pipeline, X[split.train], y[split.train], report, train_groups)
    except ValueError as error:
        raise DataError(f"{config.model} could not be fitted: {error}") from None
    fit_seconds = time.perf_counter() - started
    task.emit(stage="evaluate", model=config.model, fit_seconds=fit_seconds)
    classes = [str(c) for c in pipeline.classes_]
    missing = sorted(set(y[split.test]) - set(classes))
    if missing:
        raise DataError(
            f"genre(s) {', '.join(missing)} are in the test part but not in training; "
            "use a larger training share or a stratified split."
        )
    validation = None
    if len(split.validation):
        validation = (y[split.validation], pipeline.predict(X[split.validation]))
    test_pred = np.asarray(pipeline.predict(X[split.test])).astype(str)
    test_proba = pipeline.predict_proba(X[split.test])
    test_positions = kept_positions(frame, label, config.genres)[split.test]
    evaluation = evaluate(
        y[split.test],
        test_proba,
        classes,
        y_pred=test_pred,
        y_train=y[split.train],
        train_pred=pipeline.predict(X[split.train]),
        validation=validation,
        n_boot=task.n_boot,
        seed=config.seed,
        rows=frame.index.to_numpy()[test_positions],
        names=track_names(frame.iloc[test_positions], names or {}),
    )
    result = TrainResult(
        config,
        params,
        pipeline,
        evaluation,
        tuple(config.features),
        len(split.train),
        len(split.validation),
        len(split.test),
        fit_seconds,
        HeldOut(
            frame.index.to_numpy()[test_positions],
            y[split.test],
            test_pred,
            test_proba,
        ),
    )
    task.emit(stage="done", model=config.model, accuracy=evaluation.metrics["accuracy"])
    return result


@dataclass(frozen=True)
class CVResult:
    """Scores of each fold and their mean and standard deviation."""

    accuracy: np.ndarray
    f1_macro: np.ndarray
    grouped: bool

    def summary(self) -> dict:
        return {
            "folds": len(self.accuracy),
            "grouped": self.grouped,
            "accuracy_mean": float(self.accuracy.mean()),
            "accuracy_std": float(self.accuracy.std(ddof=1)) if len(self.accuracy) > 1 else 0.0,
            "f1_macro_mean": float(self.f1_macro.mean()),
            "f1_macro_std": float(self.f1_macro.std(ddof=1)) if len(self.f1_macro) > 1 else 0.0,
        }


def cv_folds(
    y: np.ndarray, groups: np.ndarray | None, k: int = 5, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` (train, test) position pairs, stratified; grouped when ``groups`` is given.

    With groups, :class:`~sklearn.model_selection.StratifiedGroupKFold` keeps every group in a
    single fold, so no track or artist is trained on and tested on at once.
    """
    if k < 2:
        raise DataError("cross-validation needs at least 2 folds.")
    if groups is None:
        smallest = int(pd.Series(y).value_counts().min())
        if smallest < k:
            raise DataError(f"the rarest genre has {smallest} rows, fewer than the {k} folds.")
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
        return list(splitter.split(np.zeros(len(y)), y))
    if len(np.unique(groups)) < k:
        raise DataError(f"there are fewer groups than the {k} folds.")
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y, groups))


def cross_validate(
    pipeline: Pipeline,
    X: np.ndarray,
    y: np.ndarray,
    task: TaskState = TaskState(),
    *,
    groups: np.ndarray | None = None,
    k: int = 5,
    seed: int = 0,
) -> CVResult:
    """k-fold cross-validation of an unfitted pipeline (refitted from scratch on each fold),
    a ``cv`` event per fold.

    Raises
    ------
    Cancelled
        When the task is stopped; checked before each fold.
    """
    from sklearn.metrics import accuracy_score, f1_score

    accuracy, f1 = [], []
    folds = cv_folds(y, groups, k, seed)
    for i, (train, test) in enumerate(folds):
        task.check_cancel()
        model = clone(pipeline).fit(X[train], y[train])
        predicted = model.predict(X[test])
        accuracy.append(accuracy_score(y[test], predicted))
        f1.append(f1_score(y[test], predicted, average="macro", zero_division=0))
        task.emit(stage="cv", fold=i + 1, folds=len(folds), accuracy=accuracy[-1])
    return CVResult(np.array(accuracy), np.array(f1), grouped=groups is not None)


def groups_for(frame: pd.DataFrame, split: SplitSpec) -> np.ndarray | None:
    """Integer group codes for a grouped split's column, or None for a stratified one."""
    if split.method != "group":
        return None
    return group_codes(group_values(frame, split.group_column))


def _groups_or_none(frame: pd.DataFrame, split: SplitSpec) -> np.ndarray | None:
    """:func:`groups_for`, or None where the split's column is not in ``frame``."""
    try:
        return groups_for(frame, split)
    except DataError:
        return None


def fit_all(frame: pd.DataFrame, label: str, config: TrainConfig) -> tuple[Pipeline, int, float]:
    """Fit the configured pipeline on every row of the chosen genres (for predictions).

    Returns
    -------
    tuple
        The fitted pipeline, the number of training rows and the fit time in seconds.
    """
    params = resolve_params(config.model, config.params)
    table, X, y, layout = model_inputs(frame, label, config)
    pipeline = make_model(config.model, params, config.prep, config.seed, layout=layout)
    started = time.perf_counter()
    try:
        fit_pipeline(pipeline, X, y, groups=_groups_or_none(table, config.split))
    except ValueError as error:
        raise DataError(f"{config.model} could not be fitted: {error}") from None
    return pipeline, len(y), time.perf_counter() - started
