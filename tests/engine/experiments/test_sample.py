"""A recipe's "sample N rows": seeded, stratified by genre, part of the recipe (JSON, checks,
titles), the same for every kind that trains."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conftest import tracks_csv
from genre_core import experiments
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import merge_curve, net, train, transfer
from genre_core.experiments.recipe import DataSpec, RecipeError
from genre_core.experiments.train import ModelChoice, TrainSpec
from genre_core.runs.progress import TaskState

GENRES = ("pop", "rock", "rap", "edm")


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sample") / "tracks.csv"
    return str(tracks_csv(path, 400, genres=GENRES, seed=3))


def train_spec(source: str, sample: int | None = 50, seed: int = 4) -> TrainSpec:
    return TrainSpec(
        DataSpec(source, sample=sample),
        SplitSpec(test=0.3, seed=seed),
        (ModelChoice("xgboost", None, {"n_estimators": 10}),),
        log=False,
    )


def test_a_sample_of_50_trains_on_50_rows_stratified_by_genre(source):
    outcome = train.run(train_spec(source), TaskState(n_boot=10))
    result = outcome.result.runs[0].result
    assert result.n_train + result.n_validation + result.n_test == 50
    assert result.title == "xgboost (n_estimators=10) · 50 rows"
    assert outcome.summary["runs"][0]["title"] == "xgboost (n_estimators=10) · 50 rows"
    assert result.record().title == "xgboost (n_estimators=10) · 50 rows"
    table = train_spec(source).load_table()
    counts = table.frame["genre"].value_counts()
    assert len(table.frame) == 50 and set(counts) <= {12, 13} and set(counts.index) == set(GENRES)
    assert not outcome.warnings


def test_the_same_seed_draws_the_same_rows(source):
    rows = train_spec(source).load_table().frame.index
    assert rows.equals(train_spec(source).load_table().frame.index)
    assert not rows.equals(train_spec(source, seed=5).load_table().frame.index)
    whole = train_spec(source, sample=None).load_table().frame
    assert len(whole) == 400 and whole.loc[rows].equals(train_spec(source).load_table().frame)


def test_a_sample_round_trips_through_json_and_the_cli_recipe(source):
    spec = train_spec(source)
    loaded = experiments.load_recipe(spec.to_json())
    assert loaded == spec and json.loads(spec.to_json())["data"]["sample"] == 50


@pytest.mark.parametrize("bad", [-1, 0, 2.5, True, "50"])
def test_a_sample_that_is_not_a_positive_whole_number_is_refused_naming_the_field(source, bad):
    with pytest.raises(RecipeError, match=r"^data\.sample: "):
        train_spec(source, sample=bad).check()
    recipe = json.loads(train_spec(source).to_json())
    recipe["data"]["sample"] = bad
    with pytest.raises(RecipeError, match=r"data\.sample"):
        experiments.load_recipe(json.dumps(recipe))


def test_a_sample_above_the_rows_there_are_means_all_rows_with_a_warning(source):
    spec = replace(
        train_spec(source, sample=5000), data=DataSpec(source, genres=("pop", "rap"), sample=5000)
    )
    outcome = train.run(spec, TaskState(n_boot=10))
    result = outcome.result.runs[0].result
    assert result.n_train + result.n_validation + result.n_test == 200
    assert outcome.warnings == (
        "data.sample: 5,000 rows asked for, but the chosen rows number 200; all of them are used.",
    )


def test_a_sample_is_drawn_from_the_chosen_genres(source):
    spec = replace(
        train_spec(source, sample=40), data=DataSpec(source, genres=("pop", "rap"), sample=40)
    )
    table = spec.table_and_split()[0]
    assert len(table.frame) == 40 and set(table.frame["genre"]) == {"pop", "rap"}


def test_every_kind_that_trains_takes_the_sample(source):
    data = DataSpec(source, sample=60)
    curve = merge_curve.MergeCurveSpec(data, min_genres=3)
    outcome = merge_curve.run(curve)
    assert outcome.summary["title"] == "logreg · 60 rows"
    assert outcome.result.steps[0].result.n_test + outcome.result.steps[0].result.n_train == 60
    network = net.NetSpec(data)
    assert network.config(network.load_table()).rows == 60
    comparison = transfer.TransferSpec(data, source_genres=("pop", "rock"), new_genre="rap")
    table = comparison.load_table()
    assert len(table.frame) == 60 and set(table.frame["genre"]) == {"pop", "rock", "rap"}
    assert comparison.config(rows=60).rows == 60


def test_a_search_asks_for_its_own_rows_option(source):
    from genre_core.experiments.search import SearchSpec

    with pytest.raises(RecipeError, match="data.sample: .*rows"):
        SearchSpec(DataSpec(source, sample=60)).check()


def test_a_sample_too_small_for_the_genres_is_refused_naming_the_field(source):
    with pytest.raises(DataError, match=r"^data\.sample: 3 rows cannot be drawn"):
        train_spec(source, sample=3).load_table()
