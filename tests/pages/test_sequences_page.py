"""The Networks page with recurrent networks: a seed's LSTM trains live and stops, the title
model trains, saves and predicts again, and a dataset without titles gets a clear message."""

from __future__ import annotations

from conftest import app_with_upload, live_epochs, make_tracks, network_result, poll_page
from genre_core.runs.checkpoints import network_bytes


def _titled(n: int):
    frame = make_tracks(n, seed=5)
    frame["track_album_name"] = [
        f"best of {g}" if i % 2 else "greatest hits" for i, g in enumerate(frame["genre"])
    ]
    return frame


def _apply(at, preset: str) -> None:
    at.selectbox(key="nets.preset").set_value(preset).run()
    at.button(key="nets.apply").click().run()


def test_a_seed_lstm_trains_live_and_stop_keeps_the_best_weights():
    at = app_with_upload(make_tracks(300, seed=5), "networks")
    _apply(at, "rnn-lstm-lstm")
    assert at.selectbox(key="nets.kind").value == "feature_sequence"
    assert at.text_input(key="nets.rnn_units").value == "80, 150"
    preview = at.code[0].value
    assert "LSTM(1, 80, batch_first=True)" in preview and "LSTM(80, 150" in preview
    at.number_input(key="nets.max_epochs").set_value(500)
    at.number_input(key="nets.batch_size").set_value(8)
    at.button(key="nets.start").click().run()
    assert not at.exception and not at.error
    job = at.session_state["nets.job"]
    poll_page(at, lambda: (live_epochs(at) or 0) >= 2)
    first = live_epochs(at)
    poll_page(at, lambda: (live_epochs(at) or 0) > first)  # the curve grows while we watch
    at.button(key="nets.stop").click().run()
    poll_page(at, lambda: not job.running, timeout=20)
    at.run()
    result = network_result(at)
    assert result.stop_reason == "stopped" and len(result.history) < 500
    assert result.network.kind == "feature_sequence"
    assert "Stopped by you after" in at.success[0].value
    assert at.metric and not at.exception


def test_the_title_model_trains_saves_and_predicts_again():
    at = app_with_upload(_titled(240), "networks")
    _apply(at, "title-lstm")
    assert at.selectbox(key="nets.kind").value == "title"
    captions = [c.value.replace("\\", "") for c in at.caption]
    assert any("Titles: track_name + track_album_name" in c for c in captions)
    at.number_input(key="nets.max_epochs").set_value(3)
    at.button(key="nets.start").click().run()
    assert not at.error
    poll_page(at, lambda: network_result(at) is not None)
    result = network_result(at)
    assert result.inputs["titles"] == "tokens" and "greatest" in result.inputs["words"]
    assert "Trained all 3 epochs" in at.success[0].value
    raw = network_bytes(result.pipeline, result.features, inputs=result.inputs)
    at.file_uploader(key="nets.model").set_value(("t.safetensors", raw, "x/y"))
    at.run()
    at.button(key="nets.predict").click().run()
    assert not at.exception and not at.error
    assert len(at.session_state["nets.predictions"]["table"]) == 240


def test_a_dataset_without_titles_gets_a_clear_message():
    at = app_with_upload(make_tracks(120).drop(columns="track_name"), "networks")
    at.selectbox(key="nets.kind").set_value("title").run()
    assert "no title column" in at.error[0].value
    at.button(key="nets.start").click().run()
    assert not at.exception and at.session_state["nets.job"] is None
    assert any("no title column" in e.value for e in at.error)
