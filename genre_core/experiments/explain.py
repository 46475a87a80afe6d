"""One track's prediction explained, from a recipe: the recipe of kind "explain".

The Explain page explains a model the session already holds; this kind does the same from
nothing but a recipe, so the CLI (and any worker) can: it trains the recipe's classical model
on its split, finds the test track asked for (by track id, or a part of its title or artist;
the first test track when none is named), and returns its genre probabilities, its SHAP values
for the predicted genre (:class:`~genre_core.explain.shapley.TrackExplainer`), the nearest
training track of the runner-up genre (the counterfactual), and, unless switched off, the
permutation importance of every feature on the test part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from genre_core.data.dataset import Dataset
from genre_core.data.preprocess import feature_matrix
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import Outcome
from genre_core.experiments.fitting import TrainConfig, TrainResult, train_model
from genre_core.experiments.train import OneModelRecipe
from genre_core.explain.counterfactual import Counterfactual, nearest_of_genre
from genre_core.explain.importance import importance_table
from genre_core.explain.shapley import TrackExplainer, TrackExplanation
from genre_core.models.classical import MODELS, model_title, resolve_params
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import TaskState

OPTIONS = ParamSet(
    (
        Param("model", "choice", "hgb", choices=tuple(MODELS), label="Model",
              help="the classical model trained, then explained"),
        Param("track", "text", "", label="Track",
              help="a test track's id, or part of its title or artist (empty: the first one)"),
        Param("importance", "bool", True, label="Permutation importance",
              help="also shuffle each feature on the test part to rank the features overall"),
        Param("seed", "int", 0, 0, 2**31 - 1, help="the split's and the model's random state"),
    )
)  # fmt: skip


@dataclass(frozen=True)
class TrackReport:
    """The trained model, the track explained and what explains it."""

    result: TrainResult
    track: pd.Series
    proba: pd.Series  # genre -> probability, the likeliest first
    explanation: TrackExplanation
    counterfactual: Counterfactual | None
    importance: pd.DataFrame | None
    title: str


@dataclass(frozen=True)
class ExplainSpec(OneModelRecipe):
    """Train one classical model and explain one of its test tracks (see the module).

    Parameters
    ----------
    data, split
        The table and how its test part is held out (by default copies of a song together).
    model, preset, params
        The classical model.
    track
        A test track's id, or a part of its title or artist (case ignored); empty: the first
        test track.
    importance
        Also compute the permutation importance of every feature on the test part.
    seed
        The split's and the model's random state.
    """

    kind: ClassVar[str] = "explain"
    title: ClassVar[str] = "Explain a track's prediction"
    OPTIONS: ClassVar[ParamSet] = OPTIONS

    split: SplitSpec = SplitSpec.by_track()
    track: str = ""
    importance: bool = True
    seed: int = 0


Spec = ExplainSpec


def find_track(test: pd.DataFrame, query: str, dataset: Dataset) -> int:
    """The position in ``test`` of the first track whose id is ``query`` or whose title or
    artist contains it (case ignored); 0 for an empty query.

    Raises
    ------
    DataError
        Naming the query when no test track matches.
    """
    query = str(query).strip()
    if not query:
        return 0
    roles = dataset.roles
    if roles.id_column:
        hits = np.flatnonzero(test[roles.id_column].astype("string") == query)
        if len(hits):
            return int(hits[0])
    for column in (*roles.text[:1], roles.artist_column):
        if column:
            found = test[column].astype("string").str.contains(query, case=False, regex=False)
            hits = np.flatnonzero(found.fillna(False).to_numpy())
            if len(hits):
                return int(hits[0])
    raise DataError(
        f"track: no test track has the id '{query}' or a title or artist containing it "
        "(the track may be in the training part of this split)."
    )


def run(spec: ExplainSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None):
    """Train ``spec``'s model and explain its track: ``dataset`` is a page's loaded table, else
    the recipe's own source is read. Emits ``start``, the training's events and ``explain``.

    Raises
    ------
    Cancelled
        When the task is stopped.
    DataError
        For a track not in the test part, or data the model cannot use.
    """
    table, split = spec.table_and_split(dataset)
    roles = table.roles
    params = resolve_params(spec.model, spec.params, spec.preset)
    features = tuple(roles.features)
    task.emit(stage="start", model=spec.model, rows=len(table.frame), total=1)
    config = TrainConfig(spec.model, params, features=features, split=split, seed=spec.seed)
    result = train_model(table.frame, roles.label, config, task)
    task.check_cancel()
    task.emit(stage="explain", model=spec.model)
    rows = np.asarray(result.held_out.rows)
    test = table.frame.loc[rows]
    reference = table.frame.drop(index=rows)
    reference = reference[reference[roles.label].astype(str).isin(result.classes)]
    position = find_track(test, spec.track, table)
    track = test.iloc[position]
    x = feature_matrix(test.iloc[[position]], list(features))[0]
    X_ref = feature_matrix(reference, list(features))
    y_ref = reference[roles.label].astype(str).to_numpy()
    pipeline = result.pipeline
    classes = [str(c) for c in pipeline.classes_]
    proba = pd.Series(pipeline.predict_proba(x[None, :])[0], index=classes)
    proba = proba.sort_values(ascending=False)
    explanation = TrackExplainer(pipeline, features, X_ref, seed=spec.seed).explain(x)
    runner_up = next((g for g in proba.index if g != explanation.predicted), None)
    counterfactual = None
    if runner_up is not None and (y_ref == runner_up).any():
        counterfactual = nearest_of_genre(X_ref, y_ref, x, runner_up, features)
    importance = None
    if spec.importance:
        task.check_cancel()
        importance = importance_table(
            pipeline,
            feature_matrix(test, list(features)),
            test[roles.label].astype(str).to_numpy(),
            features,
            seed=spec.seed,
        )
    report = TrackReport(
        result, track, proba, explanation, counterfactual, importance,
        model_title(spec.model, params),
    )  # fmt: skip
    return Outcome(spec, summary(report, table), report)


def summary(report: TrackReport, table: Dataset) -> dict:
    """The report as JSON: the track, its probabilities, its SHAP values, the counterfactual
    and the importance table."""
    roles = table.roles
    track = report.track
    named = {
        "id": roles.id_column, "title": roles.text[0] if roles.text else None,
        "artist": roles.artist_column,
    }  # fmt: skip
    shap = report.explanation.table()
    out = {
        "kind": ExplainSpec.kind,
        "data": table.name,
        "model": report.result.config.model,
        "title": report.title,
        "split": report.result.config.split.text,
        "accuracy": round(report.result.evaluation.metrics["accuracy"], 4),
        "track": {
            **{k: str(track[c]) for k, c in named.items() if c and pd.notna(track[c])},
            "true": str(track[roles.label]),
            "predicted": report.explanation.predicted,
        },
        "probabilities": {g: round(float(p), 4) for g, p in report.proba.items()},
        "shap": {
            "genre": report.explanation.predicted,
            "explainer": report.explanation.kind,
            "scale": report.explanation.scale,
            "values": shap.round(4).to_dict("records"),
        },
    }
    if report.counterfactual is not None:
        found = report.counterfactual
        out["counterfactual"] = {
            "genre": found.genre,
            "distance": round(found.distance, 3),
            "differences": found.table.head(5).round(4).to_dict("records"),
        }
    if report.importance is not None:
        out["importance"] = report.importance.round(4).to_dict("records")
    return out
