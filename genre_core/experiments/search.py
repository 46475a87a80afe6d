"""Hyperparameter search with Optuna: the recipe of kind "search" and its :func:`run`.

A :class:`SearchSpec` holds a study's whole recipe: the data, the split, the model, the search
space (:mod:`~genre_core.experiments.search_space`), the objective, the folds, the sampler and
pruner, and the budget. The study keeps it as JSON in its user attributes, so ``genre-lab
search-worker --study NAME --storage URL`` rebuilds the objective in another process or on
another machine from the storage alone (:mod:`genre_core.runs.studies`). Workers send
heartbeats: the trial of a worker that dies is marked failed by the next worker to start a
trial, and retried once. The trials themselves run in :mod:`~genre_core.experiments.search_trials`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import optuna
import pandas as pd

from genre_core.data.dataset import Dataset
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import Outcome
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.experiments.search_space import (
    DEVELOPMENT_BEST,
    DEVELOPMENT_GRID,
    NETWORK,
    OBJECTIVES,
    OPTIONS,
    PRUNERS,
    SAMPLERS,
    SPACES,
    Dim,
    build_space,
    check_space,
    decode_params,
    default_space,
    dim_text,
    grid_configurations,
    grid_space,
    grid_values,
    model_names,
    model_params,
    model_title,
    parse_dim,
)
from genre_core.experiments.search_trials import (
    SearchData,
    best_params,
    best_value,
    events_table,
    importances,
    prepare_data,
    run_study,
    score,
    shown_table,
    trial_counts,
    trial_row,
    trials_table,
)
from genre_core.params import ParamSet
from genre_core.runs import studies
from genre_core.runs.progress import TaskState
from genre_core.runs.studies import HEARTBEAT_SECONDS, SPEC_ATTR, default_storage

DEFAULT_SPLIT = SplitSpec.by_track(validation=0.2, test=0.2)


@dataclass(frozen=True)
class SearchSpec(Recipe):
    """Everything a worker needs to rebuild a study's objective, and where the study lives.

    Parameters
    ----------
    data
        The table: a known dataset or a CSV every worker can read, roles, genres, merge map.
    split
        How rows are grouped (grouped folds and hold-out when ``method="group"``), and the
        train/validation/test shares a trained best configuration uses.
    model
        A classical model of :data:`genre_core.models.classical.MODELS`, or ``"net"``.
    space, base
        The searched dimensions, and the fixed hyperparameters (engine values).
    objective, weights
        "accuracy", "f1_macro" or "genre_factor" with its weights ``(w1, w2)``.
    folds, holdout
        Cross-validation folds (stratified, or grouped); 1: a single hold-out of the
        ``holdout`` share (Table 4's grid used 80/20).
    sampler, pruner, grid_points
        How trials are chosen and stopped early; values per number range of a grid.
    n_trials
        The study's total number of trials, shared by all its workers.
    rows
        Keep a fixed stratified sample of this many rows (``None``: all).
    seed
        The sampler's and the networks' seed (the split has its own).
    study, storage, trials_here
        The study's name (empty: a new one), its storage URL (``None``: SQLite under
        ``data/``), and the most trials this process runs (``None``: until the budget is spent).
    train_best, log
        After the trials, train the best configuration once on ``split`` (tested on its test
        part) and log it to the run history.
    """

    kind: ClassVar[str] = "search"
    title: ClassVar[str] = "Hyperparameter search"
    OPTIONS: ClassVar[ParamSet] = OPTIONS
    DEFAULT_SPLIT: ClassVar[SplitSpec] = DEFAULT_SPLIT

    data: DataSpec = DataSpec()
    split: SplitSpec = DEFAULT_SPLIT
    model: str = "logreg"
    space: tuple[Dim, ...] = ()
    base: dict[str, Any] = field(default_factory=dict)
    objective: str = "accuracy"
    weights: tuple[float, float] = (0.5, 1.0)
    folds: int = 3
    holdout: float = 0.2
    sampler: str = "tpe"
    pruner: str = "median"
    n_trials: int = 30
    grid_points: int = 3
    rows: int | None = None
    seed: int = 0
    study: str = ""
    storage: str | None = None
    trials_here: int | None = None
    train_best: bool = False
    log: bool = True

    def __post_init__(self) -> None:
        # JSON has lists where the engine takes tuples (hidden layers, per-layer values)
        base = {k: tuple(v) if isinstance(v, list) else v for k, v in dict(self.base).items()}
        object.__setattr__(self, "base", base)

    def check(self) -> None:
        super().check()
        if self.data.sample is not None:
            raise RecipeError(
                f"data.sample: a search samples its rows with 'rows' (the same seeded, "
                f"stratified draw); set rows to {self.data.sample} instead."
            )
        try:
            params = model_params(self.model)
        except DataError as error:
            raise RecipeError.of_field("model", error) from None
        self.check_options(("objective", "folds", "holdout", "sampler", "pruner", "n_trials",
                            "grid_points", "rows", "trials_here"))  # fmt: skip
        if len(self.weights) != 2 or not all(math.isfinite(w) and w >= 0 for w in self.weights):
            raise RecipeError("weights: the Genre Factor weights must be two numbers, 0 or above.")
        if self.model == NETWORK and self.split.validation <= 0:
            raise RecipeError(
                "split.validation: a network needs a validation share to watch its loss."
            )
        for name, value in self.base.items():
            try:
                params.get(name, self.model).parse(value, self.model)
            except DataError as error:
                raise RecipeError.of_field(f"base.{name}", error) from None
        try:
            check_space(self.model, self.space)
        except DataError as error:
            raise RecipeError.of_field("space", error) from None

    # ---- the recipe's other forms ------------------------------------------------------------

    @classmethod
    def from_json(cls, text: str) -> SearchSpec:
        """A recipe from its JSON (also the form studies stored before recipes had kinds)."""
        data = json.loads(text)
        if "dataset" in data:
            data = _upgrade(data)
        return cls.from_dict(data)

    def study_recipe(self) -> SearchSpec:
        """What defines the study (its name, storage and what this process does left out)."""
        return replace(self, study="", storage=None, trials_here=None, train_best=False, log=True)

    @property
    def budget(self) -> int:
        """Trials the study runs in all: ``n_trials``, or the grid's size when smaller."""
        return min(self.n_trials, self.grid_size) if self.sampler == "grid" else self.n_trials

    @property
    def grid_size(self) -> int:
        return len(grid_configurations(self.space, self.grid_points))

    @property
    def description(self) -> str:
        """The study in words: model, objective, sampler, pruner, folds."""
        folds = f"{self.folds} folds" if self.folds > 1 else f"{1 - self.holdout:.0%} hold-out"
        grouped = f" grouped by {self.split.group_column}" if self.split.method == "group" else ""
        return (
            f"{model_title(self.model)} · {OBJECTIVES[self.objective]} · {self.sampler} sampler"
            f" · {self.pruner} pruner · {folds}{grouped}"
        )

    @classmethod
    def from_settings(
        cls, data: DataSpec, split: SplitSpec, settings: dict, rest: dict, preset: str | None
    ) -> SearchSpec:
        """A recipe from parsed settings, and the model's hyperparameters as texts in ``rest``,
        each a fixed value, a range ``low : high[: log]`` or values ``a | b``. ``preset``
        names the starting space ("default", or "development": Table 4's network grid)."""
        model = settings.pop("model", OPTIONS.get("model").default)
        weights = (settings.pop("w1", 0.5), settings.pop("w2", 1.0))
        try:
            space, base = build_space(model, rest, preset or "default")
        except RecipeError:
            raise
        except DataError as error:  # the named space
            raise RecipeError.of_field("space", error) from None
        return cls(data, split, model, space, base, weights=weights, **settings)


Spec = SearchSpec


def _upgrade(data: dict) -> dict:
    """A study recipe of the first format (``dataset``, ``group_column`` at the top) as today's."""
    data = dict(data)
    group = data.pop("group_column", None)
    seed = data.get("seed", 0)
    data["data"] = {
        "source": data.pop("dataset"),
        "label": data.pop("label", None),
        "features": data.pop("features", []),
        "genres": data.pop("genres", []),
        "merge": data.pop("merge", None),
    }
    # the shares its "train the best" step used: 60/20/20 for a network, 70/30 otherwise
    validation = 0.2 if data.get("model") == NETWORK else 0.0
    test = 0.2 if validation else 0.3
    method = "group" if group else "stratified"
    split = SplitSpec.of(method, group, test=test, validation=validation, seed=seed)
    data["split"] = dataclasses.asdict(split)
    return data


# ---- studies ----------------------------------------------------------------------------------


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


def create_study(spec: SearchSpec, name: str, storage: studies.Storage = None) -> optuna.Study:
    """Create a study keeping ``spec``'s study recipe (or reopen the study of that name when it
    keeps the same one).

    Raises
    ------
    DataError
        For a bad spec, a study of that name with a different recipe, or a storage failure.
    """
    spec.check()
    recipe = spec.study_recipe()
    study, stored = studies.create_study(
        name,
        storage,
        recipe=recipe.to_json(),
        sampler=make_sampler(spec),
        pruner=make_pruner(spec),
    )
    if SearchSpec.from_json(stored).study_recipe() != recipe:
        raise RecipeError(
            f"study: a study named '{name}' already exists with another recipe; pick a new name."
        )
    return study


def load_study(name: str, storage: studies.Storage = None) -> tuple[optuna.Study, SearchSpec]:
    """A stored study and its recipe, with its sampler and pruner rebuilt.

    Raises
    ------
    DataError
        For a missing study (naming those in the store), one not made by Genre Lab, or a
        storage failure.
    """
    store = storage if not isinstance(storage, str | None) else studies.open_storage(storage)
    spec = SearchSpec.from_json(studies.stored_recipe(name, store))
    study = studies.load_study(name, store, sampler=make_sampler(spec), pruner=make_pruner(spec))
    return study, spec


def train_best(
    spec: SearchSpec,
    params: Mapping[str, Any],
    dataset: Dataset,
    task: TaskState = TaskState(),
):
    """Train a configuration with the usual engine on the spec's train/validation/test split,
    so it is tested once (a ``TrainResult`` or a ``NetResult``). ``dataset`` already has the
    spec's data choices applied. A classical model is fitted to its end even once the task is
    stopped; a network keeps its best weights so far."""
    split = spec.split_on(dataset)
    frame, label = dataset.frame, dataset.roles.label
    features = tuple(dataset.roles.features)
    if spec.model == NETWORK:
        from genre_core.experiments.net import NetConfig, train_network

        config = NetConfig(dict(params), features=features, split=split, seed=spec.seed)
        return train_network(frame, label, config, task)
    from genre_core.experiments.fitting import TrainConfig, train_model

    config = TrainConfig(spec.model, dict(params), None, features, (), split, spec.seed)
    return train_model(frame, label, config, replace(task, cancel=None))


# ---- the job ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchResult:
    """A finished search job: the study's name and storage, its trials, its best configuration
    (``None`` before a trial completes) and the trained best (when asked for)."""

    study: str
    storage: str
    table: pd.DataFrame
    best_params: dict | None
    trained: Any = None
    run_id: str | None = None


def run(
    spec: SearchSpec,
    task: TaskState = TaskState(),
    *,
    dataset: Dataset | None = None,
    heartbeat: float | None = HEARTBEAT_SECONDS,
    timeout: float | None = None,
) -> Outcome:
    """Create (or resume) the spec's study, run its trials here until its budget is spent (or
    ``spec.trials_here``, ``timeout``, a stop of the task), then train the best configuration when
    ``spec.train_best``.

    Emits ``{"stage": "start", "study", "trials", "rows"}``, one ``{"stage": "trial", ...}``
    per finished trial (:func:`trial_row` and ``best``), then for the best configuration the
    training's own events and ``logged`` or ``store-error``.

    Raises
    ------
    DataError
        For data the study cannot use, a study of that name with another recipe, or a
        storage failure. :class:`~genre_core.runs.progress.Cancelled` on a stop request.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = spec.study.strip() or f"{spec.model}-{stamp}-{secrets.token_hex(3)}"
    url = spec.storage or default_storage()
    store = studies.open_storage(url, heartbeat=heartbeat)
    study = create_study(spec, name, store)
    table = None
    if spec.trials_here != 0 or spec.train_best:
        table = spec.load_table(dataset)
    ran = 0
    if spec.trials_here != 0:
        data = prepare_data(spec, table)
        task.emit(stage="start", study=name, trials=spec.budget, rows=len(data.y))

        def count(event: dict) -> None:
            nonlocal ran
            ran += 1
            task.emit(**event)

        counted = replace(task, progress=count)
        run_study(study, spec, data, counted, n_trials=spec.trials_here, timeout=timeout)
    trials = trials_table(study)
    best = None
    if best_value(study) is not None:
        best = best_params(study, spec)
    trained, run_id, warnings, runs = None, None, [], []
    if spec.train_best:
        if best is None:
            raise DataError("no trial has completed yet: there is no best configuration.")
        task.emit(stage="train-best", study=name)
        trained = train_best(spec, best, table, task)
        if spec.log:
            run_id = spec.log_to_history(
                task, trained, warnings, source="search", dataset=table.name
            )
        from genre_core.metrics.evaluation import evaluation_summary

        runs.append(
            {
                "model": spec.model,
                "title": model_title(spec.model),
                **evaluation_summary(trained.evaluation),
                "params": {k: list(v) if isinstance(v, tuple) else v for k, v in best.items()},
                "run_id": run_id,
            }
        )
    summary = {
        "kind": spec.kind,
        "study": name,
        "storage": studies.redact(url),
        "model": spec.model,
        "objective": spec.objective,
        "ran_here": ran,
        "trials": trial_counts(trials),
        "best_value": None if best_value(study) is None else round(best_value(study), 6),
        "best_params": None if best is None else study.best_trial.params,
        "runs": runs,
    }
    result = SearchResult(name, url, trials, best, trained, run_id)
    return Outcome.of_run(spec, summary, result, run_id, warnings)


__all__ = [
    "DEVELOPMENT_BEST",
    "DEVELOPMENT_GRID",
    "HEARTBEAT_SECONDS",
    "NETWORK",
    "OBJECTIVES",
    "OPTIONS",
    "PRUNERS",
    "SAMPLERS",
    "SPACES",
    "SPEC_ATTR",
    "Dim",
    "SearchData",
    "SearchResult",
    "SearchSpec",
    "Spec",
    "best_params",
    "create_study",
    "decode_params",
    "default_space",
    "default_storage",
    "dim_text",
    "events_table",
    "grid_configurations",
    "grid_space",
    "grid_values",
    "importances",
    "load_study",
    "make_pruner",
    "make_sampler",
    "model_names",
    "model_title",
    "parse_dim",
    "prepare_data",
    "run",
    "run_study",
    "score",
    "shown_table",
    "train_best",
    "trial_counts",
    "trial_row",
    "trials_table",
]
