"""The recipes of kinds "train" and "grid": JSON round trips, errors naming the field, the
CLI's options, and runs that give the same accuracy twice."""

from __future__ import annotations

import json
import threading

import pytest

from conftest import tracks_csv
from genre_core import experiments
from genre_core.data.dataset import load_dataset
from genre_core.data.splits import SplitSpec
from genre_core.experiments.grid import BASELINE_GRIDS, GridSpec, parse_grid
from genre_core.experiments.recipe import DataSpec, RecipeError
from genre_core.experiments.train import OPTIONS, ModelChoice, TrainSpec


@pytest.fixture
def data(tmp_path) -> DataSpec:
    return DataSpec(str(tracks_csv(tmp_path / "tracks.csv", 150, seed=2)))


def batch(source: DataSpec, **changes) -> TrainSpec:
    spec = TrainSpec(
        source,
        SplitSpec.of("group", "track_artist", test=0.3, validation=0.1, seed=4),
        (ModelChoice("logreg", None, {"C": 0.5}), ModelChoice("knn", "genre-factor")),
        cv_folds=3,
        seed=4,
        log=False,
    )
    return spec.with_changes(**changes) if changes else spec


def test_a_train_recipe_round_trips_through_json(data):
    spec = batch(data, data=DataSpec(data.source, genres=("pop", "rock"), merge={"rap": "pop"}))
    assert TrainSpec.from_dict(json.loads(spec.to_json())) == spec
    assert experiments.load_recipe(spec.to_json()) == spec
    grid = GridSpec(data, model="rf", grid={"max_depth": (None, 3)}, params={"bootstrap": False})
    assert experiments.load_recipe(grid.to_json()) == grid


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"models": ()}, "models:"),
        ({"models": (ModelChoice("tree"),)}, "models[0].name: unknown model 'tree'"),
        ({"models": (ModelChoice("knn", "development"),)}, "models[0].preset:"),
        ({"models": (ModelChoice("knn", None, {"n_neighbors": 0}),)}, "models[0].params.n_neigh"),
        ({"models": (ModelChoice("knn", None, {"depth": 3}),)}, "models[0].params.depth"),
        ({"feature_set": "audio"}, "feature_set:"),
        ({"imputer": "zero"}, "imputer:"),
        ({"scaler": "robust"}, "scaler:"),
        ({"cv_folds": 1}, "cv_folds:"),
        ({"cv_folds": 30}, "cv_folds:"),
        ({"feature_set": "numeric+text"}, "cv_folds: cross-validation uses numeric"),
        ({"artist": "maybe"}, "artist:"),
        ({"seed": -1}, "seed:"),
    ],
)
def test_a_bad_train_recipe_names_the_field(data, change, field):
    with pytest.raises(RecipeError) as error:
        batch(data, **change)
    assert str(error.value).startswith(field.split(":")[0]) and field in str(error.value)


def test_every_option_refuses_its_invalid_values_by_name(data):
    for param in OPTIONS:
        for bad in param.invalid_values():
            with pytest.raises(RecipeError, match=f"^{param.name}:"):
                batch(data, **{"cv_folds": 0, param.name: bad})


def test_a_bad_recipe_file_names_the_field(data):
    raw = json.loads(batch(data).to_json())
    raw["models"][1]["params"] = {"n_neighbors": "many"}
    with pytest.raises(RecipeError, match=r"^models\[1\]\.params\.n_neighbors:"):
        experiments.load_recipe(raw)
    raw = json.loads(batch(data).to_json())
    raw["modles"] = []
    with pytest.raises(RecipeError, match="^modles: no such field"):
        experiments.load_recipe(raw)
    with pytest.raises(RecipeError, match="^data.genres:"):
        batch(data, data=DataSpec(data.source, genres=("pop",)))


def test_running_a_recipe_twice_gives_the_same_accuracy_and_cross_validation(data):
    spec = batch(data)
    events = []
    first = experiments.run(spec, events.append)
    second = experiments.run(experiments.load_recipe(spec.to_json()))
    one, two = first.summary["runs"], second.summary["runs"]
    assert [r["model"] for r in one] == ["logreg", "knn"]
    assert [r["accuracy"] for r in one] == [r["accuracy"] for r in two]
    assert one[1]["title"] == "knn (n_neighbors=12)" and one[0]["params"]["C"] == 0.5
    assert one[0]["cv"]["folds"] == 3 and one[0]["cv"]["grouped"]
    assert [e["fold"] for e in events if e["stage"] == "cv"] == [1, 2, 3, 1, 2, 3]
    assert [e["model"] for e in events if e["stage"] == "start"] == ["logreg", "knn"]
    assert first.run_ids == () and first.result.runs[0].result.n_validation > 0
    # a table the caller already loaded gives the same numbers as the recipe's own source
    again = experiments.run(spec, dataset=load_dataset(data.source))
    assert [r["accuracy"] for r in again.summary["runs"]] == [r["accuracy"] for r in one]


def test_a_run_names_missing_genres_and_groups_and_keeps_the_models_that_train(data):
    with pytest.raises(RecipeError, match="group column 'label'"):
        experiments.run(batch(data, split=SplitSpec.of("group", "label")))
    with pytest.raises(Exception, match="'jazz'"):
        experiments.run(batch(data, data=DataSpec(data.source, genres=("pop", "jazz"))))
    spec = batch(data, split=SplitSpec.of("group", "artist"), cv_folds=0, artist=True)
    outcome = experiments.run(spec)  # "artist" is the detected artist column
    assert outcome.recipe == spec and len(outcome.result.runs) == 2
    assert not outcome.warnings  # grouped by the artist: an honest test of the artist feature
    stop = threading.Event()
    stop.set()
    assert experiments.run(batch(data), cancel=stop).result.runs == ()


def test_a_logged_run_is_stored_with_its_record(data, store):
    from genre_core.runs import history

    outcome = experiments.run(batch(data, log=True, cv_folds=0), source="test")
    assert len(outcome.run_ids) == 2 and not outcome.warnings
    assert [r["run_id"] for r in outcome.summary["runs"]] == list(outcome.run_ids)
    stored = history.list_runs()
    assert set(stored["run_id"]) == set(outcome.run_ids) and set(stored["source"]) == {"test"}
    record = outcome.result.runs[1].result.record()
    assert record.kind == "classical" and record.title == "knn (n_neighbors=12)"
    assert record.params["params.n_neighbors"] == 12 and "split.group_column" in record.params
    assert record.metrics["accuracy_ci_low"] <= record.metrics["accuracy"]


def test_the_cli_options_build_the_same_recipe(data):
    split = SplitSpec.of("stratified", test=0.2, seed=3)
    values = {"models": "logreg, knn", "n_neighbors": "3", "logreg.C": "0.5", "cv_folds": "3"}
    spec = TrainSpec.from_options(data, split, {**values, "seed": "3"})
    assert [m.name for m in spec.models] == ["logreg", "knn"] and spec.seed == 3
    assert spec.models[0].params == {"C": 0.5} and spec.models[1].params == {"n_neighbors": 3}
    assert spec.cv_folds == 3 and spec.split == split
    preset = TrainSpec.from_options(data, None, {"models": "knn,xgboost"}, preset="genre-factor")
    assert [m.preset for m in preset.models] == ["genre-factor", None]  # xgboost has none
    with pytest.raises(RecipeError, match="^depth: none of logreg has a parameter 'depth'"):
        TrainSpec.from_options(data, None, {"depth": "3"})
    with pytest.raises(RecipeError, match="^cv_folds:"):
        TrainSpec.from_options(data, None, {"cv_folds": "many"})
    with pytest.raises(RecipeError, match="^preset: none of logreg"):
        TrainSpec.from_options(data, None, {}, preset="development")


def test_a_grid_recipe_ranks_its_combinations_and_names_bad_values(data):
    spec = GridSpec(data, model="knn", grid={"n_neighbors": ("1", 15)}, folds=3)
    events = []
    outcome = experiments.run(experiments.load_recipe(spec.to_json()), events.append)
    table = outcome.result.table
    assert table["rank"].tolist() == [1, 2] and set(table["n_neighbors"]) == {1, 15}
    assert outcome.summary["best"]["n_neighbors"] == table["n_neighbors"][0]
    assert [e["done"] for e in events if e["stage"] == "grid"] == list(range(1, 7))
    assert experiments.run(spec).summary["ranking"] == outcome.summary["ranking"]
    with pytest.raises(RecipeError, match=r"^grid\.n_neighbors: .*between 1 and 200"):
        GridSpec(data, model="knn", grid={"n_neighbors": (0,)}).check()
    with pytest.raises(RecipeError, match=r"^grid\.depth: .*no parameter 'depth'"):
        GridSpec(data, model="knn", grid={"depth": (3,)}).check()
    with pytest.raises(RecipeError, match="^folds:"):
        GridSpec(data, model="knn", grid={"n_neighbors": (3,)}, folds=1).check()
    assert parse_grid("max_depth=none,3; bootstrap=yes") == {
        "max_depth": ["none", "3"],
        "bootstrap": ["yes"],
    }
    from genre_core.errors import DataError

    with pytest.raises(DataError, match="not valid JSON"):
        parse_grid("{max_depth: 3}")
    built = GridSpec.from_options(data, None, {"model": "rf", "folds": "3", "bootstrap": "no"})
    assert built.grid == {k: tuple(v) for k, v in BASELINE_GRIDS["rf"].items()}
    assert built.params == {"bootstrap": False} and built.folds == 3
