"""The experiments of "Music Genre Classification using Model-Based Machine Learning": its
Table 2 as presets, and accuracy against training-set size.

Every experiment is scored twice: on a test set of the report's size (100 or 200 rows, so
±7 points of noise) and on a fixed, larger held-out set shared by all experiments.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from genre_core.data.dataset import Dataset
from genre_core.errors import DataError
from genre_core.experiments import Outcome
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.models import bayes, posterior
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import TaskState


@dataclass(frozen=True)
class Experiment:
    """One row of the report's Table 2: the setting and the accuracies it reports (%)."""

    id: int
    config: bayes.BayesConfig
    n_train: int
    n_test: int
    report_train: float
    report_test: float
    note: str = ""


_TUNED = dict(nu=4.0, tau=1.0)
TABLE2: tuple[Experiment, ...] = (
    Experiment(1, bayes.BayesConfig("logreg"), 100, 100, 63.0, 32.0),
    Experiment(2, bayes.BayesConfig("logreg"), 1000, 200, 50.4, 45.0),
    Experiment(
        3,
        bayes.BayesConfig("hier-t", nu=1.0, tau=5.0),
        1000,
        200,
        51.7,
        45.5,
        "untuned priors; the report gives no values: ν=1, τ=5 are ours",
    ),
    Experiment(4, bayes.BayesConfig("hier-normal", lam=1.0, tau=1.0), 1000, 200, 49.1, 45.0),
    Experiment(5, bayes.BayesConfig("hier-t", **_TUNED), 1000, 200, 50.3, 46.0),
    Experiment(
        6,
        bayes.BayesConfig("hier-t", **_TUNED),
        10000,
        200,
        49.9,
        50.2,
        "the report does not give this test size; 200 as elsewhere",
    ),
    Experiment(7, bayes.BayesConfig("ard", **_TUNED), 1000, 200, 51.1, 46.0),
    Experiment(
        8,
        bayes.BayesConfig("hier-t", learning_rate=0.001, steps=10000, **_TUNED),
        1000,
        200,
        50.7,
        47.0,
        "the best of the report's learning rates: 0.001",
    ),
    Experiment(9, bayes.BayesConfig("bnn"), 1000, 200, 49.2, 45.5),
    Experiment(10, bayes.BayesConfig("hier-t", inference="mcmc", **_TUNED), 1000, 200, 50.8, 47.0),
)


def experiment(number: int) -> Experiment:
    """Table 2's experiment ``number`` (1 to 10)."""
    for item in TABLE2:
        if item.id == number:
            return item
    raise DataError(f"Table 2 has experiments 1 to {len(TABLE2)}, not {number}.")


def held_out_split(labels: np.ndarray, n_test: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed stratified test set of ``n_test`` rows and the pool of all other rows."""
    rows = np.arange(len(labels))
    try:
        pool, test = train_test_split(rows, test_size=n_test, stratify=labels, random_state=seed)
    except ValueError as error:
        raise DataError(f"a test set of {n_test:,} rows cannot be drawn: {error}") from None
    return np.sort(pool), np.sort(test)


def training_rows(pool: np.ndarray, labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """A stratified sample of ``n`` rows from ``pool``."""
    if n >= len(pool):
        raise DataError(f"{n:,} training rows asked for, but only {len(pool):,} are available.")
    rows, _ = train_test_split(pool, train_size=n, stratify=labels[pool], random_state=seed)
    return np.sort(rows)


def run_table2(
    frame: pd.DataFrame,
    label: str,
    features: Sequence[str],
    task: TaskState = TaskState(),
    *,
    experiments: Sequence[Experiment] = TABLE2,
    held_out: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Run Table 2's experiments; one row each with the report's accuracies next to ours
    (an ``experiment`` event before each, then its fit's own).

    Returns
    -------
    DataFrame
        ``experiment, model, inference, n_train, report_train, report_test, train, test_small``
        (on the report's test size), ``test_held_out`` (on ``held_out`` rows), ``log_loss``
        (held out), ``seconds``, ``steps`` and ``note``; accuracies in %.
    """
    labels = frame[label].astype(str).to_numpy()
    pool, test = held_out_split(labels, held_out, seed)
    rng = np.random.default_rng(seed)
    rows = []
    for item in experiments:
        task.emit(stage="experiment", id=item.id, total=len(experiments))
        train = training_rows(pool, labels, item.n_train, seed)
        data = bayes.prepare_rows(frame, label, features, train, test)
        config = replace(item.config, seed=seed)
        fitted = bayes.fit_rows(data, config, progress=task.progress, cancel=task.cancel)
        predictions = bayes.predict(fitted, data.X_test)
        small = rng.choice(len(test), size=item.n_test, replace=False)
        hit = predictions.proba.argmax(1) == data.y_test
        train_hit = bayes.predict(fitted, data.X_train).proba.argmax(1) == data.y_train
        rows.append(
            {
                "experiment": item.id,
                "model": config.model,
                "inference": config.inference.upper(),
                "n_train": item.n_train,
                "report_train": item.report_train,
                "report_test": item.report_test,
                "train": 100 * train_hit.mean(),
                "test_small": 100 * hit[small].mean(),
                "n_test_small": item.n_test,
                "test_held_out": 100 * hit.mean(),
                "log_loss": bayes.metrics(data.y_test, predictions, data.classes)["log_loss"],
                "seconds": fitted.seconds,
                "steps": len(fitted.elbo)
                if config.inference == "svi"
                else config.warmup + config.samples,
                "note": item.note,
            }
        )
    return pd.DataFrame(rows)


def size_curve(
    frame: pd.DataFrame,
    label: str,
    features: Sequence[str],
    configs: dict[str, bayes.BayesConfig],
    task: TaskState = TaskState(),
    *,
    sizes: Sequence[int] = (100, 300, 1000, 3000, 10000),
    held_out: int = 2000,
    point_estimate: bool = True,
    seed: int = 0,
) -> pd.DataFrame:
    """Held-out accuracy of each named config (and the point-estimate LR) per training size
    (a ``size`` event before each fit).

    Every size is scored on the same ``held_out`` rows; training rows are stratified samples
    of the rest.

    Returns
    -------
    DataFrame
        ``method, n_train, accuracy, log_loss, seconds``.
    """
    labels = frame[label].astype(str).to_numpy()
    pool, test = held_out_split(labels, held_out, seed)
    rows = []
    for n in sizes:
        data = bayes.prepare_rows(
            frame, label, features, training_rows(pool, labels, n, seed), test
        )
        for name, config in configs.items():
            total = len(sizes) * len(configs)
            task.emit(stage="size", n_train=n, method=name, total=total)
            fitted = bayes.fit_rows(data, replace(config, seed=seed), cancel=task.cancel)
            found = bayes.metrics(data.y_test, bayes.predict(fitted, data.X_test), data.classes)
            rows.append(
                {
                    "method": name,
                    "n_train": n,
                    "accuracy": found["accuracy"],
                    "log_loss": found["log_loss"],
                    "seconds": fitted.seconds,
                }
            )
        if point_estimate:
            _, proba = posterior.point_estimate(data, seed=seed)
            hit = proba.argmax(1) == data.y_test
            rows.append(
                {
                    "method": "point-estimate LR",
                    "n_train": n,
                    "accuracy": hit.mean(),
                    "log_loss": bayes.metrics(
                        data.y_test,
                        bayes.Predictions(proba, proba[:, 0], proba[:, 0]),
                        data.classes,
                    )["log_loss"],
                    "seconds": float("nan"),
                }
            )
    return pd.DataFrame(rows)


# ---- as a recipe: kind "bayes-tables" ----------------------------------------------------------

CURVE_CONFIGS = {
    "SVI Model 2": bayes.BayesConfig("hier-t", nu=4.0, tau=1.0),
    "SVI Model 1": bayes.BayesConfig("logreg"),
}
TABLE2_COLUMNS = {
    "report_train": "report train %",
    "report_test": "report test %",
    "train": "our train %",
    "test_small": "our test % (report's size)",
    "test_held_out": "our test % (2,000 rows)",
}


@dataclass(frozen=True)
class TablesSpec(Recipe):
    """The report's experiments on a table: Table 2 (``table="table2"``, the ``experiments``
    chosen) or accuracy against training size (``"curve"``, at the ``sizes`` the table allows),
    all scored on the same ``held_out`` rows."""

    kind: ClassVar[str] = "bayes-tables"
    title: ClassVar[str] = "The report's Bayesian experiments"

    OPTIONS: ClassVar[ParamSet] = ParamSet(
        [
            Param("table", "choice", "table2", choices=("table2", "curve"),
                  help="Table 2's experiments, or accuracy against training size"),
            Param("experiments", "ints", (1, 2, 3, 4, 5, 7, 9), 1, 10,
                  help="Table 2's experiments to run (1 to 10)"),
            Param("sizes", "ints", (100, 300, 1000, 3000, 10000), 10, 1_000_000,
                  help="training sizes of the curve"),
            Param("held_out", "int", 2000, 100, 1_000_000, help="test rows, the same for all"),
            Param("seed", "int", 0, 0, 2**31 - 1),
        ]
    )  # fmt: skip

    data: DataSpec = DataSpec()
    table: Literal["table2", "curve"] = "table2"
    experiments: tuple[int, ...] = (1, 2, 3, 4, 5, 7, 9)
    sizes: tuple[int, ...] = (100, 300, 1000, 3000, 10000)
    held_out: int = 2000
    seed: int = 0

    def check(self) -> None:
        super().check()
        if self.table == "table2" and not self.experiments:
            raise RecipeError("experiments: choose at least one of Table 2's experiments.")
        for i, number in enumerate(self.experiments):
            try:
                experiment(number)
            except DataError as error:
                raise RecipeError(f"experiments[{i}]: {error}") from None
        if any(n < 10 for n in self.sizes) or (self.table == "curve" and not self.sizes):
            raise RecipeError("sizes: training sizes are at least 10 rows (give at least one).")
        if self.held_out < 100:
            raise RecipeError("held_out: hold out at least 100 test rows.")


def check_size(spec: TablesSpec, rows: int) -> None:
    """Refuse a table too small for ``spec``'s held-out rows (a page says so before starting)."""
    if rows < spec.held_out + 100:
        raise DataError(
            f"the experiments hold out {spec.held_out:,} test rows; this table of {rows:,} "
            "rows is too small for them."
        )


def run(
    spec: TablesSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None
) -> Outcome:
    """Run Table 2 or the size curve; ``Outcome.result`` is ``{"table2": DataFrame}`` or
    ``{"curve": DataFrame}`` and the summary holds the same rows."""
    spec.check()
    table = spec.load_table(dataset, task.progress)
    frame, roles = table.frame, table.roles
    check_size(spec, len(frame))
    task.emit(stage="prepare")
    common = dict(held_out=spec.held_out, seed=spec.seed)
    if spec.table == "table2":
        chosen = [experiment(n) for n in spec.experiments]
        found = run_table2(frame, roles.label, roles.features, task, experiments=chosen, **common)
    else:
        sizes = [n for n in spec.sizes if n < len(frame) - spec.held_out]
        found = size_curve(
            frame, roles.label, roles.features, CURVE_CONFIGS, task, sizes=sizes, **common
        )
    rows = json.loads(found.to_json(orient="records"))
    summary = {"kind": spec.kind, "dataset": table.name, "table": spec.table, "rows": rows}
    return Outcome(spec, summary, {spec.table: found})


def live_status(events: list[dict]) -> tuple[str, float]:
    """A running Table 2 or size curve: which fit runs, and the share done (0 to 1)."""
    marks = [e for e in events if e.get("stage") in ("experiment", "size")]
    if not marks:
        return "starting…", 0.0
    last = marks[-1]
    share = min(max((len(marks) - 1) / last["total"], 0.0), 1.0)
    if last["stage"] == "experiment":
        return f"experiment {last['id']} ({len(marks)} of {last['total']})", share
    return f"{last['method']} on {last['n_train']:,} rows", share


def table2_view(table: pd.DataFrame) -> pd.DataFrame:
    """Table 2's rows with the columns named for a reader."""
    return table.rename(columns=TABLE2_COLUMNS)


Spec = TablesSpec
