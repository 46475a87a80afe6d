"""Issue 17, item 3 on the Train page: two runs of one model on other splits differ by name."""

from __future__ import annotations

from conftest import app_with_upload, make_tracks, poll_page


def _board(at):
    return next(d.value for d in at.dataframe if "CV accuracy (mean ± std)" in d.value.columns)


def test_the_leaderboard_names_runs_by_their_split():
    at = app_with_upload(make_tracks(150, seed=5), "train")
    at.multiselect(key="train.models").set_value(["logreg"])
    at.radio(key="train.split").set_value("stratified").run()  # the default groups by track_id
    at.button(key="train.start").click().run()
    poll_page(at, lambda: len(at.session_state["train.runs"]) >= 1, 180, failure="no first run")
    at.radio(key="train.split").set_value("group").run()
    at.selectbox(key="train.group_column").set_value("track_artist")
    at.slider(key="train.test_size").set_value(0.2).run()
    at.button(key="train.start").click().run()
    poll_page(at, lambda: len(at.session_state["train.runs"]) >= 2, 180, failure="no second run")
    board = _board(at)
    assert not at.exception
    assert set(board["split"]) == {"random 70/30", "grouped by track_artist 80/20"}
    assert set(board["features"]) == {"numeric"}  # the feature set, as on Compare
    assert board["run"].nunique() == 2
    assert {n.split(" · ", 1)[1] for n in board["run"]} == set(board["split"])
