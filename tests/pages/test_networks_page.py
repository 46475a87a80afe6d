"""The Networks page under AppTest: live curves, Stop, presets, the queue, a reload that finds
the running job again, save and predict."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import (
    app_with_upload,
    live_epochs,
    make_tracks,
    network_result,
    poll_page,
    recipe_texts,
    start_network,
)
from dashboard import jobs
from genre_core.data.splits import SplitSpec
from genre_core.experiments.net import NetSpec
from genre_core.experiments.recipe import DataSpec
from genre_core.runs.checkpoints import network_bytes


def _networks_page(n: int = 600, query: dict | None = None) -> AppTest:
    return app_with_upload(make_tracks(n, seed=5), "networks", query=query)


def test_training_streams_a_growing_curve_and_stop_keeps_the_best_weights():
    at = _networks_page()
    job = start_network(at, 500)
    assert not at.error
    assert job.running
    poll_page(at, lambda: (live_epochs(at) or 0) >= 2)
    first = live_epochs(at)
    assert (
        "Epoch" in at.get("progress")[0].proto.text and "of 500" in at.get("progress")[0].proto.text
    )
    poll_page(at, lambda: (live_epochs(at) or 0) > first)  # the curve grows while we watch
    at.button(key="nets.stop").click().run()
    poll_page(at, lambda: not job.running, timeout=60, failure="Stop did not end the job")
    at.run()
    assert job.status == "stopped"
    result = network_result(at)
    assert result.stop_reason == "stopped" and len(result.history) < 500
    valid = [h["valid_loss"] for h in result.history]
    assert result.kept_epoch == valid.index(min(valid)) + 1
    assert "Stopped by you after" in at.success[0].value
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Accuracy"].rstrip("%")) > 50
    recipe_texts(at)  # the Recipe box opened: its download button drawn
    labels = [b.label for b in at.get("download_button")]
    assert {"Download recipe", "Download the network (.safetensors)"} <= set(labels)
    assert {"Download report (HTML)", "Download figures (PNG)"} <= set(labels)  # the run's


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


def test_a_second_training_waits_in_the_queue_and_shows_its_place(tmp_path):
    """Other sessions' jobs hold every worker: this session's job waits, shows its place in
    the server-wide queue, and starts once a worker is free."""
    path = tmp_path / "tracks.csv"
    make_tracks(240, seed=5).to_csv(path, index=False)
    busy = NetSpec(
        DataSpec(str(path), label="genre", features=("danceability", "energy", "tempo")),
        SplitSpec.of(test=0.2, validation=0.2),
        {"hidden": (16,), "max_epochs": 2000, "batch_size": 8},
        log=False,
    )
    engine = jobs.engine()
    others = [engine.submit(busy, f"another session {i}") for i in range(engine.workers)]
    try:
        at = _networks_page(120)
        at.number_input(key="nets.max_epochs").set_value(2)
        at.button(key="nets.start").click().run()
        assert at.session_state["nets.job"].queued
        assert (
            f"place {len(others) - sum(o.started is not None for o in others) + 1}"
            in (at.info[0].value)
            or "place 1 in the queue" in at.info[0].value
        )
        assert "in the queue" in at.info[0].value
    finally:
        for other in others:
            engine.stop(other)
    poll_page(at, lambda: network_result(at) is not None, timeout=300)
    assert at.session_state["nets.job"].status == "done"


def test_a_saved_network_predicts_again_and_a_bad_file_is_refused():
    at = _networks_page(150)
    at.number_input(key="nets.max_epochs").set_value(10)  # enough to agree with most labels
    at.button(key="nets.start").click().run()
    poll_page(at, lambda: network_result(at) is not None)
    result = network_result(at)
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
    poll_page(mine, lambda: network_result(mine) is not None)
    theirs.run()
    assert theirs.session_state["nets.job"] is None and network_result(theirs) is None
    assert not theirs.get("progress") and not theirs.success
    assert mine.success and "Trained all 2 epochs" in mine.success[0].value


def test_training_goes_on_while_the_user_visits_another_page():
    at = _networks_page()
    job = start_network(at, 500)
    at.switch_page("../pages/data.py").run()
    assert not at.exception
    poll_page(at, lambda: sum(e.get("stage") == "epoch" for e in job.events) >= 1)
    at.switch_page("../pages/networks.py").run()
    assert at.session_state["nets.job"] is job and job.running
    poll_page(at, lambda: (live_epochs(at) or 0) >= 1)
    at.button(key="nets.stop").click().run()
    poll_page(at, lambda: not job.running, timeout=60, failure="Stop did not end the job")


def test_the_recipe_on_the_page_gives_the_accuracy_the_page_shows():
    from dataclasses import replace

    from genre_core import experiments

    at = _networks_page(180)
    at.number_input(key="nets.max_epochs").set_value(3)
    at.radio(key="nets.split").set_value("group").run()  # the Networks page can group rows now
    at.button(key="nets.start").click().run()
    poll_page(at, lambda: network_result(at) is not None)
    shown = {m.label: m.value for m in at.metric}["Accuracy"]
    text = next(t for t in recipe_texts(at) if '"kind": "net"' in t)
    spec = experiments.load_recipe(text)
    assert spec == at.session_state["nets.outcome"].recipe
    assert spec.split.method == "group" and spec.params["max_epochs"] == 3
    assert spec.data.source == "mine.csv" and spec.data.sha256  # the upload, kept by its hash
    outcome = experiments.run(replace(spec, log=False))  # as `genre-lab run` does
    accuracy = outcome.summary["runs"][0]["accuracy"]
    assert f"{accuracy:.1%}" == shown
    assert accuracy == round(network_result(at).evaluation.metrics["accuracy"], 4)


def test_a_loaded_recipe_fills_the_widgets():
    from genre_core.experiments.net import NetSpec
    from genre_core.models.presets import preset_params

    at = _networks_page(120)
    params = preset_params("cas-mlp-modif") | {"max_epochs": 7, "lr_factor": 0.5}
    recipe = NetSpec(params=params, preset="cas-mlp-modif", seed=4, scaler="minmax")
    recipe_texts(at)  # the Recipe box opened: its uploader drawn
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

    return experiments.load_recipe(next(t for t in recipe_texts(at) if '"kind": "net"' in t))


def test_a_reload_finds_the_running_job_and_another_session_does_not():
    """A job outlives its browser tab: the page keeps the job's id in its URL, so a reload (a
    new session with the same URL) finds the running job, its curve so far and its result; a
    session without the id never sees it."""
    at = _networks_page()
    job = start_network(at, 300)
    assert at.query_params["nets"] == [job.id] or at.query_params["nets"] == job.id
    poll_page(at, lambda: (live_epochs(at) or 0) >= 2)

    reloaded = _networks_page(query={"nets": job.id})  # the same URL in a new session
    assert reloaded.session_state["nets.job"].job is job.job
    # the form shows the job's settings, not the defaults
    assert reloaded.number_input(key="nets.max_epochs").value == 300
    assert reloaded.number_input(key="nets.batch_size").value == 8
    poll_page(reloaded, lambda: (live_epochs(reloaded) or 0) >= 3)  # the curve so far, growing

    stranger = _networks_page()  # another student's tab: no id, no job
    assert stranger.session_state["nets.job"] is None
    assert not stranger.get("progress") and not live_epochs(stranger)

    reloaded.button(key="nets.stop").click().run()
    poll_page(reloaded, lambda: not job.running, timeout=60)
    reloaded.run()
    assert job.status == "stopped"
    assert network_result(reloaded).stop_reason == "stopped"
    at.run()  # the first tab sees the same end
    assert network_result(at).stop_reason == "stopped"


def test_a_bad_value_names_the_field_as_labelled():
    """Issue 17: "'abc' is not a whole number" named no field; the label says which."""
    at = _networks_page(120)
    at.text_input(key="nets.hidden").set_value("abc")
    at.button(key="nets.start").click().run()
    assert "Hidden layers: network parameter 'hidden' must be a number" in shown_text(
        at.error[0].value
    )
    at.text_input(key="nets.hidden").set_value("64").run()
    at.text_input(key="nets.dropout").set_value("0.2, x").run()
    assert "Dropout" in shown_text(at.error[0].value)


def shown_text(markdown: str) -> str:
    import re

    return re.sub(r"\\(.)", r"\1", markdown)


def test_the_curves_and_the_figures_say_which_accuracy_is_which():
    """Issue 17: "train 46.6%" under a training curve ending near 39%. The curve's training
    accuracy is counted during the epoch (dropout on); the figures re-evaluate the kept weights
    (dropout off). Both are named, and the re-evaluated ones are drawn on the curve."""
    import json

    from genre_core.plots.networks import CURVE_NAMES, REEVALUATED

    at = _networks_page(240)
    at.number_input(key="nets.max_epochs").set_value(4)
    at.button(key="nets.start").click().run()
    # a fresh worker imports torch first: slow on a busy machine
    poll_page(at, lambda: network_result(at) is not None, timeout=300)
    result = network_result(at)
    ev = result.evaluation
    spec = next(
        json.loads(c.proto.spec)
        for c in at.get("plotly_chart")
        if "Loss (cross-entropy)" in c.proto.spec
    )
    names = {t.get("name") for t in spec["data"]}
    assert {CURVE_NAMES["train"], CURVE_NAMES["valid"], REEVALUATED} <= names
    for part, value in (("training", ev.train_accuracy), ("validation", ev.validation_accuracy)):
        kept = next(t for t in spec["data"] if t.get("name") == f"{part}, {REEVALUATED}")
        assert kept["x"] == [result.kept_epoch] and kept["y"] == [value]
        assert kept["text"] == [f"{value:.1%}"]  # the same number as under the metrics
    figures = f"train {ev.train_accuracy:.1%}, validation {ev.validation_accuracy:.1%}"
    assert any(figures in c.value for c in at.caption)  # under the metrics
    reading = next(c.value for c in at.caption if "The diamonds are the kept weights" in c.value)
    assert f"training {ev.train_accuracy:.1%}, validation {ev.validation_accuracy:.1%}" in reading
    curve_train = next(h for h in result.history if h["epoch"] == result.kept_epoch)["train_acc"]
    assert f"At that epoch the training line reads {curve_train:.1%}" in reading
