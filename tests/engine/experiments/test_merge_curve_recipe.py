"""The merge curve and its "merge-curve" recipe: the curve merges the most confused pair, the
recipe round-trips through JSON, names a bad field, reads the CLI's texts, and gives the same
accuracies twice (so the recipe a page shows runs the same through ``genre-lab run``)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from conftest import make_tracks
from genre_core import experiments
from genre_core.data.splits import SplitSpec
from genre_core.experiments.fitting import TrainConfig
from genre_core.experiments.merge_curve import (
    MergeCurve,
    MergeCurveSpec,
    MergeStep,
    Spec,
    merge_curve,
    steps_table,
)
from genre_core.experiments.recipe import DataSpec, RecipeError
from genre_core.runs import history
from genre_core.runs.progress import TaskState

FEATURES = ("danceability", "energy", "tempo")


def twin_tracks(n: int = 400):
    """Four genres, rap and edm drawn from one distribution: a model cannot tell them apart."""
    frame = make_tracks(n, genres=("pop", "rock", "rap", "edm"))
    twin = frame["genre"] == "edm"
    for column in FEATURES:
        frame.loc[twin, column] = frame.loc[frame["genre"] == "rap", column].to_numpy()
    return frame


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("merge") / "twins.csv"
    twin_tracks(240).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def spec(csv_path) -> MergeCurveSpec:
    return MergeCurveSpec(
        data=DataSpec(str(csv_path), features=FEATURES),
        model="logreg",
        params={"C": 0.5},
        split=SplitSpec(test=0.3, train=0.7, seed=1),
        seed=1,
    )


def test_merge_curve_merges_the_confused_pair_and_gains_accuracy():
    events = []
    steps = merge_curve(
        twin_tracks(), "genre", TrainConfig("logreg", features=FEATURES), TaskState(events.append)
    )
    assert [s.n_classes for s in steps] == [4, 3, 2]
    assert steps[0].merged is None and set(steps[1].merged) == {"rap", "edm"}
    assert steps[1].accuracy > steps[0].accuracy + 0.15
    assert "edm + rap" in steps[1].classes or "rap + edm" in steps[1].classes
    low, high = steps[0].accuracy_ci95
    assert low <= steps[0].accuracy <= high
    assert [(e["step"], e["total"], e["n_classes"]) for e in events] == [
        (1, 3, 4),
        (2, 3, 3),
        (3, 3, 2),
    ]
    table = steps_table(steps)
    assert table["genres"].tolist() == [4, 3, 2]
    assert table["merged"].iloc[0] == "" and "rap" in table["merged"].iloc[1]
    assert (table["accuracy low"] <= table["accuracy"]).all()


def test_merge_curve_figure_shows_the_majority_baseline():
    from genre_core.plots.explore import merge_curve_figure

    steps = [
        MergeStep(("a", "b", "c"), None, 0.5, 0.45, np.eye(3), 0.4),
        MergeStep(("a + b", "c"), ("a", "b"), 0.8, 0.7, np.eye(2), 0.67),
    ]
    fig = merge_curve_figure(steps)
    names = [trace.name for trace in fig.data]
    assert "always the majority genre" in names
    majority = next(t for t in fig.data if t.name == "always the majority genre")
    assert list(majority.y) == [0.4, 0.67]


def test_the_kind_module_keeps_the_contract():
    assert Spec is MergeCurveSpec and MergeCurveSpec.kind == "merge-curve"
    assert experiments.recipe_class("merge-curve") is MergeCurveSpec
    assert MergeCurveSpec.default_split() == SplitSpec.by_track(test=0.3)
    assert MergeCurveSpec.options().names == ["model", "min_genres", "seed"]
    assert MergeCurveSpec().log is False  # the merge curve is not logged unless asked


def test_the_recipe_round_trips_through_json(spec):
    text = spec.to_json()
    assert json.loads(text)["kind"] == "merge-curve"
    assert MergeCurveSpec.from_dict(json.loads(text)) == spec
    assert experiments.load_recipe(text) == spec
    merged = replace(
        spec, data=replace(spec.data, merge={"edm": "rap", "pop": None}), preset="model-based"
    )
    assert experiments.load_recipe(merged.to_json()) == merged


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": "nope"}, "model: unknown model 'nope'"),
        ({"params": {"C": -1}}, "params.C: logreg parameter 'C' must be between"),
        ({"params": {"depth": 3}}, "params.depth: logreg has no parameter 'depth'"),
        ({"preset": "huge"}, "preset: logreg has no preset 'huge'"),
        ({"min_genres": 1}, "min_genres: 'min_genres' must be between 2"),
        ({"min_genres": "two"}, "min_genres: expected a whole number"),
        ({"seed": -3}, "seed: 'seed' must be between 0"),
        ({"split": {"test": 1.5}}, "split:"),
        ({"data": {"genres": ["pop", "rock"]}}, "data.genres: 2 genre(s) leave nothing"),
        ({"colour": 1}, "colour: no such field"),
    ],
)
def test_a_bad_field_is_named(spec, change, message):
    data = {**json.loads(spec.to_json()), **change}
    with pytest.raises(RecipeError, match=f"^{message}" if message.endswith(":") else None) as e:
        MergeCurveSpec.from_dict(data)
    assert str(e.value).startswith(message)


def test_the_recipe_from_the_command_line_texts(spec):
    built = MergeCurveSpec.from_options(
        spec.data, spec.split, {"model": "logreg", "C": "0.5", "seed": "1"}
    )
    assert built == spec
    default = MergeCurveSpec.from_options(spec.data, None, {"min_genres": "3"})
    assert (default.model, default.min_genres, default.split) == (
        "logreg",
        3,
        MergeCurveSpec.default_split(),
    )
    with pytest.raises(RecipeError, match="^params.C: logreg parameter 'C' must be a number"):
        MergeCurveSpec.from_options(spec.data, None, {"C": "big"})
    with pytest.raises(RecipeError, match="^model: 'model' must be one of"):
        MergeCurveSpec.from_options(spec.data, None, {"model": "nope"})


def test_a_run_gives_the_same_accuracies_twice_and_a_summary_per_step(spec):
    events = []
    first = experiments.run(spec, events.append)
    again = experiments.run(experiments.load_recipe(spec.to_json()))
    steps = first.summary["steps"]
    assert [s["genres"] for s in steps] == [4, 3, 2]
    assert [s["accuracy"] for s in steps] == [s["accuracy"] for s in again.summary["steps"]]
    assert steps[0]["merged"] is None and set(steps[1]["merged"]) == {"rap", "edm"}
    for step in steps:
        low, high = step["accuracy_ci95"]
        assert low <= step["accuracy"] <= high and 0 < step["majority"] < 1
    assert first.summary["runs"][0]["accuracy"] == steps[0]["accuracy"]
    assert "per_genre" in first.summary["runs"][0]
    json.dumps(first.summary)  # what `genre-lab run --json` prints
    assert isinstance(first.result, MergeCurve) and len(first.result.steps) == 3
    assert first.run_ids == () and first.warnings == ()
    assert events[0] == {"stage": "start", "genres": 4, "total": 3}
    assert [e["n_classes"] for e in events if e["stage"] == "step"] == [4, 3, 2]


def test_a_page_dataset_and_a_merge_map_start_the_curve(spec):
    from genre_core.data.dataset import load_dataset

    base = load_dataset(spec.data.source)
    merged = replace(spec, data=replace(spec.data, merge={"edm": "rap"}))
    outcome = experiments.run(merged, dataset=base)
    assert [s["genres"] for s in outcome.summary["steps"]] == [3, 2]
    assert outcome.summary["steps"][0]["classes"] == ["pop", "rap", "rock"]
    with pytest.raises(experiments.DataError, match="leave nothing to merge down to 3"):
        experiments.run(replace(merged, min_genres=3), dataset=base)


def test_with_log_each_step_is_a_run_with_its_recipe(store, spec):
    logged = replace(spec, log=True, min_genres=3)
    outcome = experiments.run(logged)
    assert len(outcome.run_ids) == 2
    runs = history.list_runs()
    assert set(runs["run_id"]) == set(outcome.run_ids)
    assert set(runs["source"]) == {"merge-curve"}
    details = history.load_run(outcome.run_ids[0])
    assert details.tags["recipe_kind"] == "merge-curve"
    assert experiments.load_recipe(details.recipe) == logged
