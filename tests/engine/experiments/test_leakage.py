"""How much of the accuracy was fake: a random split against a split grouped by song."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import copied_songs, run_cli
from genre_core import experiments
from genre_core.data.dataset import from_user_frame
from genre_core.errors import DataError
from genre_core.experiments.leakage import LeakageSpec, difference_interval
from genre_core.experiments.recipe import DataSpec


def run_on(frame: pd.DataFrame, **settings):
    dataset = from_user_frame(frame, "tracks.csv", label="genre")
    spec = LeakageSpec(DataSpec("tracks.csv"), **{"model": "knn", **settings})
    return experiments.run(spec, dataset=dataset)


def test_copies_of_songs_make_a_random_split_look_good():
    outcome = run_on(copied_songs(), params={"n_neighbors": 1})
    result = outcome.result
    random = result.random.evaluation.metrics["accuracy"]
    grouped = result.grouped.evaluation.metrics["accuracy"]
    assert random > 0.8 and grouped < 0.5  # memory on one side, chance on the other
    assert result.difference_ci95[0] > 0.3
    assert result.leaked > 0.8 * result.n_test and result.leaked_accuracy > 0.9
    assert set(result.per_genre["genre"]) == {"pop", "rock", "rap"}
    assert (result.per_genre["difference"] > 0).all()
    words = " ".join(result.sentences())
    assert f"{result.leaked:,} of its {result.n_test:,} test tracks" in words
    assert outcome.summary["leaked_test_rows"] == result.leaked


def test_songs_each_once_leak_nothing():
    frame = copied_songs(songs=600, copies=1)
    result = run_on(frame).result
    assert result.leaked == 0
    low, high = result.difference_ci95
    assert low < 0.1 and high > -0.1
    assert "No test track of the random split was also in its training part." in result.sentences()


def test_a_table_without_song_keys_is_refused():
    frame = copied_songs().drop(columns="track_id")
    with pytest.raises(DataError, match="no track id"):
        run_on(frame)


def test_the_difference_interval_covers_the_difference():
    rng = np.random.default_rng(1)
    a, b = rng.random(2000) < 0.7, rng.random(2000) < 0.6
    low, high = difference_interval(a, b)
    assert low < a.mean() - b.mean() < high and low > 0


def test_the_cli_makes_and_runs_the_recipe(tmp_path):
    data = tmp_path / "tracks.csv"
    copied_songs().to_csv(data, index=False)
    made = run_cli("spec", "leakage", "--data", str(data), "--label", "genre", "--model", "knn")
    assert made.returncode == 0, made.stderr
    recipe = tmp_path / "leakage.json"
    recipe.write_text(made.stdout)
    ran = run_cli("run", str(recipe), "--json", "--no-log")
    assert ran.returncode == 0, ran.stderr
    summary = json.loads(ran.stdout)
    assert summary["kind"] == "leakage" and summary["leaked_test_rows"] > 0
