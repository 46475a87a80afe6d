"""Running a study's trials: the rows and folds a study scores on, the objective (a classical fit
per fold, or a network reporting every epoch so poor trials are pruned), the worker loop that
shares a study's budget with other workers, and the trials as a table.

The functions take a :class:`~genre_core.experiments.search.SearchSpec` (model, space, base,
objective, weights, folds, sampler, seed, budget); they never create or name a study.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from threading import Event
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from genre_core.data.dataset import Dataset
from genre_core.errors import DataError
from genre_core.experiments.recipe import Recipe
from genre_core.experiments.search_space import NETWORK, decode_params
from genre_core.runs.progress import CancelFlag, Cancelled, TaskState, check_cancel
from genre_core.runs.studies import guarded, url_of

# The functions read a SearchSpec (genre_core.experiments.search), which imports this module.
SearchSpec = Recipe

WORKER = f"{socket.gethostname()}:{os.getpid()}"  # who ran a trial, kept with it
COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


# A sampler that proposes only finished configurations this many times in a row has nothing
# new left to try (a small grid of choices): the worker stops instead of spinning.
MAX_REPEATS = 30


class SkipTrial(Exception):
    """This trial is beyond the study's budget or grid, or repeats a configuration already
    finished or running: nothing to evaluate, and it does not count."""


# ---- the data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchData:
    """The rows a study scores on: features, labels and the (train, validation) folds."""

    X: np.ndarray
    y: np.ndarray
    folds: list[tuple[np.ndarray, np.ndarray]]
    features: tuple[str, ...]


def prepare_data(spec: SearchSpec, dataset: Dataset | None = None) -> SearchData:
    """The spec's rows: its data (``dataset`` with the spec's roles, merge map and genres, or
    the spec's own data loaded), a fixed stratified sample of ``rows``, and the folds: ``folds``
    cross-validation folds, or with one fold a single hold-out of the ``holdout`` share (grouped
    when the split is grouped).

    Raises
    ------
    DataError
        For a dataset that cannot be read, unknown features or genres, or too few rows.
    """
    from genre_core.data.splits import SplitSpec, group_codes, group_values, split_rows
    from genre_core.experiments.fitting import cv_folds, training_table

    dataset = spec.data.load() if dataset is None else spec.data.apply(dataset)
    label, features = dataset.roles.label, tuple(dataset.roles.features)
    table, X, y = training_table(dataset.frame, label, list(features))
    if spec.rows is not None and spec.rows < len(table):
        keep = stratified_sample(y, spec.rows, spec.split.seed)
        table, X, y = table.iloc[keep].reset_index(drop=True), X[keep], y[keep]
    split = spec.split_on(dataset)  # "track" and "artist" made concrete, the column checked
    groups = None
    if split.method == "group":
        groups = group_codes(group_values(table, split.group_column))
    if spec.folds == 1:
        holdout = SplitSpec.of(split.method, split.group_column, test=spec.holdout, seed=split.seed)
        rows = split_rows(table, label, holdout)
        folds = [(rows.train, rows.test)]
    else:
        folds = cv_folds(y, groups, spec.folds, split.seed)
    return SearchData(X, y, folds, features)


def stratified_sample(y: np.ndarray, rows: int, seed: int) -> np.ndarray:
    """Positions of a fixed stratified sample of ``rows`` labels, in order."""
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=rows, stratify=y, random_state=seed)
    return np.sort(keep)


# ---- the objective ----------------------------------------------------------------------------


def score(objective: str, acc_val: float, acc_train: float, f1: float, weights) -> float:
    """The value a trial maximises. The Genre Factor's score is ½·(w1·(1−Δacc) + w2·acc_val),
    with Δacc = training accuracy − validation accuracy (its eq. 1)."""
    if objective == "accuracy":
        return acc_val
    if objective == "f1_macro":
        return f1
    w1, w2 = weights
    return 0.5 * (w1 * (1 - (acc_train - acc_val)) + w2 * acc_val)


def make_objective(
    spec: SearchSpec, data: SearchData, cancel: CancelFlag | None = None
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

    from genre_core.models.classical import make_model, resolve_params

    def objective(trial: optuna.Trial) -> float:
        check_cancel(cancel)
        check_budget(trial, spec)
        trial.set_user_attr("worker", WORKER)
        raw = {dim.name: dim.suggest(trial) for dim in spec.space}
        twin = _completed_twin(trial, raw)
        if not _enqueued(trial):  # a sampler's proposal: never a configuration seen already
            seen = twin or _running_twin(trial, raw)
            if seen is not None:
                trial.set_user_attr("skipped", True)
                trial.set_user_attr("duplicate_of", seen.number)
                trial.study.sampler.reseed_rng()  # another worker with the same seed moves on
                raise SkipTrial(f"repeats trial {seen.number}")
        if twin is not None:  # asked for again: same values, same seed, the same score, free
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
            check_cancel(cancel)
            if spec.model == NETWORK:
                model, epochs, pruned = _fit_network(
                    spec, data, params, train, valid, trial, index, cancel
                )
                epochs_run += epochs
                trial.set_user_attr("epochs", epochs_run)
                if pruned:
                    raise optuna.TrialPruned(f"pruned in fold {index + 1}, epoch {epochs}")
                check_cancel(cancel)
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
        earlier = None if _enqueued(trial) else _earlier_twin(trial, raw)
        if earlier is not None:  # two workers proposed it at the same moment: one keeps it
            trial.set_user_attr("skipped", True)
            trial.set_user_attr("duplicate_of", earlier.number)
            raise SkipTrial(f"repeats trial {earlier.number}")
        return float(score(spec.objective, *mean, spec.weights))

    return objective


def _earlier_twin(trial: optuna.Trial, raw: Mapping[str, Any]):
    """A trial numbered before this one with exactly these values, running or complete and
    not skipped: of two workers that proposed the same values at once (each one's check ran
    before the other's values were stored), the later trial yields."""
    for other in _trials(trial.study, (TrialState.RUNNING, TrialState.COMPLETE)):
        if (
            other.number < trial.number
            and other.params == dict(raw)
            and not other.user_attrs.get("skipped")
        ):
            return other
    return None


def _completed_twin(trial: optuna.Trial, raw: Mapping[str, Any]):
    """A completed trial of the study with exactly these values (training is seeded)."""
    for other in _trials(trial.study, (TrialState.COMPLETE,)):
        if other.params == dict(raw) and other.value is not None:
            return other
    return None


def _running_twin(trial: optuna.Trial, raw: Mapping[str, Any]):
    """Another worker's running trial with exactly these values."""
    for other in _trials(trial.study, (TrialState.RUNNING,)):
        if other.number != trial.number and other.params == dict(raw):
            return other
    return None


def _enqueued(trial: optuna.Trial) -> bool:
    """Whether the trial's values were asked for (``enqueue_trial``, or a dead worker's trial
    retried), not proposed by the sampler."""
    frozen = trial.study._storage.get_trial(trial._trial_id)
    return "fixed_params" in frozen.system_attrs or "failed_trial" in frozen.system_attrs


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
    from sklearn.pipeline import Pipeline

    from genre_core.data.preprocess import PrepConfig, make_preprocessor
    from genre_core.models.networks import NetClassifier

    prep = make_preprocessor(PrepConfig())
    X_train = prep.fit_transform(data.X[train])
    X_valid = prep.transform(data.X[valid])
    net = NetClassifier(**{**params, "random_state": spec.seed})
    stop = Event()
    state = {"pruned": False, "epochs": 0}

    def on_epoch(event: dict) -> None:
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

    class Either:
        def is_set(self) -> bool:
            return stop.is_set() or (cancel is not None and cancel.is_set())

    net.fit(X_train, data.y[train], X_valid, data.y[valid], progress=on_epoch, cancel=Either())
    return Pipeline([("prep", prep), ("model", net)]), state["epochs"], state["pruned"]


# ---- the budget -------------------------------------------------------------------------------


def _trials(study: optuna.Study, states=None) -> list:
    return study._storage.get_all_trials(study._study_id, deepcopy=False, states=states)


def budget_left(study: optuna.Study, spec: SearchSpec, before: int | None = None) -> int:
    """Trials the study may still start (all of them, or those numbered below ``before``)."""
    used = sum(
        1
        for t in _trials(study)
        if (before is None or t.number < before)
        and t.state in COUNTED
        and not t.user_attrs.get("skipped")
    )
    return spec.budget - used


def check_budget(trial: optuna.Trial, spec: SearchSpec) -> None:
    """Skip a trial that another worker's race let past the study's budget or its grid."""
    if budget_left(trial.study, spec, before=trial.number) <= 0:
        trial.set_user_attr("skipped", True)
        trial.study.stop()
        raise SkipTrial()


# ---- running ----------------------------------------------------------------------------------


def run_study(
    study: optuna.Study,
    spec: SearchSpec,
    data: SearchData,
    task: TaskState = TaskState(),
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
) -> pd.DataFrame:
    """Run trials in this process until the study's budget is spent (or ``n_trials`` here, the
    ``timeout``, or a stop of the task); other workers may run the same study at the same time.

    The task's ``progress`` receives ``{"stage": "trial", ...}`` after every finished trial
    (see :func:`trial_row`). A trial stopped by the task's ``cancel`` is marked failed and the
    run raises :class:`~genre_core.runs.progress.Cancelled`.

    Returns
    -------
    DataFrame
        Every trial of the study (:func:`trials_table`).
    """
    url = url_of(study._storage)
    ran = {"n": 0, "repeats": 0}
    if _trials(study):
        # Resumed, or joining other workers: a sampler seeded as at the study's start would
        # propose its first configurations again.
        study.sampler.reseed_rng()

    def after(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        repeated = "duplicate_of" in trial.user_attrs
        ran["repeats"] = ran["repeats"] + 1 if repeated else 0
        if ran["repeats"] >= MAX_REPEATS:
            study.stop()  # every proposal is a finished configuration: nothing new to try
        if trial.user_attrs.get("skipped"):
            return
        ran["n"] += 1
        task.emit(stage="trial", **trial_row(trial), best=best_value(study))
        if budget_left(study, spec) <= 0 or task.cancelled:
            study.stop()

    objective = make_objective(spec, data, task.cancel)

    def run_trial(trial: optuna.Trial) -> float:
        try:
            return objective(trial)
        except SkipTrial as skip:
            raise optuna.TrialPruned(str(skip) or "beyond the study's budget") from None
        except Cancelled:
            trial.set_user_attr("stopped", True)  # failed by the user's Stop, not a fault
            raise
        except DataError as error:  # this configuration cannot be fitted: say why, go on
            trial.set_user_attr("error", str(error))
            raise

    deadline = None if timeout is None else time.monotonic() + timeout
    pause = getattr(study._storage, "heartbeat_interval", None) or 1
    while True:
        task.check_cancel()
        left = None if n_trials is None else n_trials - ran["n"]
        if (left is not None and left <= 0) or ran["repeats"] >= MAX_REPEATS:
            break
        if deadline is not None and time.monotonic() >= deadline:
            break
        states = _states(study)
        if budget_left(study, spec) > 0 or states.get(TrialState.WAITING):
            before = ran["n"]
            guarded(
                url,
                lambda left=left: study.optimize(
                    run_trial,
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
        guarded(url, lambda: optuna.storages.fail_stale_trials(study))
    return trials_table(study)


def _states(study: optuna.Study) -> dict:
    counts: dict = {}
    for t in _trials(study):
        counts[t.state] = counts.get(t.state, 0) + 1
    return counts


def best_value(study: optuna.Study) -> float | None:
    """The best value so far, or ``None`` before a trial completes."""
    try:
        return float(study.best_value)
    except ValueError:
        return None


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


# ---- tables -----------------------------------------------------------------------------------


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
    rows = [trial_row(t) for t in _trials(study) if not t.user_attrs.get("skipped")]
    return pd.DataFrame(rows).sort_values("number", ignore_index=True) if rows else pd.DataFrame()


def events_table(events: list[dict]) -> pd.DataFrame:
    """The trials of a running job's progress events (``stage == "trial"``), as a table."""
    rows = [e for e in events if e.get("stage") == "trial"]
    return pd.DataFrame(rows).drop(columns=["stage"]) if rows else pd.DataFrame()


def trial_counts(table: pd.DataFrame) -> dict[str, int]:
    """Trials by state: ``{"complete": 5, "pruned": 1, ...}``."""
    if table.empty:
        return {}
    return {str(k): int(v) for k, v in table["state"].value_counts().items()}


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The columns a reader wants, newest trial first: number, state, value, accuracies, epochs
    (networks only), seconds, the hyperparameters (without their ``param_`` prefix) and, when a
    configuration could not be fitted, why."""
    if table.empty:
        return table
    columns = ["number", "state", "value", "acc_val", "acc_train", "epochs", "seconds"]
    if not table.get("epochs", pd.Series(dtype=float)).fillna(0).any():
        columns.remove("epochs")  # classical models train no epochs
    columns += [c for c in table.columns if c.startswith("param_")]
    if "error" in table and table["error"].notna().any():
        columns.append("error")
    view = table[[c for c in columns if c in table.columns]].rename(
        columns=lambda c: c[6:] if c.startswith("param_") else c
    )
    return view.iloc[::-1]
