"""Kind "bayes": fit one of the report's five Bayesian models and score its posterior predictive.

>>> spec = BayesSpec(data=DataSpec("music-genre-11"), n_train=1000, n_test=200,
...                  params={"model": "hier-t", "nu": 4.0, "tau": 1.0})
>>> outcome = experiments.run(spec)
>>> outcome.summary["runs"][0]["accuracy"]

The report's protocol draws ``n_test`` test rows and ``n_train`` training rows from the table
(stratified, disjoint), imputes and scales on the training rows, infers the posterior (SVI or
NUTS) and predicts with the posterior predictive. The finished run goes to the run history
inside :func:`run`, before the page learns that the job is done.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from genre_core.data.dataset import Dataset
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import Outcome
from genre_core.experiments.bayes_tables import TABLE2, experiment
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.metrics.evaluation import Evaluation, evaluate, evaluation_summary
from genre_core.models import bayes, posterior
from genre_core.models.bayes import (
    BAYES_PARAMS,
    MODEL_TITLES,
    ROW_PARAMS,
    BayesConfig,
    BayesFit,
    Predictions,
    Prepared,
)
from genre_core.params import ParamSet
from genre_core.runs.progress import TaskState
from genre_core.runs.records import Record, evaluation_metrics, finite_metrics

PRIOR_ROWS, PRIOR_DRAWS = 500, 50  # ancestral sampling: test rows used, models drawn
UNCERTAIN_TOP = 15


@dataclass(frozen=True)
class BayesSpec(Recipe):
    """One Bayesian fit: the data, the rows, the model and its inference.

    Parameters
    ----------
    data
        The table, its columns (``features``: the model's inputs) and genres.
    split
        A :class:`SplitSpec` (by default grouped by track, see
        :func:`~genre_core.experiments.recipe.resolve_split`): the table is split by it first,
        then ``n_test`` rows are drawn from its test part and ``n_train`` from its training part
        (its validation part is unused). ``None``: the report's protocol, ``n_test`` test and
        ``n_train`` training rows drawn from the whole table, stratified by genre.
    n_train, n_test
        Rows to train and test on (:data:`~genre_core.models.bayes.ROW_PARAMS`).
    params
        Values of :data:`~genre_core.models.bayes.BAYES_PARAMS` (model, inference, priors, SVI
        and NUTS settings); missing ones take their defaults. The seed is the field ``seed``.
    seed
        Seeds the row draw, the inference and the bootstrap intervals.
    log
        Log the finished run to the run history.
    """

    kind: ClassVar[str] = "bayes"
    title: ClassVar[str] = "Fit a Bayesian model"
    # what the CLI can set (--model, --steps, --n-train, ...)
    OPTIONS: ClassVar[ParamSet] = ParamSet(
        (*(p for p in BAYES_PARAMS if p.name != "seed"), *ROW_PARAMS)
    )
    # 70/30, copies of a song on one side; a recipe with "split": null follows the report's
    # protocol (rows drawn from the whole table)
    DEFAULT_SPLIT: ClassVar[SplitSpec] = SplitSpec.by_track(test=0.3)
    PARSED: ClassVar[ParamSet] = ROW_PARAMS  # the model's settings: in from_settings

    data: DataSpec = DataSpec()
    split: SplitSpec | None = DEFAULT_SPLIT
    n_train: int = ROW_PARAMS.defaults["n_train"]
    n_test: int = ROW_PARAMS.defaults["n_test"]
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    log: bool = True

    def check(self) -> None:
        super().check()
        for name in ROW_PARAMS.names:
            _parse(ROW_PARAMS, name, getattr(self, name), name)
        _parse(BAYES_PARAMS, "seed", self.seed, "seed")
        for key, value in self.params.items():
            if key == "seed":
                raise RecipeError("params.seed: the seed is the recipe's own field 'seed'.")
            if key not in BAYES_PARAMS.names:
                known = ", ".join(n for n in BAYES_PARAMS.names if n != "seed")
                raise RecipeError(f"params.{key}: no such parameter; the parameters are: {known}.")
            _parse(BAYES_PARAMS, key, value, f"params.{key}")

    def config(self) -> BayesConfig:
        """The model and inference settings, with this recipe's seed."""
        return BayesConfig(**{**BAYES_PARAMS.resolve(self.params), "seed": self.seed})

    @classmethod
    def from_settings(
        cls, data: DataSpec, split: SplitSpec, settings: dict, rest: dict, preset: str | None
    ) -> BayesSpec:
        """A recipe from the parsed rows and seed, and the model's settings as texts in
        ``rest``.

        ``preset`` is an experiment of the report's Table 2 ("1" to "10"): its model, priors,
        inference and row counts, under any values given. The seed is the one given, else the
        split's.
        """
        params: dict[str, Any] = {}
        rows = dict(ROW_PARAMS.defaults)
        if preset is not None:
            try:
                found = preset_values(int(str(preset).strip()))
            except (ValueError, DataError) as error:
                raise RecipeError(f"preset: {error}") from None
            rows = {name: found.pop(name) for name in ROW_PARAMS.names}
            params = found
        for key, text in rest.items():
            try:
                param = BAYES_PARAMS.get(key, "bayes")
            except DataError as error:
                raise RecipeError(f"params.{key}: {error}") from None
            params[param.name] = _parse(BAYES_PARAMS, param.name, text, f"params.{key}")
        return cls(data=data, split=split, params=params, **{**rows, **settings})


def _parse(params: ParamSet, name: str, value: Any, where: str) -> Any:
    try:
        return params.get(name).parse(value)
    except DataError as error:
        raise RecipeError.of_field(where, error) from None


def preset_values(number: int) -> dict[str, Any]:
    """Table 2's experiment ``number`` as recipe values: every parameter but the seed, and
    ``n_train`` and ``n_test``."""
    item = experiment(number)
    values = {k: v for k, v in dataclasses.asdict(item.config).items() if k != "seed"}
    return {**values, "n_train": item.n_train, "n_test": item.n_test}


def preset_title(number: int) -> str:
    """A preset's name in words, e.g. "Experiment 5: Model 2, 1,000 rows, SVI"."""
    item = experiment(number)
    return (
        f"Experiment {number}: {MODEL_TITLES[item.config.model].split(':')[0]}, "
        f"{item.n_train:,} rows, {item.config.inference.upper()} "
        f"(report: {item.report_test:g}% test)"
    )


PRESETS: tuple[int, ...] = tuple(item.id for item in TABLE2)


# ---- the result --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BayesResult:
    """A finished Bayesian fit and what its posterior shows.

    Attributes
    ----------
    fit, data, predictions
        The posterior, the rows it was fitted and tested on, its test predictions.
    evaluation
        The posterior predictive scored like any classifier (accuracy with its interval,
        per-genre scores, confusion).
    comparison
        The posterior predictive against the point-estimate logistic regression.
    point
        The point estimate's centred coefficients (features × genres).
    uncertain
        The most uncertain test tracks.
    prior_accuracy
        Accuracy of each model drawn from the prior (ancestral sampling, the report's §6.1).
    dataset
        The dataset's name.
    """

    fit: BayesFit
    data: Prepared
    predictions: Predictions
    evaluation: Evaluation
    comparison: pd.DataFrame
    point: np.ndarray
    uncertain: pd.DataFrame
    prior_accuracy: np.ndarray
    dataset: str = ""

    @property
    def metrics(self) -> dict[str, float]:
        """Accuracy, log loss and mean entropy of the posterior predictive on the test rows."""
        return bayes.metrics(self.data.y_test, self.predictions, self.data.classes)

    @property
    def title(self) -> str:
        config = self.fit.config
        return f"{config.model} ({config.inference})"

    def record(self) -> Record:
        """What the run history stores of this fit: parameters, metrics, the SVI loss curve,
        test predictions row by row and the posterior draws (safetensors)."""
        from safetensors.numpy import save

        fitted, evaluation = self.fit, self.evaluation
        classes = tuple(fitted.classes)
        names = np.asarray(classes)
        true = names[np.asarray(self.data.y_test)]
        pred = names[np.asarray(self.predictions.proba).argmax(axis=1)]
        metrics = {**evaluation_metrics(evaluation), **self.metrics, "fit_seconds": fitted.seconds}
        params: dict[str, Any] = dataclasses.asdict(fitted.config)
        params["features"] = list(fitted.features)
        params["n_train"] = fitted.n_train
        elbo = np.asarray(fitted.elbo)
        every = max(1, len(elbo) // 500)
        curves = [{"epoch": i + 1, "elbo": float(elbo[i])} for i in range(0, len(elbo), every)]
        meta = {
            "config": dataclasses.asdict(fitted.config),
            "classes": list(classes),
            "features": params["features"],
        }
        draws = {k: np.ascontiguousarray(v) for k, v in fitted.draws.items()}
        return Record(
            "bayes",
            self.title,
            params,
            finite_metrics(metrics),
            curves,
            classes,
            np.asarray(evaluation.confusion),
            np.asarray(self.data.test_rows),
            true.astype(str),
            pred.astype(str),
            {"posterior.safetensors": save(draws, metadata={"genre_lab": json.dumps(meta)})},
            proba=np.asarray(self.predictions.proba),
        )

    def summary(self, run_id: str | None = None) -> dict:
        """One run's JSON summary: accuracy with its interval, per-genre scores, run id."""
        config = self.fit.config
        return {
            "model": config.model,
            "title": self.title,
            "inference": config.inference,
            "n_train": int(self.fit.n_train),
            **evaluation_summary(self.evaluation),
            "mean_entropy": round(float(self.predictions.entropy.mean()), 4),
            "fit_seconds": round(float(self.fit.seconds), 2),
            "converged": self.fit.converged,
            "run_id": run_id,
        }


# ---- running -----------------------------------------------------------------------------------


def prepare_data(spec: BayesSpec, dataset: Dataset) -> Prepared:
    """The rows ``spec`` trains and tests on, from a table with ``spec.data`` applied.

    Raises
    ------
    DataError
        When the table cannot give these rows (too few, a missing feature...): a page calls
        this before starting the job, to say so at once.
    """
    roles = dataset.roles
    return bayes.prepare(
        dataset.frame,
        roles.label,
        roles.features,
        n_train=spec.n_train,
        n_test=spec.n_test,
        seed=spec.seed,
        split=None if spec.split is None else spec.split_on(dataset),
    )


def run(
    spec: BayesSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None
) -> Outcome:
    """Prepare the rows, infer the posterior, predict, score, and log the run.

    Parameters
    ----------
    spec
        The recipe.
    task
        Its ``progress`` receives ``{"stage": "prepare"}``, the fit's ``"svi"``/``"mcmc"``
        events, ``{"stage": "predict"}`` and ``{"stage": "logged", "run_id"}``; its ``cancel``
        is checked at every SVI step and NUTS iteration; its ``source`` is where the run comes
        from, as the run history shows it ("bayes" for the page).
    dataset
        The page's loaded table, before ``spec.data`` is applied; else ``spec.data`` is loaded.
    """
    spec.check()
    table = spec.load_table(dataset, task.progress)
    task.emit(stage="prepare")
    data = prepare_data(spec, table)
    task.check_cancel()
    config = spec.config()
    fitted = bayes.fit_rows(data, config, progress=task.progress, cancel=task.cancel)
    task.emit(stage="predict")
    result = analyse(fitted, data, table)
    run_id, warnings = None, []
    if spec.log:
        record = result.record()
        run_id = spec.log_to_history(task, record, warnings, dataset=table.name)
    summary = {"kind": spec.kind, "dataset": table.name, "runs": [result.summary(run_id)]}
    return Outcome.of_run(spec, summary, result, run_id, warnings)


def analyse(fitted: BayesFit, data: Prepared, table: Dataset) -> BayesResult:
    """Predict on the test rows and gather what the posterior shows."""
    predictions = bayes.predict(fitted, data.X_test)
    names = np.asarray(data.classes)
    train_pred = bayes.predict(fitted, data.X_train).proba.argmax(1)
    config = fitted.config
    evaluation = evaluate(
        names[data.y_test],
        predictions.proba,
        data.classes,
        y_train=names[data.y_train],
        train_pred=names[train_pred],
        seed=config.seed,
    )
    prior = bayes.sample_prior(config, data.X_test[:PRIOR_ROWS], len(data.classes), PRIOR_DRAWS)
    roles = table.roles
    titles = [c for c in (*roles.text, roles.artist_column) if c]
    return BayesResult(
        fit=fitted,
        data=data,
        predictions=predictions,
        evaluation=evaluation,
        comparison=posterior.comparison_table(data, fitted, predictions),
        point=posterior.point_coefficients(data, seed=config.seed),
        uncertain=posterior.uncertain_tracks(
            table.frame, data, predictions, columns=titles, top=UNCERTAIN_TOP
        ),
        prior_accuracy=(prior["predicted"] == data.y_test[:PRIOR_ROWS]).mean(axis=1),
        dataset=table.name,
    )


def live_status(events: list[dict]) -> tuple[str, float]:
    """A running fit's progress from its events: a sentence and the share done (0 to 1)."""
    if events and events[-1].get("stage") == "predict":
        return "predicting on the test rows…", 1.0
    for event in reversed(events):
        if event.get("stage") == "svi":
            return (
                f"SVI step {event['step']:,} of at most {event['steps']:,}",
                event["step"] / event["steps"],
            )
        if event.get("stage") == "mcmc":
            done = (event["chain"] - 1) * event["total"] + event["iteration"]
            return (
                f"NUTS chain {event['chain']} of {event['chains']}: {event['phase']}, "
                f"iteration {event['iteration']} of {event['total']}",
                done / (event["chains"] * event["total"]),
            )
    return "starting…", 0.0


Spec = BayesSpec

__all__ = [
    "PRESETS",
    "BayesResult",
    "BayesSpec",
    "Spec",
    "analyse",
    "live_status",
    "prepare_data",
    "preset_title",
    "preset_values",
    "run",
]
