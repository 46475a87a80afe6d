"""The Networks page under AppTest: live curves, Stop, presets, the queue, save and predict."""

from __future__ import annotations

import json
import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import app_with_upload, make_tracks
from dashboard import jobs
from genre_core.runs.checkpoints import network_bytes


def _networks_page(n: int = 600) -> AppTest:
    return app_with_upload(make_tracks(n, seed=5), "networks")


def _result(at: AppTest):
    """The NetResult of the page's last finished (or stopped) training, or None."""
    outcome = at.session_state["nets.outcome"]
    return None if outcome is None else outcome.result


def _live_epochs(at: AppTest) -> int | None:
    """Epochs drawn in the live loss chart (None when it is not on the page)."""
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        titles = [a.get("text") for a in spec["layout"].get("annotations", [])]
        if "Loss (cross-entropy)" in titles:
            x = spec["data"][0].get("x") or []
            return len(x)
    return None


def _poll(at: AppTest, until, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        at.run()
        assert not at.exception
        if until():
            return
    pytest.fail("the page did not reach the expected state in time")


def test_training_streams_a_growing_curve_and_stop_keeps_the_best_weights():
    at = _networks_page()
    at.number_input(key="nets.max_epochs").set_value(500)
    at.number_input(key="nets.batch_size").set_value(8)
    at.button(key="nets.start").click().run()
    assert not at.exception and not at.error
    job = at.session_state["nets.job"]
    assert job.running
    _poll(at, lambda: (_live_epochs(at) or 0) >= 2)
    first = _live_epochs(at)
    assert (
        "Epoch" in at.get("progress")[0].proto.text and "of 500" in at.get("progress")[0].proto.text
    )
    _poll(at, lambda: (_live_epochs(at) or 0) > first)  # the curve grows while we watch
    at.button(key="nets.stop").click().run()
    _poll(at, lambda: not job.running, timeout=10)
    at.run()
    assert job.status == "stopped"
    result = _result(at)
    assert result.stop_reason == "stopped" and len(result.history) < 500
    valid = [h["valid_loss"] for h in result.history]
    assert result.kept_epoch == valid.index(min(valid)) + 1
    assert "Stopped by you after" in at.success[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Accuracy"].rstrip("%")) > 50
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download recipe", "Download the network (.safetensors)"]


def test_a_preset_fills_the_widgets_and_the_layer_preview():
    at = _networks_page(120)
    at.selectbox(key="nets.preset").set_value("cas-mlp-modif").run()
    at.button(key="nets.apply").click().run()
    assert at.text_input(key="nets.hidden").value == "32, 10, 32"
    assert at.text_input(key="nets.batch_norm").value == "no, yes, no"
    assert at.text_input(key="nets.dropout").value == "0.2, 0, 0.2"
    assert at.toggle(key="nets.dropout_first").value is True
    preview = at.code[0].value
    assert "(dropout1): Dropout(p=0.2" in preview and "(norm2): BatchNorm1d(10" in preview
    assert "(fc4): Linear(in_features=32, out_features=3" in preview  # three genres here


def test_bad_layers_get_a_message_and_start_nothing():
    at = _networks_page(120)
    at.text_input(key="nets.hidden").set_value("64, x")
    at.button(key="nets.start").click().run()
    assert not at.exception
    assert "'hidden' must be a number, not 'x'" in at.error[0].value
    assert at.session_state["nets.job"] is None


def test_a_second_training_waits_in_the_queue_and_shows_its_place(monkeypatch):
    monkeypatch.setenv("GENRE_MAX_JOBS", "1")
    release = threading.Event()
    other = jobs.start("another session", lambda emit, cancel: release.wait(30))
    try:
        at = _networks_page(120)
        at.number_input(key="nets.max_epochs").set_value(2)
        at.button(key="nets.start").click().run()
        assert "place 1 in the queue" in at.info[0].value
        assert at.session_state["nets.job"].queued
        release.set()
        _poll(at, lambda: _result(at) is not None)
        assert at.session_state["nets.job"].status == "done"
    finally:
        release.set()
        other.thread.join(10)


def test_a_saved_network_predicts_again_and_a_bad_file_is_refused():
    at = _networks_page(150)
    at.number_input(key="nets.max_epochs").set_value(3)
    at.button(key="nets.start").click().run()
    _poll(at, lambda: _result(at) is not None)
    result = _result(at)
    raw = network_bytes(result.pipeline, result.features)
    at.file_uploader(key="nets.model").set_value(
        ("net.safetensors", raw, "application/octet-stream")
    )
    at.run()
    at.button(key="nets.predict").click().run()
    assert not at.exception and not at.error
    predictions = at.session_state["nets.predictions"]
    assert len(predictions["table"]) == 150 and predictions["agreement"] > 0.5
    at.file_uploader(key="nets.model").set_value(("net.safetensors", b"not a network", "x/y"))
    at.run()
    at.button(key="nets.predict").click().run()
    assert "net.safetensors is not a safetensors file" in at.error[0].value.replace("\\", "")


def test_each_browser_session_sees_only_its_own_training():
    mine, theirs = _networks_page(150), _networks_page(150)
    mine.number_input(key="nets.max_epochs").set_value(2)
    mine.button(key="nets.start").click().run()
    _poll(mine, lambda: _result(mine) is not None)
    theirs.run()
    assert theirs.session_state["nets.job"] is None and _result(theirs) is None
    assert not theirs.get("progress") and not theirs.success
    assert mine.success and "Trained all 2 epochs" in mine.success[0].value


def test_training_goes_on_while_the_user_visits_another_page():
    at = _networks_page()
    at.number_input(key="nets.max_epochs").set_value(500)
    at.number_input(key="nets.batch_size").set_value(8)
    at.button(key="nets.start").click().run()
    job = at.session_state["nets.job"]
    at.switch_page("../pages/data.py").run()
    assert not at.exception
    _poll(at, lambda: sum(e.get("stage") == "epoch" for e in job.inbox.queue) >= 1)
    at.switch_page("../pages/networks.py").run()
    assert at.session_state["nets.job"] is job and job.running
    _poll(at, lambda: (_live_epochs(at) or 0) >= 1)
    at.button(key="nets.stop").click().run()
    _poll(at, lambda: not job.running, timeout=10)


def test_the_recipe_on_the_page_gives_the_accuracy_the_page_shows():
    from dataclasses import replace

    from genre_core import experiments

    at = _networks_page(180)
    at.number_input(key="nets.max_epochs").set_value(3)
    at.radio(key="nets.split").set_value("group").run()  # the Networks page can group rows now
    at.button(key="nets.start").click().run()
    _poll(at, lambda: _result(at) is not None)
    shown = {m.label: m.value for m in at.metric}["Accuracy"]
    text = next(c.value for c in at.code if '"kind": "net"' in c.value)
    spec = experiments.load_recipe(text)
    assert spec == at.session_state["nets.outcome"].recipe
    assert spec.split.method == "group" and spec.params["max_epochs"] == 3
    assert spec.data.source == "mine.csv" and spec.data.sha256  # the upload, kept by its hash
    outcome = experiments.run(replace(spec, log=False))  # as `genre-lab run` does
    accuracy = outcome.summary["runs"][0]["accuracy"]
    assert f"{accuracy:.1%}" == shown
    assert accuracy == round(_result(at).evaluation.metrics["accuracy"], 4)


def test_a_loaded_recipe_fills_the_widgets():
    from genre_core.experiments.net import NetSpec
    from genre_core.models.presets import preset_params

    at = _networks_page(120)
    params = preset_params("cas-mlp-modif") | {"max_epochs": 7, "lr_factor": 0.5}
    recipe = NetSpec(params=params, preset="cas-mlp-modif", seed=4, scaler="minmax")
    at.file_uploader(key="nets.recipe_upload").set_value(
        ("net.json", recipe.to_json().encode(), "application/json")
    )
    at.run()
    at.run()  # the recipe reaches the widgets before they are drawn
    assert not at.exception and not at.error
    assert at.text_input(key="nets.dropout").value == "0.2, 0, 0.2"
    assert at.text_input(key="nets.lr_factor").value == "0.5"
    assert at.number_input(key="nets.max_epochs").value == 7
    assert at.selectbox(key="nets.scaler").value == "minmax"
    assert at.number_input(key="nets.seed").value == 4
    shown = experiments_recipe(at)
    assert shown.params == recipe.params and shown.scaler == "minmax" and shown.seed == 4


def experiments_recipe(at: AppTest):
    from genre_core import experiments

    return experiments.load_recipe(next(c.value for c in at.code if '"kind": "net"' in c.value))
