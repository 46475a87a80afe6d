"""A fitted model explained on a worker: the recipe of kind "explain-model".

The Explain page holds a fitted model (one of its session's, which came back from a worker, or
a stored run of the run history) and asks a worker for what is slow to compute about it: the
SHAP values of one test track (``compute="track"``; the permutation explainer of an SVM or a
KNN takes seconds) or the permutation importance of every feature (``compute="importance"``).

The recipe names the model by its stored run's id when it has one. The page hands the rest to
the job in its ``inputs`` (:class:`~genre_core.runs.progress.TaskState`, pickled by Dask from
the web server, never read from a user's file): the session model's pipeline and features,
and the few rows the computation reads (the track and its explainer's background rows, or the
test rows scored). Without inputs, as from the CLI, the recipe alone says it all: the stored
run's model, and its test and training rows found in the recipe's table by the run's test
predictions (the track by ``position`` among them, or by ``track``: an id, or part of a title
or artist). Unlike the kind "explain", nothing is trained.

Inputs (all optional): ``pipeline`` and ``features`` (the model, instead of ``run_id``);
``x`` (the track's raw feature row) and ``reference`` (raw training rows, e.g. the explainer's
:func:`~genre_core.explain.shapley.background` of them) for a track; ``X`` and ``y`` (raw test
rows and their genres, e.g. :func:`~genre_core.explain.importance.scored_rows` of them) for the
importance. The result is the :class:`~genre_core.explain.shapley.TrackExplanation` or the
importance table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from genre_core.data.dataset import Dataset
from genre_core.data.preprocess import feature_matrix
from genre_core.experiments import Outcome
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.explain.importance import MAX_ROWS, importance_table
from genre_core.explain.shapley import TrackExplainer, TrackExplanation
from genre_core.explain.stored import model_rows, stored_model
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import TaskState

COMPUTE = ("track", "importance")
OPTIONS = ParamSet(
    (
        Param("run_id", "text", "", label="Stored run",
              help="the id of the run history's classical run explained (genre-lab runs)"),
        Param("compute", "choice", "track", choices=COMPUTE, label="Compute",
              help="track: one test track's SHAP values; importance: every feature's "
              "permutation importance on the test part"),
        Param("track", "text", "", label="Track",
              help="a test track's id, or part of its title or artist (empty: the first one)"),
        Param("position", "int", None, 0, 10_000_000, optional=True, label="Test position",
              help="the track's position among the run's test tracks (instead of track)"),
        Param("rows", "int", MAX_ROWS, 10, 100_000, label="Rows",
              help="test rows scored per shuffle for the permutation importance"),
        Param("seed", "int", 0, 0, 2**31 - 1,
              help="the explainer's background and the importance's shuffles"),
    )
)  # fmt: skip


@dataclass(frozen=True)
class ExplainModelSpec(Recipe):
    """Explain a fitted model: one test track's SHAP values, or the features' permutation
    importance (see the module).

    Parameters
    ----------
    data
        The table of the model's rows (read only when the job is given no rows).
    run_id
        The stored run whose model is explained; empty when the job's inputs hold the model.
    compute
        "track" or "importance".
    track, position
        The test track (for "track"): its id or part of its title or artist, or its position
        among the test tracks; neither: the first one.
    rows
        Test rows scored per shuffle (for "importance").
    seed
        The explainer's background rows and the importance's shuffles.
    """

    kind: ClassVar[str] = "explain-model"
    title: ClassVar[str] = "Explain a trained model"
    OPTIONS: ClassVar[ParamSet] = OPTIONS

    data: DataSpec = DataSpec()
    run_id: str = ""
    compute: str = "track"
    track: str = ""
    position: int | None = None
    rows: int = MAX_ROWS
    seed: int = 0

    def check(self) -> None:
        super().check()
        self.check_options()


Spec = ExplainModelSpec


def run(spec: ExplainModelSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None):
    """Explain ``spec``'s model with the task's inputs, or with the rows of the recipe's table
    (``dataset``: a loaded table, before the recipe's data choices). Emits ``start`` and
    ``done``.

    Raises
    ------
    DataError
        For a run, a track or rows that cannot be found, or a model the rows do not fit.
    """
    inputs = dict(task.inputs or {})
    pipeline, features = inputs.get("pipeline"), inputs.get("features")
    if pipeline is None:
        if not spec.run_id:
            raise RecipeError(
                "run_id: name the stored run to explain (`genre-lab runs` lists them)."
            )
        stored = stored_model(spec.run_id)
        pipeline, features = stored.pipeline, stored.features
    features = tuple(str(f) for f in features)
    task.emit(stage="start", compute=spec.compute, total=1)
    rows = None if _has(inputs, spec.compute) else _table_rows(spec, pipeline, features, dataset)
    task.check_cancel()
    if spec.compute == "track":
        result, track = _track(spec, pipeline, features, inputs, rows, task)
    else:
        result, track = _importance(spec, pipeline, features, inputs, rows), None
    task.emit(stage="done", compute=spec.compute, total=1)
    return Outcome(spec, summary(spec, result, track), result)


def _has(inputs: dict, compute: str) -> bool:
    needed = ("x", "reference") if compute == "track" else ("X", "y")
    return all(inputs.get(k) is not None for k in needed)


@dataclass(frozen=True)
class _Rows:
    table: Dataset
    test: pd.DataFrame
    reference: pd.DataFrame


def _table_rows(spec: ExplainModelSpec, pipeline, features, dataset: Dataset | None) -> _Rows:
    """The stored run's test and reference rows in the recipe's table."""
    if not spec.run_id:
        raise RecipeError(
            "run_id: a job given no rows reads them from a stored run's test predictions; "
            "name one (`genre-lab runs` lists them)."
        )
    table = spec.load_table(dataset)
    held_out = stored_model(spec.run_id).held_out
    test, reference = model_rows(
        f"run {spec.run_id}", pipeline, features, held_out.rows, table.frame, table.roles.label
    )
    return _Rows(table, test, reference)


def _track(spec, pipeline, features, inputs: dict, rows: _Rows | None, task: TaskState):
    track = None
    if rows is None:
        x, reference = inputs["x"], inputs["reference"]
    else:
        from genre_core.experiments.explain import find_track

        test = rows.test
        if spec.position is not None:
            if spec.position >= len(test):
                raise RecipeError(
                    f"position: the run has {len(test):,} test tracks; give one below that."
                )
            position = spec.position
        else:
            position = find_track(test, spec.track, rows.table)
        track = _track_fields(test.iloc[position], rows.table, position)
        x = feature_matrix(test.iloc[[position]], features)[0]
        reference = feature_matrix(rows.reference, features)
    explainer = TrackExplainer(pipeline, features, reference, seed=spec.seed, cancel=task.cancel)
    return explainer.explain(np.asarray(x, dtype=float).reshape(-1)), track


def _importance(spec, pipeline, features, inputs: dict, rows: _Rows | None) -> pd.DataFrame:
    if rows is None:
        X, y = inputs["X"], inputs["y"]
    else:
        X = feature_matrix(rows.test, features)
        y = rows.test[rows.table.roles.label].astype(str).to_numpy()
    return importance_table(pipeline, X, y, features, rows=spec.rows, seed=spec.seed)


def _track_fields(track: pd.Series, table: Dataset, position: int) -> dict:
    roles = table.roles
    named = {
        "id": roles.id_column, "title": roles.text[0] if roles.text else None,
        "artist": roles.artist_column,
    }  # fmt: skip
    found = {k: str(track[c]) for k, c in named.items() if c and pd.notna(track.get(c))}
    return {**found, "position": position, "true": str(track[roles.label])}


def summary(spec: ExplainModelSpec, result, track: dict | None) -> dict:
    """The result as JSON: the SHAP values of the predicted genre, or the importance table."""
    out: dict = {"kind": ExplainModelSpec.kind, "compute": spec.compute}
    if spec.run_id:
        out["run_id"] = spec.run_id
    if isinstance(result, TrackExplanation):
        if track is not None:
            out["track"] = {**track, "predicted": result.predicted}
        k = result.column()
        out["shap"] = {
            "genre": result.predicted,
            "explainer": result.kind,
            "scale": result.scale,
            "base": round(float(result.base[k]), 4),
            "output": round(float(result.output[k]), 4),
            "values": result.table().round(4).to_dict("records"),
        }
    else:
        out["importance"] = result.round(4).to_dict("records")
    return out


__all__ = ["COMPUTE", "ExplainModelSpec", "Spec", "run", "summary"]
