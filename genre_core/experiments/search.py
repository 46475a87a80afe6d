"""Hyperparameter search with Optuna: grid, random and TPE sampling, median and Hyperband pruning,
a cross-validated objective, and studies any number of workers can join.

A study's whole recipe (dataset, features, genres, split, model, search space, objective, folds)
is a :class:`SearchSpec` stored as JSON in the study's user attributes, so ``python -m genre_core
search-worker --study NAME --storage URL`` rebuilds the objective in another process or on another
machine from the storage alone. Studies live in SQLite under ``data/`` by default, or at any
SQLAlchemy URL (PostgreSQL for many machines). Workers send heartbeats: the trial of a worker that
dies is marked failed by the next worker to start a trial, and retried once.
"""

from __future__ import annotations

import json
import math
import os
import socket
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import product
from pathlib import Path
from threading import Event
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from genre_core.errors import DataError
from genre_core.models.classical import MODELS, get_model, resolve_params
from genre_core.settings import cache_dir

Emit = Callable[[dict], None]

NETWORK = "net"  # the model name of genre_core.models.networks.NetClassifier in a search
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("none", "median", "hyperband")
OBJECTIVES = {
    "accuracy": "validation accuracy",
    "f1_macro": "validation macro-F1",
    "genre_factor": "The Genre Factor's score ½·(w1·(1−Δacc) + w2·acc_val)",
}
SPEC_ATTR = "genre_lab_spec"
HEARTBEAT_SECONDS = 10.0
WORKER = f"{socket.gethostname()}:{os.getpid()}"  # who ran a trial, kept with it
SQLITE_TIMEOUT = 30.0  # seconds a writer waits for a locked SQLite store before giving up

# A failed trial's reason is kept with the trial (trial_row's "error"), not logged with a traceback.
optuna.logging.set_verbosity(optuna.logging.ERROR)
# Heartbeats and their retry callback are marked experimental; they are what fault tolerance needs.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

# Table 4 of "Development of a Neural Network-Based Music Genre Classification Tool": 3 × 2^6 = 192
# configurations, 20 epochs each (80/20 train/validation). Its "gradient clipping value" is a norm
# clip here, as in the report's Table 3 network
# (genre_core.models.networks.PRESETS["development-grid"]).
DEVELOPMENT_GRID: dict[str, list] = {
    "hidden": ["64, 32", "16, 16, 16", "128, 16"],
    "batch_norm": [True, False],
    "dropout": [0.3, 0.7],
    "lr": [1e-3, 1e-4],
    "batch_size": [16, 32],
    "max_epochs": [20],
    "optimizer": ["adam", "sgd"],
    "clip_norm": [0.5, 1.5],
}
DEVELOPMENT_BEST = {
    "hidden": "128, 16",
    "batch_norm": False,
    "dropout": 0.3,
    "lr": 1e-3,
    "batch_size": 32,
    "max_epochs": 20,
    "optimizer": "adam",
    "clip_norm": 1.5,
}


# ---- search spaces ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dim:
    """One searched hyperparameter: a number range (``int``/``float``, ``log`` scale) or a list
    of ``choices`` (None, bools, numbers or strings; hidden layers as text, "128, 16")."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()

    def __post_init__(self) -> None:
        if self.kind == "choice":
            if not self.choices:
                raise DataError(f"'{self.name}' needs at least one value to choose from.")
        elif self.kind in ("int", "float"):
            if self.low is None or self.high is None or not self.low <= self.high:
                raise DataError(f"'{self.name}': the lowest value must not exceed the highest.")
            if self.log and self.low <= 0:
                raise DataError(f"'{self.name}': a log scale needs a lowest value above 0.")
        else:
            raise DataError(f"'{self.name}': unknown kind '{self.kind}'.")

    def grid(self, points: int = 3) -> list:
        """The values a grid tries: the choices, or ``points`` values spread over the range."""
        if self.kind == "choice":
            return list(self.choices)
        if self.low == self.high:
            return [int(self.low) if self.kind == "int" else float(self.low)]
        spread = np.geomspace if self.log else np.linspace
        values = spread(self.low, self.high, max(2, points))
        if self.kind == "int":
            return sorted({int(round(v)) for v in values})
        return [float(f"{v:.4g}") for v in values]

    def suggest(self, trial: optuna.Trial) -> Any:
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), log=self.log)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["choices"] = list(self.choices)
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> Dim:
        return cls(**{**data, "choices": tuple(data.get("choices", ()))})


# Narrower starting ranges than the models' own limits, so a default search stays affordable.
_DEFAULT_RANGES: dict[str, dict[str, tuple]] = {
    "logreg": {"C": (1e-3, 1e2), "max_iter": (1000, 1000)},
    "svm": {"C": (1e-2, 1e2)},
    "knn": {"n_neighbors": (1, 50)},
    "rf": {
        "n_estimators": (50, 300),
        "max_depth": (2, 30),
        "min_samples_split": (2, 20),
        "min_samples_leaf": (1, 20),
    },
    "xgboost": {
        "n_estimators": (50, 400),
        "max_depth": (2, 12),
        "learning_rate": (0.01, 0.3),
        "subsample": (0.5, 1.0),
        "colsample_bytree": (0.5, 1.0),
        "min_child_weight": (0.5, 20.0),
        "reg_lambda": (0.1, 10.0),
    },
    "hgb": {
        "learning_rate": (0.01, 0.3),
        "max_iter": (50, 300),
        "max_leaf_nodes": (8, 128),
        "max_depth": (2, 20),
        "l2_regularization": (0.0, 10.0),
    },
}


def model_names() -> list[str]:
    """The models a study can search: the classical zoo and the network."""
    return [*MODELS, NETWORK]


def default_space(model: str) -> tuple[Dim, ...]:
    """A sensible search space for a model, built from its parameter table.

    The network's default space is Table 4's 192-configuration grid.
    """
    if model == NETWORK:
        return grid_space(DEVELOPMENT_GRID)
    spec = get_model(model)
    ranges = _DEFAULT_RANGES.get(model, {})
    dims = []
    for p in spec.params:
        if p.kind in ("choice", "bool"):
            choices = p.choices if p.kind == "choice" else (True, False)
            dims.append(Dim(p.name, "choice", choices=tuple(choices)))
        else:
            low, high = ranges.get(p.name, (p.low, p.high))
            dims.append(Dim(p.name, p.kind, low, high, log=p.log and low > 0))
    return tuple(dims)


def grid_space(grid: Mapping[str, Sequence]) -> tuple[Dim, ...]:
    """A space of choices only, one dimension per grid entry."""
    return tuple(Dim(name, "choice", choices=tuple(values)) for name, values in grid.items())


def grid_values(space: Sequence[Dim], points: int = 3) -> dict[str, list]:
    """The grid a grid sampler walks: every choice, ``points`` values per number range."""
    return {dim.name: dim.grid(points) for dim in space}


def grid_configurations(space: Sequence[Dim], points: int = 3) -> list[dict]:
    """Every configuration of the grid, as dicts."""
    values = grid_values(space, points)
    return [dict(zip(values, combo, strict=True)) for combo in product(*values.values())]


def check_space(model: str, space: Sequence[Dim]) -> None:
    """Raise a :class:`DataError` for a dimension the model does not have, or out of its range."""
    if not space:
        raise DataError("the search space is empty: search at least one hyperparameter.")
    names = [d.name for d in space]
    if len(set(names)) != len(names):
        raise DataError("a hyperparameter appears twice in the search space.")
    if model == NETWORK:
        from genre_core.models.networks import NetClassifier

        known = set(NetClassifier().get_params())
        unknown = [n for n in names if n not in known]
        if unknown:
            raise DataError(f"the network has no setting {', '.join(unknown)}.")
        for config in _corners(space):
            NetClassifier(**decode_params(NETWORK, config)).check_settings()
        return
    spec = get_model(model)
    for dim in space:
        param = spec.param(dim.name)
        for value in dim.grid(2):
            param.parse(value, model)


def _corners(space: Sequence[Dim]) -> list[dict]:
    return [{d.name: d.grid(2)[i % len(d.grid(2))] for d in space} for i in range(2)]


def dim_text(dim: Dim) -> str:
    """A dimension as one line of text: ``0.001 : 100 : log`` or ``adam | sgd``."""
    if dim.kind == "choice":
        return " | ".join("none" if c is None else str(c).lower() if isinstance(c, bool) else
                          str(c) for c in dim.choices)  # fmt: skip
    low, high = (int(v) if dim.kind == "int" else v for v in (dim.low, dim.high))
    return f"{low:g} : {high:g}" + (" : log" if dim.log else "")


def parse_dim(model: str, name: str, text: str) -> Dim:
    """The inverse of :func:`dim_text`, checked against the model's parameter table.

    Raises
    ------
    DataError
        Naming the parameter and what is wrong with its text.
    """
    text = str(text or "").strip()
    if not text:
        raise DataError(f"'{name}': give a range (low : high) or values (a | b).")
    if ":" in text and "|" not in text:
        parts = [p.strip() for p in text.split(":")]
        log = len(parts) == 3 and parts[2].lower() == "log"
        if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
            raise DataError(f"'{name}': a range is 'low : high' or 'low : high : log'.")
        try:
            low, high = float(parts[0]), float(parts[1])
        except ValueError:
            raise DataError(f"'{name}': '{text}' is not a range of numbers.") from None
        kind = "float"
        if model != NETWORK:
            kind = "int" if get_model(model).param(name).kind == "int" else "float"
        elif low.is_integer() and high.is_integer() and "." not in text:
            kind = "int"
        return Dim(name, kind, low, high, log=log)
    values = [v.strip() for v in text.split("|") if v.strip()]
    if model == NETWORK:
        choices = tuple(v if name == "hidden" else net_value(v) for v in values)
    else:
        param = get_model(model).param(name)
        choices = tuple(param.parse(v, model) for v in values)
    return Dim(name, "choice", choices=tuple(dict.fromkeys(choices)))


def net_value(text: str) -> Any:
    """A network setting written as text: a number, yes/no, none/off, or the text itself."""
    text = text.strip()
    low = text.lower()
    if low in ("none", "off"):
        return None
    if low in ("yes", "true", "no", "false"):
        return low in ("yes", "true")
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def decode_params(model: str, raw: Mapping[str, Any]) -> dict:
    """Sampled values as the model takes them (a network's hidden layers from text to a tuple)."""
    out = dict(raw)
    if model == NETWORK and isinstance(out.get("hidden"), str):
        from genre_core.models.networks import parse_layer_values

        out["hidden"] = parse_layer_values(out["hidden"], "int")
    return out


# ---- the study's recipe -----------------------------------------------------------------------


@dataclass(frozen=True)
class SearchSpec:
    """Everything a worker needs to rebuild a study's objective.

    Parameters
    ----------
    dataset
        A known dataset name or a CSV path every worker can read.
    model
        A classical model of :data:`genre_core.models.classical.MODELS`, or ``"net"``.
    space
        The searched dimensions; ``base`` fixes other hyperparameters.
    objective, weights
        "accuracy", "f1_macro" or "genre_factor" with its weights ``(w1, w2)``.
    folds
        Cross-validation folds (stratified, or grouped by ``group_column``); 1: a single
        stratified (or grouped) 80/20 hold-out, as the 192-configuration grid used.
    rows
        Keep a fixed stratified sample of this many rows (``None``: all).
    n_trials
        The study's total number of trials, shared by all its workers.
    """

    dataset: str
    model: str
    space: tuple[Dim, ...]
    label: str | None = None
    features: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    merge: Mapping[str, str | None] | None = None
    group_column: str | None = None
    objective: str = "accuracy"
    weights: tuple[float, float] = (0.5, 1.0)
    folds: int = 3
    sampler: str = "tpe"
    pruner: str = "median"
    n_trials: int = 30
    grid_points: int = 3
    rows: int | None = None
    base: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0

    def check(self) -> None:
        if self.model not in model_names():
            raise DataError(
                f"unknown model '{self.model}'; choose one of: {', '.join(model_names())}."
            )
        if self.objective not in OBJECTIVES:
            raise DataError(
                f"unknown objective '{self.objective}'; choose one of: {', '.join(OBJECTIVES)}."
            )
        if self.sampler not in SAMPLERS:
            raise DataError(
                f"unknown sampler '{self.sampler}'; choose one of: {', '.join(SAMPLERS)}."
            )
        if self.pruner not in PRUNERS:
            raise DataError(f"unknown pruner '{self.pruner}'; choose one of: {', '.join(PRUNERS)}.")
        if self.folds < 1 or self.folds > 20:
            raise DataError("folds must be between 1 (a hold-out) and 20.")
        if self.n_trials < 1:
            raise DataError("a study needs at least one trial.")
        if len(self.weights) != 2 or not all(math.isfinite(w) and w >= 0 for w in self.weights):
            raise DataError("the Genre Factor weights must be two numbers, 0 or above.")
        if self.rows is not None and self.rows < 20:
            raise DataError("a row sample needs at least 20 rows.")
        check_space(self.model, self.space)

    def to_json(self) -> str:
        data = asdict(self)
        data["space"] = [d.to_dict() for d in self.space]
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> SearchSpec:
        data = json.loads(text)
        data["space"] = tuple(Dim.from_dict(d) for d in data["space"])
        for key in ("features", "genres", "weights"):
            data[key] = tuple(data[key])
        return cls(**data)

    @property
    def grid_size(self) -> int:
        return len(grid_configurations(self.space, self.grid_points))


# ---- storage ----------------------------------------------------------------------------------


def default_storage() -> str:
    """The SQLite file holding the studies: ``data/studies/optuna.db`` (see :mod:`settings`)."""
    folder = cache_dir() / "studies"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'optuna.db'}"


def open_storage(
    url: str | None = None, *, heartbeat: float | None = HEARTBEAT_SECONDS, retries: int = 1
) -> RDBStorage:
    """An Optuna storage with heartbeats, at a SQLAlchemy URL (the default SQLite file if None).

    A running trial whose worker stops beating for ``3 × heartbeat`` seconds is marked failed
    when another worker starts a trial, and retried ``retries`` times with the same values.

    Raises
    ------
    DataError
        When the store cannot be opened: a locked or corrupted SQLite file, a database that
        refuses the connection, or a URL no driver understands.
    """
    url = url or default_storage()
    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        _check_sqlite_file(url)
        engine_kwargs["connect_args"] = {"timeout": SQLITE_TIMEOUT}
    else:
        engine_kwargs["pool_pre_ping"] = True
    options: dict[str, Any] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if heartbeat:
                options = {
                    "heartbeat_interval": max(1, int(round(heartbeat))),
                    "grace_period": max(2, int(round(3 * heartbeat))),
                }
                if retries:
                    options["heartbeat_stale_trial_callback"] = RetryHeartbeatStaleTrialCallback(
                        max_retry=retries
                    )
            return RDBStorage(url, engine_kwargs=engine_kwargs, **options)
    except Exception as error:  # noqa: BLE001 - every driver raises its own kind
        raise DataError(storage_message(url, error)) from None


def _check_sqlite_file(url: str) -> None:
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:" or not Path(path).exists():
        return
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head and head != b"SQLite format 3\x00":
        raise DataError(
            f"the study store {path} is not a SQLite database (corrupted or another kind of file); "
            "move it aside: a new store will be created in its place."
        )


def storage_message(url: str, error: BaseException) -> str:
    """A sentence for a storage failure (locked, corrupted, unreachable), never a traceback."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
    where = _redact(url)
    low = text.lower()
    if "locked" in low:
        return (
            f"the study store {where} is locked by another program and stayed locked for "
            f"{SQLITE_TIMEOUT:g} s; finished trials are safe. Close the other program, or use "
            "a PostgreSQL URL for many workers."
        )
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return (
            f"the study store {where} is corrupted ({text}); finished trials that were "
            "committed before the damage may be recovered with `sqlite3 FILE .recover`; "
            "move the file aside to start a new store."
        )
    return f"cannot use the study store {where}: {text}"


def _redact(url: str) -> str:
    """A URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def _guard(url: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except DataError:
        raise
    except optuna.exceptions.DuplicatedStudyError:
        raise
    except Exception as error:
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(error, SQLAlchemyError) or "sqlite" in type(error).__module__:
            raise DataError(storage_message(url, error)) from None
        raise


def create_study(
    spec: SearchSpec, name: str, storage: str | RDBStorage | None = None
) -> optuna.Study:
    """Create a study with ``spec`` in its user attributes (or reopen it with the same spec).

    Raises
    ------
    DataError
        For a bad spec, a study of that name with a different recipe, or a storage failure.
    """
    spec.check()
    if not name or not name.strip():
        raise DataError("a study needs a name.")
    store = storage if isinstance(storage, RDBStorage) else open_storage(storage)
    url = str(store.engine.url)

    def make() -> optuna.Study:
        study = optuna.create_study(
            study_name=name,
            storage=store,
            direction="maximize",
            sampler=make_sampler(spec),
            pruner=make_pruner(spec),
            load_if_exists=True,
        )
        stored = study.user_attrs.get(SPEC_ATTR)
        if stored is None:
            study.set_user_attr(SPEC_ATTR, spec.to_json())
        elif SearchSpec.from_json(stored) != SearchSpec.from_json(spec.to_json()):
            raise DataError(
                f"a study named '{name}' already exists with another recipe; pick a new name."
            )
        return study

    return _guard(url, make)


def load_study(
    name: str, storage: str | RDBStorage | None = None
) -> tuple[optuna.Study, SearchSpec]:
    """A stored study and its recipe, with its sampler and pruner rebuilt.

    Raises
    ------
    DataError
        For a missing study (naming those in the store), one not made by Genre Lab, or a
        storage failure.
    """
    store = storage if isinstance(storage, RDBStorage) else open_storage(storage)
    url = str(store.engine.url)

    def load() -> tuple[optuna.Study, SearchSpec]:
        names = [s.study_name for s in optuna.get_all_study_summaries(store)]
        if name not in names:
            listed = ", ".join(names[:20]) or "none"
            raise DataError(f"no study named '{name}' in {_redact(url)}; its studies: {listed}.")
        probe = optuna.load_study(study_name=name, storage=store)
        text = probe.user_attrs.get(SPEC_ATTR)
        if text is None:
            raise DataError(f"study '{name}' was not made by Genre Lab (it has no recipe).")
        spec = SearchSpec.from_json(text)
        study = optuna.load_study(
            study_name=name, storage=store, sampler=make_sampler(spec), pruner=make_pruner(spec)
        )
        return study, spec

    return _guard(url, load)


def study_names(storage: str | RDBStorage | None = None) -> list[str]:
    """Names of the studies in a store, newest first."""
    store = storage if isinstance(storage, RDBStorage) else open_storage(storage, heartbeat=None)
    url = str(store.engine.url)
    summaries = _guard(url, lambda: optuna.get_all_study_summaries(store))
    return [s.study_name for s in sorted(summaries, key=lambda s: s._study_id, reverse=True)]


def make_sampler(spec: SearchSpec) -> optuna.samplers.BaseSampler:
    if spec.sampler == "grid":
        return optuna.samplers.GridSampler(
            grid_values(spec.space, spec.grid_points), seed=spec.seed
        )
    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=spec.seed)
    return optuna.samplers.TPESampler(seed=spec.seed, n_startup_trials=10)


def make_pruner(spec: SearchSpec) -> optuna.pruners.BasePruner:
    if spec.pruner == "median":
        # A network's first epochs say little; a classical model's first fold already does.
        warmup = 2 if spec.model == NETWORK else 0
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=warmup)
    if spec.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, reduction_factor=3)
    return optuna.pruners.NopPruner()


# ---- the data and the objective ---------------------------------------------------------------


@dataclass(frozen=True)
class SearchData:
    """The rows a study scores on: features, labels and the (train, validation) folds."""

    X: np.ndarray
    y: np.ndarray
    folds: list[tuple[np.ndarray, np.ndarray]]
    features: tuple[str, ...]


def prepare_data(spec: SearchSpec, frame: pd.DataFrame | None = None, label: str | None = None):
    """Load the dataset (unless ``frame`` is given), keep the spec's genres, rows and features,
    and cut the folds (grouped when the spec names a group column).

    Raises
    ------
    DataError
        For a dataset that cannot be read, unknown features or genres, or too few rows.
    """
    from genre_core.data.splits import SplitSpec, group_codes, split_rows
    from genre_core.experiments.train import cv_folds, training_table

    if frame is None:
        from genre_core.data.dataset import load_dataset

        dataset = load_dataset(spec.dataset, label=spec.label)
        frame, label = dataset.frame, dataset.roles.label
        features = spec.features or dataset.roles.features
    else:
        features = spec.features
    if spec.merge:
        from genre_core.data.merging import apply_map

        labels = apply_map(frame[label], dict(spec.merge))
        frame = frame.assign(**{label: labels})[labels.notna()]
    table, X, y = training_table(frame, label, list(features), list(spec.genres))
    if spec.rows is not None and spec.rows < len(table):
        keep = _stratified_sample(y, spec.rows, spec.seed)
        table, X, y = table.iloc[keep].reset_index(drop=True), X[keep], y[keep]
    groups = None
    if spec.group_column:
        if spec.group_column not in table.columns:
            raise DataError(f"group column '{spec.group_column}' not found.")
        groups = group_codes(table[spec.group_column])
    if spec.folds == 1:
        method = "group" if groups is not None else "stratified"
        split = split_rows(
            table,
            label,
            SplitSpec(method, spec.group_column, 0.8, 0.0, 0.2, seed=spec.seed),
        )
        folds = [(split.train, split.test)]
    else:
        folds = cv_folds(y, groups, spec.folds, spec.seed)
    return SearchData(X, y, folds, tuple(features))


def _stratified_sample(y: np.ndarray, rows: int, seed: int) -> np.ndarray:
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=rows, stratify=y, random_state=seed)
    return np.sort(keep)


def score(objective: str, acc_val: float, acc_train: float, f1: float, weights) -> float:
    """The value a trial maximises. The Genre Factor's score is ½·(w1·(1−Δacc) + w2·acc_val),
    with Δacc = training accuracy − validation accuracy (its eq. 1)."""
    if objective == "accuracy":
        return acc_val
    if objective == "f1_macro":
        return f1
    w1, w2 = weights
    return 0.5 * (w1 * (1 - (acc_train - acc_val)) + w2 * acc_val)


class _Skip(Exception):
    """This trial is beyond the study's budget or grid: nothing to evaluate."""


def make_objective(
    spec: SearchSpec, data: SearchData, cancel: Event | None = None
) -> Callable[[optuna.Trial], float]:
    """The function a study maximises: the mean over folds of the spec's objective.

    Classical models report the running mean after each fold; networks report each epoch's
    validation score (the Genre Factor's score from the epoch's training and validation
    accuracy; validation accuracy for macro-F1), at step ``fold × epochs + epoch``, so median and
    Hyperband pruning stop poor trials early. Each trial keeps ``acc_val``, ``acc_train``,
    ``delta``, ``f1_macro``, ``epochs`` (network epochs trained) and ``seconds`` as user attrs.
    """
    from sklearn.base import clone
    from sklearn.metrics import accuracy_score, f1_score

    from genre_core.models.classical import make_model
    from genre_core.runs.progress import Cancelled

    def objective(trial: optuna.Trial) -> float:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        _check_budget(trial, spec)
        trial.set_user_attr("worker", WORKER)
        raw = {dim.name: dim.suggest(trial) for dim in spec.space}
        twin = _completed_twin(trial, raw)
        if twin is not None:  # same values, same seed: the same score, at no cost
            for key in ("acc_val", "acc_train", "delta", "f1_macro"):
                trial.set_user_attr(key, twin.user_attrs.get(key))
            trial.set_user_attr("epochs", 0)
            trial.set_user_attr("seconds", 0.0)
            trial.set_user_attr("reused_from", twin.number)
            return float(twin.value)
        params = decode_params(spec.model, {**spec.base, **raw})
        started = time.perf_counter()
        per_fold: list[tuple[float, float, float]] = []
        epochs_run = 0
        for index, (train, valid) in enumerate(data.folds):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if spec.model == NETWORK:
                model, epochs, pruned = _fit_network(
                    spec, data, params, train, valid, trial, index, cancel
                )
                epochs_run += epochs
                trial.set_user_attr("epochs", epochs_run)
                if pruned:
                    raise optuna.TrialPruned(f"pruned in fold {index + 1}, epoch {epochs}")
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
            else:
                model = clone(make_model(spec.model, resolve_params(spec.model, params)))
                try:
                    model.fit(data.X[train], data.y[train])
                except ValueError as error:
                    raise DataError(f"{spec.model} could not be fitted: {error}") from None
            predicted = model.predict(data.X[valid])
            acc_val = accuracy_score(data.y[valid], predicted)
            acc_train = accuracy_score(data.y[train], model.predict(data.X[train]))
            f1 = f1_score(data.y[valid], predicted, average="macro", zero_division=0)
            per_fold.append((acc_val, acc_train, f1))
            mean = np.mean(per_fold, axis=0)
            running = score(spec.objective, *mean, spec.weights)
            if spec.model != NETWORK and index + 1 < len(data.folds):
                trial.report(running, index)
                if trial.should_prune():
                    _keep(trial, mean, epochs_run, started)
                    raise optuna.TrialPruned(f"pruned after fold {index + 1}")
        mean = np.mean(per_fold, axis=0)
        _keep(trial, mean, epochs_run, started)
        return float(score(spec.objective, *mean, spec.weights))

    return objective


def _completed_twin(trial: optuna.Trial, raw: Mapping[str, Any]):
    """A completed trial of the study with exactly these values (training is seeded)."""
    study = trial.study
    for other in study._storage.get_all_trials(
        study._study_id, deepcopy=False, states=(TrialState.COMPLETE,)
    ):
        if other.params == dict(raw) and other.value is not None:
            return other
    return None


def _keep(trial: optuna.Trial, mean: np.ndarray, epochs: int, started: float) -> None:
    acc_val, acc_train, f1 = (float(v) for v in mean)
    trial.set_user_attr("acc_val", acc_val)
    trial.set_user_attr("acc_train", acc_train)
    trial.set_user_attr("delta", acc_train - acc_val)
    trial.set_user_attr("f1_macro", f1)
    trial.set_user_attr("epochs", epochs)
    trial.set_user_attr("seconds", time.perf_counter() - started)


def _fit_network(spec, data, params, train, valid, trial, fold, cancel):
    """Train one network on one fold; report each epoch; stop early when the pruner says so."""
    from genre_core.data.preprocess import PrepConfig, make_preprocessor
    from genre_core.models.networks import NetClassifier

    prep = make_preprocessor(PrepConfig())
    X_train = prep.fit_transform(data.X[train])
    X_valid = prep.transform(data.X[valid])
    net = NetClassifier(**{**params, "random_state": spec.seed})
    stop = Event()
    state = {"pruned": False, "epochs": 0}

    def sink(event: dict) -> None:
        if event.get("stage") != "epoch":
            return
        state["epochs"] = event["epoch"]
        value = event["valid_acc"]
        if spec.objective == "genre_factor":
            value = score("genre_factor", value, event["train_acc"], value, spec.weights)
        trial.report(float(value), fold * int(net.max_epochs) + event["epoch"])
        if trial.should_prune():
            state["pruned"] = True
            stop.set()

    class _Either:
        def is_set(self) -> bool:
            return stop.is_set() or (cancel is not None and cancel.is_set())

    net.fit(X_train, data.y[train], X_valid, data.y[valid], sink=sink, cancel=_Either())
    from sklearn.pipeline import Pipeline

    return Pipeline([("prep", prep), ("model", net)]), state["epochs"], state["pruned"]


def _check_budget(trial: optuna.Trial, spec: SearchSpec) -> None:
    """Skip a trial that another worker's race let past the study's budget or its grid."""
    study = trial.study
    earlier = study._storage.get_all_trials(study._study_id, deepcopy=False)
    counted = [
        t
        for t in earlier
        if t.number < trial.number
        and t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
        and not t.user_attrs.get("skipped")
    ]
    limit = min(spec.n_trials, spec.grid_size) if spec.sampler == "grid" else spec.n_trials
    if len(counted) >= limit:
        trial.set_user_attr("skipped", True)
        study.stop()
        raise _Skip()


# ---- running ----------------------------------------------------------------------------------


def run_study(
    study: optuna.Study,
    spec: SearchSpec,
    data: SearchData,
    *,
    n_trials: int | None = None,
    emit: Emit | None = None,
    cancel: Event | None = None,
    timeout: float | None = None,
) -> pd.DataFrame:
    """Run trials in this process until the study's budget is spent (or ``n_trials`` here, the
    ``timeout``, or ``cancel``); other workers may run the same study at the same time.

    ``emit`` receives ``{"stage": "trial", ...}`` after every finished trial (see
    :func:`trial_row`). A trial stopped by ``cancel`` is marked failed and the run raises
    :class:`~genre_core.experiments.train.Cancelled`.

    Returns
    -------
    DataFrame
        Every trial of the study (:func:`trials_table`).
    """
    from genre_core.runs.progress import Cancelled

    url = str(study._storage.engine.url) if isinstance(study._storage, RDBStorage) else "memory"
    ran = {"n": 0}

    def after(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.user_attrs.get("skipped"):
            return
        ran["n"] += 1
        if emit is not None:
            emit({"stage": "trial", **trial_row(trial), "best": _best_value(study)})
        if _budget_left(study, spec) <= 0 or (cancel is not None and cancel.is_set()):
            study.stop()

    objective = make_objective(spec, data, cancel)

    def guarded(trial: optuna.Trial) -> float:
        try:
            return objective(trial)
        except _Skip:
            raise optuna.TrialPruned("beyond the study's budget") from None
        except Cancelled:
            trial.set_user_attr("stopped", True)  # failed by the user's Stop, not a fault
            raise
        except DataError as error:  # this configuration cannot be fitted: say why, go on
            trial.set_user_attr("error", str(error))
            raise

    deadline = None if timeout is None else time.monotonic() + timeout
    pause = getattr(study._storage, "heartbeat_interval", None) or 1
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        left = None if n_trials is None else n_trials - ran["n"]
        if left is not None and left <= 0:
            break
        if deadline is not None and time.monotonic() >= deadline:
            break
        states = _states(study)
        if _budget_left(study, spec) > 0 or states.get(TrialState.WAITING):
            before = ran["n"]
            _guard(
                url,
                lambda left=left: study.optimize(
                    guarded,
                    n_trials=left,
                    timeout=None if deadline is None else max(1, deadline - time.monotonic()),
                    callbacks=[after],
                    catch=(DataError,),
                    gc_after_trial=False,
                ),
            )
            if ran["n"] == before:  # another worker took the last trial: do not spin
                time.sleep(pause)
            continue
        if not states.get(TrialState.RUNNING):
            break
        # The budget is spoken for, but trials still run elsewhere: wait, and take over the
        # trial of a worker that died (its heartbeat stops; it is failed and queued again).
        time.sleep(pause)
        _guard(url, lambda: optuna.storages.fail_stale_trials(study))
    return trials_table(study)


def _states(study: optuna.Study) -> dict:
    counts: dict = {}
    for t in study._storage.get_all_trials(study._study_id, deepcopy=False):
        counts[t.state] = counts.get(t.state, 0) + 1
    return counts


def _budget_left(study: optuna.Study, spec: SearchSpec) -> int:
    trials = study._storage.get_all_trials(study._study_id, deepcopy=False)
    used = sum(
        1
        for t in trials
        if t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
        and not t.user_attrs.get("skipped")
    )
    limit = min(spec.n_trials, spec.grid_size) if spec.sampler == "grid" else spec.n_trials
    return limit - used


def _best_value(study: optuna.Study) -> float | None:
    try:
        return float(study.best_value)
    except ValueError:
        return None


def trial_row(trial: optuna.trial.FrozenTrial) -> dict:
    """One trial as a flat dict: number, state, value, params (``param_*``), the user attrs."""
    row = {
        "number": trial.number,
        "state": "stopped" if trial.user_attrs.get("stopped") else trial.state.name.lower(),
        "value": trial.value,
        "epochs": trial.user_attrs.get("epochs", 0),
        "acc_val": trial.user_attrs.get("acc_val"),
        "acc_train": trial.user_attrs.get("acc_train"),
        "delta": trial.user_attrs.get("delta"),
        "f1_macro": trial.user_attrs.get("f1_macro"),
        "seconds": trial.user_attrs.get("seconds"),
        "error": trial.user_attrs.get("error"),
    }
    for key, value in trial.params.items():
        row[f"param_{key}"] = value
    return row


def trials_table(study: optuna.Study) -> pd.DataFrame:
    """Every counted trial of a study, one row each (see :func:`trial_row`), by number."""
    trials = study._storage.get_all_trials(study._study_id, deepcopy=False)
    rows = [trial_row(t) for t in trials if not t.user_attrs.get("skipped")]
    return pd.DataFrame(rows).sort_values("number", ignore_index=True) if rows else pd.DataFrame()


def best_params(study: optuna.Study, spec: SearchSpec) -> dict:
    """The best trial's hyperparameters over the spec's fixed ones, as the model takes them.

    Raises
    ------
    DataError
        When no trial has completed yet.
    """
    try:
        best = study.best_trial
    except ValueError:
        raise DataError("no trial has completed yet: there is no best configuration.") from None
    return decode_params(spec.model, {**spec.base, **best.params})


def importances(study: optuna.Study) -> dict[str, float]:
    """fANOVA importance of each searched hyperparameter for the objective.

    Raises
    ------
    DataError
        With fewer than two completed trials, or when no parameter varied between them.
    """
    done = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    if len(done) < 2:
        raise DataError(
            f"importances need at least 2 completed trials; this study has {len(done)}."
        )
    try:
        return optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0)
        )
    except (RuntimeError, ValueError) as error:
        if "zero total variance" in str(error):
            raise DataError(
                "importances need trials that scored differently; all completed trials so far "
                "scored the same."
            ) from None
        raise DataError(f"importances cannot be computed yet: {error}") from None


def train_best(
    spec: SearchSpec,
    params: Mapping[str, Any],
    frame: pd.DataFrame,
    label: str,
    *,
    sink: Emit | None = None,
    cancel: Event | None = None,
):
    """Train a configuration with the usual engine on a train/validation/test split, so it is
    tested once on rows the search never scored (a ``TrainResult`` or a ``NetResult``)."""
    from genre_core.data.splits import SplitSpec

    method = "group" if spec.group_column else "stratified"
    features = spec.features
    if spec.model == NETWORK:
        from genre_core.models.networks import NetConfig, train_network

        split = SplitSpec(method, spec.group_column, 0.6, 0.2, 0.2, seed=spec.seed)
        config = NetConfig(dict(params), features=features, genres=spec.genres, split=split)
        config = replace(config, seed=spec.seed)
        return train_network(frame, label, config, sink=sink, cancel=cancel)
    from genre_core.experiments.train import TrainConfig, train_model

    split = SplitSpec(method, spec.group_column, 0.7, 0.0, 0.3, seed=spec.seed)
    config = TrainConfig(spec.model, dict(params), None, features, spec.genres, split, spec.seed)
    return train_model(frame, label, config, callback=sink)
