"""Issue 17, item 3 on the Compare page: split, features and data beside each run's name, and a
user's renames, tags and deletions."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, make_tracks
from genre_core.data.splits import SplitSpec
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.runs import history
from genre_core.runs.progress import TaskState

FEATURES = ("danceability", "energy", "tempo")


@pytest.fixture(scope="module")
def results():
    tracks = make_tracks(150, seed=3)
    grouped = SplitSpec.of("group", "track_artist", test=0.2)
    return [
        train_model(
            tracks, "genre", TrainConfig("xgboost", features=FEATURES), TaskState(n_boot=20)
        ),
        train_model(
            tracks,
            "genre",
            TrainConfig("xgboost", features=FEATURES, split=grouped),
            TaskState(n_boot=20),
        ),
    ]


def _compare_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("../pages/compare.py").run()
    assert not at.exception
    return at


def _history_table(at: AppTest):
    return next(d.value for d in at.dataframe if "split" in d.value.columns)


def test_the_history_shows_split_features_and_data_beside_the_name(store, results):
    for result in results:
        history.log_result(result, source="train", dataset="synthetic")
    table = _history_table(_compare_page())
    assert list(table.columns[:4]) == ["name", "split", "features", "data"]
    assert sorted(table["split"]) == ["grouped by track_artist 80/20", "random 70/30"]
    assert set(table["features"]) == {"numeric"} and set(table["data"]) == {"synthetic"}
    assert table["name"].nunique() == 2  # the two xgboost runs are told apart


def test_a_run_is_renamed_and_tagged_through_the_page(store, results):
    run_id = history.log_result(results[0], source="train", dataset="synthetic")
    at = _compare_page()
    assert at.text_input(key="compare.manage.name").value.startswith("xgboost · numeric")
    at.text_input(key="compare.manage.name").set_value("**bold** <i>baseline</i>")
    at.text_input(key="compare.manage.tags").set_value("first, keep")
    at.button(key="compare.manage.save").click().run()
    assert not at.exception and not at.error
    details = history.load_run(run_id)
    assert details.name == "**bold** <i>baseline</i>"
    assert history.user_tags(details.tags) == ["first", "keep"]
    table = _history_table(at)
    assert table["name"].tolist() == ["**bold** <i>baseline</i>"]  # shown as typed
    assert table["tags"].tolist() == ["first, keep"]


def test_a_run_is_deleted_after_a_confirmation(store, results):
    keep, drop = (history.log_result(r, source="train", dataset="synthetic") for r in results)
    at = _compare_page()
    at.selectbox(key="compare.manage.run").set_value(drop).run()
    at.button(key="compare.manage.delete").click().run()
    assert "no user accounts" in at.warning[0].value
    assert len(history.list_runs()) == 2  # nothing deleted before the confirmation
    at.button(key="compare.manage.confirm_no").click().run()
    assert not at.warning and len(history.list_runs()) == 2
    at.button(key="compare.manage.delete").click().run()
    at.button(key="compare.manage.confirm_yes").click().run()
    assert not at.exception
    assert history.list_runs()["run_id"].tolist() == [keep]
    assert _history_table(at)["name"].tolist() == [history.load_run(keep).name]
