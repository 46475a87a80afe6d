"""Issue 17, item 3: run names that say what differs, and a user's renames, tags and deletions."""

from __future__ import annotations

import pytest

from conftest import make_tracks
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.runs import history
from genre_core.runs.progress import TaskState
from genre_core.runs.records import NO_VALUE, run_facets, run_name, split_label
from genre_core.runs.store import RunStoreError

FEATURES = ("danceability", "energy", "tempo")


@pytest.fixture(scope="module")
def two_splits():
    """One model twice: split at random 70/30, and grouped by artist 80/20 on two genres."""
    tracks = make_tracks(150, seed=3)
    plain = train_model(
        tracks, "genre", TrainConfig("logreg", features=FEATURES), TaskState(n_boot=20)
    )
    grouped = train_model(
        tracks,
        "genre",
        TrainConfig(
            "logreg",
            features=FEATURES,
            genres=("pop", "rock"),
            split=SplitSpec.of("group", "track_artist", test=0.2),
        ),
        TaskState(n_boot=20),
    )
    return plain, grouped


def test_split_labels_say_how_and_how_much():
    assert split_label({"method": "stratified", "train": 0.7, "validation": 0, "test": 0.3}) == (
        "random 70/30"
    )
    stored = {"method": "group", "group_column": "track_artist", "train": "0.8"}
    assert split_label(stored | {"validation": "0.0", "test": "0.2"}) == (
        "grouped by track_artist 80/20"
    )
    assert split_label({"method": "stratified", "train": 0.6, "validation": 0.2, "test": 0.2}) == (
        "random 60/20/20"
    )
    assert split_label(None) == NO_VALUE


def test_a_name_says_model_features_split_and_data():
    params = {
        "split.method": "group",
        "split.group_column": "track_artist",
        "split.train": 0.8,
        "split.validation": 0.0,
        "split.test": 0.2,
        "feature_set": "numeric",
        "genres": ["pop", "rap"],
        "rows": 2000,
    }
    name = run_name("xgboost · 2,000 rows", params, dataset="spotify-30k")
    assert (
        name
        == "xgboost · numeric · grouped by track_artist 80/20 · spotify-30k · pop/rap · 2,000 rows"
    )
    recipe = {
        "preset": "compact",
        "feature_set": "numeric+text",
        "split": {"method": "stratified", "train": 0.6, "validation": 0.2, "test": 0.2},
        "data": {"source": "/somewhere/mine.csv", "genres": list("abcd"), "sample": None},
    }
    assert run_name("mlp 64-32-16", {}, recipe) == (
        "mlp 64-32-16 (compact) · numeric+text · random 60/20/20 · mine.csv · 4 genres"
    )
    assert run_facets({}, dataset="d") == {"split": NO_VALUE, "features": NO_VALUE, "data": "d"}


def test_logged_runs_are_named_by_their_split_and_features(store, two_splits):
    plain, grouped = two_splits
    first = history.log_result(plain, source="train", dataset="synthetic")
    second = history.log_result(grouped, source="train", dataset="synthetic")
    runs = history.list_runs().set_index("run_id")
    assert runs.loc[first, "name"] == "logreg · numeric · random 70/30 · synthetic"
    assert runs.loc[second, "name"] == (
        "logreg · numeric · grouped by track_artist 80/20 · synthetic · pop/rock"
    )
    assert runs.loc[second, "split"] == "grouped by track_artist 80/20"
    assert runs.loc[second, "features"] == "numeric"
    assert runs.loc[second, "data"] == "synthetic · pop/rock"
    assert history.load_run(second).name == runs.loc[second, "name"]


def test_a_run_is_renamed_tagged_and_deleted(store, two_splits):
    run_id = history.log_result(two_splits[0], source="train", dataset="synthetic")
    other = history.log_result(two_splits[1], source="train", dataset="synthetic")
    assert history.rename_run(run_id, "  my   <b>best</b> run ") == "my <b>best</b> run"
    assert history.set_run_tags(run_id, ["baseline", " keep ", "baseline", ""]) == [
        "baseline",
        "keep",
    ]
    runs = history.list_runs().set_index("run_id")
    assert runs.loc[run_id, "name"] == "my <b>best</b> run"
    assert runs.loc[run_id, "tags"] == "baseline, keep"
    assert runs.loc[other, "tags"] == ""
    details = history.load_run(run_id)
    assert details.name == "my <b>best</b> run"
    assert history.user_tags(details.tags) == ["baseline", "keep"]
    assert history.set_run_tags(run_id, []) == []
    assert history.list_runs().set_index("run_id").loc[run_id, "tags"] == ""

    history.delete_run(run_id)
    assert history.list_runs()["run_id"].tolist() == [other]
    with pytest.raises(RunStoreError, match="deleted"):
        history.rename_run(run_id, "again")
    with pytest.raises(RunStoreError, match="no run"):
        history.delete_run("0" * 32)


def test_bad_names_and_tags_are_refused_before_the_store_is_touched(store):
    with pytest.raises(DataError, match="needs a name"):
        history.rename_run("any", "   ")
    with pytest.raises(DataError, match="at most 250"):
        history.rename_run("any", "x" * 251)
    with pytest.raises(DataError, match="without commas"):
        history.set_run_tags("any", ["a,b"])
