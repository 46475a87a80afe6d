"""Grid search with cross-validation: the recipe of kind "grid" and its :func:`run`.

A :class:`GridSpec` names one model of the zoo, the values to try for some of its
hyperparameters (``{param: [values]}``, each read by the model's parameter schema) and the
fixed others; :func:`run` scores every combination by k-fold cross-validation on the kept
rows (grouped folds when the split is grouped) and ranks them, best first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import clone

from genre_core.data.dataset import Dataset
from genre_core.data.preprocess import IMPUTERS, SCALERS, PrepConfig
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import Outcome
from genre_core.experiments.fitting import cv_folds, groups_for, training_table
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.experiments.train import check_model_choice, model_params
from genre_core.models.classical import MODELS, get_model, make_model, resolve_params
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import Cancelled, TaskState

# The grids of "Development of a Neural Network-Based Music Genre Classification Tool" (5-fold).
# The report names the searched parameters and the winning values; the other values are ours.
BASELINE_GRIDS: dict[str, dict[str, list]] = {
    "xgboost": {
        "learning_rate": [0.01, 0.1],
        "n_estimators": [100, 300],
        "max_depth": [3, 6, 10],
        "subsample": [0.8, 0.9],
        "colsample_bytree": [0.8, 0.9],
    },
    "rf": {
        "n_estimators": [100, 300],
        "max_depth": [None, 10, 20],
        "min_samples_split": [2, 5],
        "min_samples_leaf": [1, 2],
        "bootstrap": [True, False],
    },
}

OPTIONS = ParamSet(
    (
        Param("model", "choice", "xgboost", choices=tuple(MODELS), help="the model searched"),
        Param(
            "grid",
            "text",
            "",
            help='the values to try, as JSON ({"max_depth": [3, 6]}) or "max_depth=3,6; '
            'n_estimators=100,300"; empty: the baseline grid of the model',
        ),
        Param("folds", "int", 5, 2, 20, help="cross-validation folds"),
        Param("imputer", "choice", "median", choices=IMPUTERS),
        Param("scaler", "choice", "standard", choices=SCALERS),
    )
)


def parse_grid(text: str) -> dict[str, list]:
    """A grid from its text: a JSON object of lists, or ``"a=1,2; b=x,y"``.

    The values stay as given (texts or numbers); :meth:`GridSpec.check` reads them with the
    model's schema.

    Raises
    ------
    DataError
        For text that is neither, or a parameter without values.
    """
    text = str(text).strip()
    if text.startswith("{"):
        try:
            grid = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(
                f"the grid is not valid JSON: {error.msg} at line {error.lineno}."
            ) from None
    else:
        grid = {}
        for part in filter(None, (p.strip() for p in text.split(";"))):
            key, sep, values = part.partition("=")
            if not sep or not key.strip():
                raise DataError(f"grid part '{part}' is not of the form NAME=V1,V2.")
            grid[key.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise DataError(
            'the grid must map each hyperparameter to a non-empty list, e.g. {"max_depth": [3, 6]}.'
        )
    return grid


@dataclass(frozen=True)
class GridSpec(Recipe):
    """Cross-validated accuracy of every combination of a grid of one model's hyperparameters.

    Parameters
    ----------
    data
        The table (numeric features only).
    split
        Only its grouping is used: grouped folds when it is grouped (its shares do not
        matter: every kept row is in one fold).
    model, grid
        The model and the values to try, ``{param: [values]}`` (engine values).
    params, preset
        The model's other hyperparameters, over the preset.
    imputer, scaler
        The preparation.
    folds, seed
        The number of folds, and the seed of the folds and the models.
    """

    kind: ClassVar[str] = "grid"
    title: ClassVar[str] = "Grid search with cross-validation"

    data: DataSpec = DataSpec()
    split: SplitSpec = SplitSpec()
    model: str = "xgboost"
    grid: dict[str, tuple] = field(
        default_factory=lambda: {k: tuple(v) for k, v in BASELINE_GRIDS["xgboost"].items()}
    )
    params: dict[str, Any] = field(default_factory=dict)
    preset: str | None = None
    imputer: str = "median"
    scaler: str = "standard"
    folds: int = 5
    seed: int = 0

    # the CLI gives the model's fixed hyperparameters as NAME=VALUE
    OPTIONS: ClassVar[ParamSet] = OPTIONS

    def check(self) -> None:
        super().check()
        spec = check_model_choice(self.model, self.preset, self.params)
        if not self.grid:
            raise RecipeError("grid: give at least one hyperparameter and its values.")
        for name, values in self.grid.items():
            if not values:
                raise RecipeError(f"grid.{name}: give at least one value.")
            for value in values:
                model_params(spec, {name: value}, "grid")
        self.check_options(("imputer", "scaler", "folds"))
        self.data.check_genres()

    def parsed_grid(self) -> dict[str, list]:
        """The grid in engine values (``"none"`` read as ``None``, ``"3"`` as 3, ...)."""
        spec = get_model(self.model)
        return {
            name: [spec.param(name).parse(v, self.model) for v in values]
            for name, values in self.grid.items()
        }

    @classmethod
    def from_settings(
        cls, data: DataSpec, split: SplitSpec, settings: dict, rest: dict, preset: str | None
    ) -> GridSpec:
        """A search from parsed settings, and the model's fixed hyperparameters as texts in
        ``rest``."""
        model = settings.pop("model", "xgboost")
        text = settings.pop("grid", "")
        try:
            grid = parse_grid(text) if text else BASELINE_GRIDS.get(model)
        except DataError as error:
            raise RecipeError.of_field("grid", error) from None
        if grid is None:
            raise RecipeError(f"grid: {model} has no baseline grid; give one with --grid.")
        params = model_params(get_model(model), rest)
        grid = {k: tuple(v) for k, v in grid.items()}
        return cls(data, split, model, grid, params, preset, **settings)


Spec = GridSpec


def grid_search(
    model: str,
    grid: Mapping[str, Sequence],
    X: np.ndarray,
    y: np.ndarray,
    task: TaskState = TaskState(),
    *,
    base: Mapping[str, Any] | None = None,
    prep: PrepConfig | None = None,
    groups: np.ndarray | None = None,
    k: int = 5,
    seed: int = 0,
) -> pd.DataFrame:
    """Cross-validated accuracy of every combination in ``grid``, best first.

    Every value is checked against the model's parameter table before anything is fitted.
    Emits ``{"stage": "grid", "done": i, "total": n, ...}`` after each fit and checks the
    task's ``cancel`` before each; a cancelled search returns the combinations finished so far.

    Returns
    -------
    DataFrame
        One row per combination: its parameters, ``accuracy_mean``, ``accuracy_std``,
        ``f1_macro_mean``, and ``rank``.
    """
    from sklearn.metrics import accuracy_score, f1_score

    names = list(grid)
    combos = [dict(zip(names, values, strict=True)) for values in product(*grid.values())]
    for combo in combos:
        resolve_params(model, {**(base or {}), **combo})
    folds = cv_folds(y, groups, k, seed)
    total = len(combos) * len(folds)
    rows, done = [], 0
    try:
        for combo in combos:
            pipeline = make_model(model, {**(base or {}), **combo}, prep, seed)
            accuracy, f1 = [], []
            for train, test in folds:
                task.check_cancel()
                fitted = clone(pipeline).fit(X[train], y[train])
                predicted = fitted.predict(X[test])
                accuracy.append(accuracy_score(y[test], predicted))
                f1.append(f1_score(y[test], predicted, average="macro", zero_division=0))
                done += 1
                task.emit(stage="grid", done=done, total=total, params=combo)
            rows.append(
                {
                    **combo,
                    "accuracy_mean": np.mean(accuracy),
                    "accuracy_std": np.std(accuracy, ddof=1),
                    "f1_macro_mean": np.mean(f1),
                }
            )
    except Cancelled:
        task.emit(stage="cancelled", done=done, total=total)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table = table.sort_values("accuracy_mean", ascending=False, ignore_index=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table


@dataclass(frozen=True)
class GridResult:
    """The ranked combinations (best first) and how many were planned."""

    table: pd.DataFrame
    combinations: int
    folds: int
    grouped: bool

    @property
    def complete(self) -> bool:
        return len(self.table) == self.combinations


def run(
    spec: GridSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None
) -> Outcome:
    """Score every combination of ``spec``'s grid by cross-validation; a stop request keeps the
    combinations finished so far.

    Raises
    ------
    DataError
        For data the search cannot use (no feature, an unknown genre, too few rows per fold).
    """
    table, split = spec.table_and_split(dataset)
    rows, X, y = training_table(
        table.frame, table.roles.label, table.roles.features, spec.data.genres
    )
    grid = spec.parsed_grid()
    fixed = resolve_params(spec.model, spec.params, spec.preset)
    base = {k: v for k, v in fixed.items() if k not in grid}
    ranked = grid_search(
        spec.model,
        grid,
        X,
        y,
        task,
        base=base,
        prep=PrepConfig(spec.imputer, spec.scaler),
        groups=groups_for(rows, split),
        k=spec.folds,
        seed=spec.seed,
    )
    combinations = int(np.prod([len(v) for v in grid.values()]))
    result = GridResult(ranked, combinations, spec.folds, split.method == "group")
    records = json.loads(ranked.to_json(orient="records")) if len(ranked) else []
    summary = {
        "kind": spec.kind,
        "data": table.name,
        "model": spec.model,
        "folds": spec.folds,
        "grouped": result.grouped,
        "combinations": result.combinations,
        "finished": len(ranked),
        "best": records[0] if records else None,
        "ranking": records,
        "runs": [],
    }
    warnings = (
        ()
        if result.complete
        else (f"stopped: {len(ranked)} of {result.combinations} combinations finished.",)
    )
    return Outcome(spec, summary, result, (), warnings)


__all__ = [
    "BASELINE_GRIDS",
    "GridResult",
    "GridSpec",
    "Spec",
    "grid_search",
    "parse_grid",
    "run",
]
