"""The Train page under AppTest: a fast model trains in the background and is evaluated."""

from __future__ import annotations

import base64
import json
import re
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import (
    ROOT,
    app_with_upload,
    make_tracks,
    poll_page,
    recipe_texts,
    trained_train_page,
    wait_job,
)

APP = str(ROOT / "dashboard" / "app.py")


def _train_page(n: int = 150) -> AppTest:
    return app_with_upload(make_tracks(n, seed=5), "train")


def _wait_for_runs(at: AppTest, count: int, timeout: float = 60) -> None:
    failure = f"{count} run(s) not finished within {timeout} s"
    poll_page(at, lambda: len(at.session_state["train.runs"]) >= count, timeout, failure=failure)


def _first_run(at: AppTest, timeout: float = 60) -> dict:
    """Start training, wait for the first run to finish, and return it."""
    at.button(key="train.start").click().run()
    _wait_for_runs(at, 1, timeout)
    return at.session_state["train.runs"][0]


def _choose_knn(at: AppTest, n_neighbors: int = 3) -> None:
    at.multiselect(key="train.models").set_value(["knn"])
    at.run()
    at.number_input(key="train.param.knn.n_neighbors").set_value(n_neighbors)


def _recipe_text(at: AppTest) -> str:
    """The train recipe the page shows, as JSON text."""
    return next(t for t in recipe_texts(at) if '"kind": "train"' in t)


def _table(at: AppTest, column: str):
    """The first table with ``column`` (AppTest does not expose a dataframe's key)."""
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with a column {column!r}")


def _array(value) -> np.ndarray:
    """A plotly array from a figure's JSON: a plain list, or a typed array in base64."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), value["dtype"])
        shape = value.get("shape")
        return flat.reshape([int(n) for n in shape.split(",")]) if shape else flat
    return np.asarray(value)


def _chart(at: AppTest, title: str) -> dict:
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"].get("title", {}).get("text", "").startswith(title):
            return spec
    raise AssertionError(f"no chart titled {title!r}")


def test_train_a_fast_model_and_find_its_confusion_matrix():
    at = _train_page()
    assert "No model trained yet" in at.info[0].value
    _choose_knn(at)
    run = _first_run(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Accuracy"].endswith("%") and float(metrics["Accuracy"][:-1]) > 60
    confusion = _chart(at, "Confusion matrix")
    cells = _array(confusion["data"][0]["z"])
    # every test row in the matrix: 30% of 150, give or take a song (the split keeps both
    # rows of a track id on one side)
    assert cells.sum() == run["result"].n_test and 44 <= cells.sum() <= 46
    assert confusion["data"][0]["x"] == ["pop", "rap", "rock"]
    assert _chart(at, "Precision-recall per genre")["data"]
    assert "n_neighbors=3" in run["name"]
    assert _table(at, "pr_auc")["genre"].tolist() == ["pop", "rap", "rock"]
    # issue 17: the reading said "a bright cell off it" where the largest counts are darkest
    scale = confusion["data"][0]["colorscale"]
    low, high = (sum(int(v) for v in re.findall(r"\d+", scale[i][1])[:3]) for i in (0, -1))
    assert high < low  # the scale darkens as the count grows
    reading = next(c.value for c in at.caption if "diagonal holds correct" in c.value)
    assert "dark" in reading and "bright" not in reading


def test_two_models_fill_the_leaderboard_and_predictions_download():
    at = _train_page()
    at.multiselect(key="train.models").set_value(["logreg", "hgb"])
    at.run()
    at.number_input(key="train.param.hgb.max_iter").set_value(20)
    at.selectbox(key="train.cv_folds").set_value(3)
    at.button(key="train.start").click().run()
    _wait_for_runs(at, 2)
    board = _table(at, "CV accuracy (mean ± std)")
    assert len(board) == 2 and board["CV accuracy (mean ± std)"].str.contains("±").all()
    assert (_array(_chart(at, "accuracy per model")["data"][0]["error_x"]["array"]) > 0).all()
    assert at.radio(key="train.predict_source").value == "upload"


def test_bad_choices_show_a_message_not_an_exception():
    at = _train_page()
    at.multiselect(key="train.genres").set_value(["pop"])
    at.button(key="train.start").click().run()
    assert not at.exception
    assert "at least two genres" in at.error[0].value
    assert not at.session_state["train.runs"]


def test_grid_search_runs_in_the_background_and_ranks_the_grid():
    at = _train_page()
    at.selectbox(key="train.grid_model").set_value("rf")
    at.selectbox(key="train.grid_folds").set_value(3)
    at.run()
    at.text_area(key="train.grid_text").set_value('{"n_estimators": [10, 30], "max_depth": [2]}')
    at.button(key="train.grid_start").click().run()
    assert not at.exception
    deadline = time.monotonic() + 60
    while at.session_state["train.grid.job"].running and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    at.run()
    job = at.session_state["train.grid.job"]
    fits = [e for e in job.events if e["stage"] == "grid"]
    assert job.status == "done" and len(fits) == 6  # 2 combinations x 3 folds
    ranked = _table(at, "accuracy_mean")
    assert ranked["rank"].tolist() == [1, 2] and set(ranked["n_estimators"]) == {10, 30}


def test_a_bad_grid_is_refused_before_anything_starts():
    at = _train_page()
    at.text_area(key="train.grid_text").set_value('{"max_depth": [0]}')
    at.button(key="train.grid_start").click().run()
    assert "must be between 1 and 20" in at.error[0].value  # xgboost, the first grid
    at.text_area(key="train.grid_text").set_value("{max_depth: 3}")
    at.button(key="train.grid_start").click().run()
    assert "not valid JSON" in at.error[0].value
    assert at.session_state["train.grid.job"] is None


@pytest.mark.realdata
def test_predict_music_genre_11_test_file_and_offer_the_submission(real_data_dir):
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["data.source"] = "music-genre-11"
    at.run()
    at.switch_page("../pages/train.py").run()
    at.multiselect(key="train.models").set_value(["hgb"])
    at.run()
    at.number_input(key="train.param.hgb.max_iter").set_value(20)
    _first_run(at, timeout=300)  # a 2-core machine shared by other jobs: fits slow down
    assert at.radio(key="train.predict_source").value == "test"
    at.button(key="train.predict").click().run()
    assert not at.exception and not at.error
    job = at.session_state["train.prediction.job"]
    assert job.kind == "predict" and job.recipe["input"] == "test"  # the worker reads it
    wait_job(at, "train.prediction.job", timeout=300)
    assert not at.exception and not at.error
    predictions = at.session_state["train.predictions"]
    assert len(predictions["table"]) == 7713 and predictions["file"] == "test.csv"
    submission = predictions["submission"]
    assert list(submission.columns)[:2] == ["Acoustic/Folk_0", "Alt_Music_1"]
    assert submission.shape == (7713, 11)
    labels = [b.label for b in at.get("download_button")]
    assert labels[-2:] == ["Download predictions (CSV)", "Download Kaggle submission (CSV)"]


def test_predict_an_upload_on_a_worker_and_refuse_a_bad_file():
    at = trained_train_page(150)
    assert at.radio(key="train.predict_source").value == "upload"
    raw = make_tracks(60, seed=8).drop(columns="genre").to_csv(index=False).encode()
    at.file_uploader(key="train.predict_upload").set_value(("new.csv", raw, "text/csv"))
    at.run()
    at.button(key="train.predict").click().run()
    assert not at.exception and not at.error
    job = at.session_state["train.prediction.job"]
    assert job.kind == "predict" and set(job.options["inputs"]) >= {"pipeline", "raw"}
    assert at.session_state["train.predictions"] is None  # nothing predicted in the server
    wait_job(at, "train.prediction.job")
    assert not at.exception and not at.error
    predictions = at.session_state["train.predictions"]
    assert len(predictions["table"]) == 60 and predictions["file"] == "new.csv"
    assert predictions["submission"] is None
    assert any(c.value.startswith("60 tracks of new") for c in at.caption), at.caption
    labels = [b.label for b in at.get("download_button")]
    assert labels[-1] == "Download predictions (CSV)"
    at.run()
    assert at.session_state["train.prediction.job"] is job  # a rerun never sends it again
    # the same model and file again: the kept table, no new job
    at.button(key="train.predict").click().run()
    assert at.session_state["train.prediction.job"] is job
    assert len(at.session_state["train.predictions"]["table"]) == 60

    # a file without the model's columns: the job fails with the reader's message
    bad = make_tracks(20).drop(columns=["genre", "tempo"]).to_csv(index=False).encode()
    at.file_uploader(key="train.predict_upload").set_value(("bad.csv", bad, "text/csv"))
    at.run()
    at.button(key="train.predict").click().run()
    assert at.session_state["train.prediction.job"] is not job
    wait_job(at, "train.prediction.job")
    assert not at.exception
    assert at.session_state["train.prediction.job"].status == "failed"
    errors = [e.value for e in at.error]
    assert any("lacks the feature column" in e and "tempo" in e for e in errors), errors
    assert not any("Traceback" in e for e in errors)
    assert at.session_state["train.predictions"] is None


def test_train_on_numeric_and_title_features(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path))
    at = _train_page(90)
    at.radio(key="train.feature_set").set_value("numeric+text").run()
    at.checkbox(key="train.artist").check().run()
    assert "Only a split grouped by artist" in at.warning[0].value
    # Generous: the sentence model loads cold, maybe beside other tests' jobs on 2 cores.
    run = _first_run(at, timeout=300)
    assert run["result"].config.feature_set == "numeric+text"
    assert run["result"].config.artist == "track_artist"
    assert (tmp_path / "embeddings" / "all-MiniLM-L6-v2.npz").is_file()


def test_the_artists_profile_is_a_choice_warned_off_a_split_not_by_artist():
    at = _train_page()
    at.checkbox(key="train.artist_profile").check().run()
    assert any("The artist's profile" in w.value for w in at.warning)
    assert '"artist_profile": true' in _recipe_text(at)
    at.radio(key="train.split").set_value("group").run()
    at.selectbox(key="train.group_column").set_value("track_artist").run()
    assert not any("The artist's profile" in w.value for w in at.warning)
    run = _first_run(at)
    assert run["result"].config.profile == "track_artist"
    assert run["entry"].features == "numeric + artist profile"  # the leaderboard's column
    assert at.selectbox(key="train.predict_run").options == []  # a file has no profile
    assert at.button(key="train.predict").disabled


def test_the_recipe_shown_runs_to_the_accuracy_the_page_shows():
    from genre_core import experiments

    at = _train_page()
    _choose_knn(at)
    at.slider(key="train.validation").set_value(0.1)
    at.radio(key="train.split").set_value("group").run()
    page = _first_run(at)["result"].evaluation.metrics["accuracy"]
    shown = {m.label: m.value for m in at.metric}["Accuracy"]
    recipe = experiments.load_recipe(_recipe_text(at))
    assert recipe.models[0].params == {"n_neighbors": 3} and recipe.split.method == "group"
    outcome = experiments.run(recipe.with_changes(log=False))
    accuracy = outcome.result.runs[0].result.evaluation.metrics["accuracy"]
    assert accuracy == page and f"{accuracy:.1%}" == shown


def test_a_sample_of_rows_goes_into_the_recipe_and_the_run_name():
    at = _train_page(300)
    at.number_input(key="train.sample").set_value(90).run()
    assert json.loads(_recipe_text(at))["data"]["sample"] == 90
    run = _first_run(at, timeout=180)  # 2 cores shared with other tests' jobs
    assert run["name"] == "#1 logreg · 90 rows"
    result = run["result"]
    assert result.n_train + result.n_validation + result.n_test == 90
    at.number_input(key="train.sample").set_value(0).run()
    assert json.loads(_recipe_text(at))["data"]["sample"] is None  # 0: all rows


def test_a_long_xgboost_fit_shows_its_rounds_and_stop_ends_it():
    # 5,000 rows: 3,000 deep rounds take minutes, so Stop always comes before the last one
    # (on 150 rows a busy machine's Stop once arrived after the fit had finished)
    at = _train_page(5000)
    at.multiselect(key="train.models").set_value(["xgboost"])
    at.run()
    at.number_input(key="train.param.xgboost.n_estimators").set_value(3000)
    at.number_input(key="train.param.xgboost.max_depth").set_value(20)
    at.button(key="train.start").click().run()

    def rounds() -> str:
        texts = [p.proto.text for p in at.get("progress")]
        return next((t for t in texts if t.startswith("xgboost: round")), "")

    poll_page(at, lambda: bool(rounds()), failure="no boosting round shown")
    shown = r"xgboost: round [\d,]+ of 3,000 · \d+ (s|min) elapsed · about \d+ (s|min) left"
    assert re.fullmatch(shown, rounds()), rounds()
    assert "0 of 1 models trained; fitting xgboost" in at.get("progress")[0].proto.text
    job = at.session_state["train.job"]
    at.button(key="train.stop").click().run()
    poll_page(at, lambda: not job.running, timeout=60, failure="Stop did not end the fit")
    fits = [e for e in job.events if e["stage"] == "fit"]
    assert job.status == "stopped" and fits[-1]["done"] < 3000
    at.run()
    assert not at.session_state["train.runs"]


def test_the_default_split_groups_copies_of_a_song_like_the_cli(tmp_path, capsys):
    """Issue 13.2: where a track id repeats, the page starts grouped by it and says why in one
    line; the CLI's recipe, given no split, is the same split on the same table."""
    from genre_core import experiments
    from genre_core.cli import main
    from genre_core.data.dataset import load_dataset
    from genre_core.experiments.recipe import resolve_split

    at = _train_page()
    assert at.radio(key="train.split").value == "group"
    assert at.selectbox(key="train.group_column").value == "track_id"
    captions = [c.value.replace("\\", "") for c in at.caption]  # markdown escapes removed
    assert any("Grouped by track (track_id): 150 rows repeat" in c for c in captions)
    page = experiments.load_recipe(_recipe_text(at))
    path = tmp_path / "tracks.csv"
    make_tracks(150, seed=5).to_csv(path, index=False)
    assert main(["spec", "train", "--data", str(path)]) == 0
    cli = experiments.load_recipe(capsys.readouterr().out)
    dataset = load_dataset(str(path))
    assert resolve_split(page.split, dataset) == resolve_split(cli.split, dataset)
    assert [m.name for m in page.models] == [m.name for m in cli.models] == ["logreg"]
    same = ("feature_set", "artist", "imputer", "scaler", "cv_folds", "seed")
    assert {k: getattr(page, k) for k in same} == {k: getattr(cli, k) for k in same}
    assert set(page.data.features) == set(dataset.roles.features) and not cli.data.features
    at.selectbox(key="train.group_column").set_value("track_artist").run()
    assert any("artists it never heard" in c.value for c in at.caption)
