"""A page found again by its link shows the settings of the job it found, not its defaults."""

from __future__ import annotations

from conftest import app_with_upload, make_tracks, poll_page


def test_a_reloaded_train_page_shows_the_settings_of_its_job():
    at = app_with_upload(make_tracks(150, seed=5), "train")
    at.multiselect(key="train.models").set_value(["knn"])
    at.run()
    at.number_input(key="train.param.knn.n_neighbors").set_value(3)
    at.number_input(key="train.seed").set_value(11)
    at.button(key="train.start").click().run()
    job = at.session_state["train.job"]
    poll_page(at, lambda: not job.running, failure="the training did not end")

    reloaded = app_with_upload(make_tracks(150, seed=5), "train", query={"train": job.id})
    assert not reloaded.exception
    assert reloaded.session_state["train.job"].job is job.job
    assert reloaded.multiselect(key="train.models").value == ["knn"]
    assert reloaded.number_input(key="train.param.knn.n_neighbors").value == 3
    assert reloaded.number_input(key="train.seed").value == 11
