"""The Transfer page under AppTest: seed defaults, presets, a full comparison, Stop, bad input,
and the recipe it shows, which runs unchanged to the same accuracy."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import app_with_upload, make_tracks, poll_page, recipe_texts

FOUR = ("pop", "rock", "rap", "edm")


def _transfer_page(n: int = 400, genres=FOUR) -> AppTest:
    return app_with_upload(make_tracks(n, genres=genres, seed=4), "transfer")


def _chart_runs(at: AppTest) -> dict[str, int]:
    """Legend name to the number of epochs drawn, in the page's transfer chart."""
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        titles = [a.get("text") for a in spec["layout"].get("annotations", [])]
        if "Validation accuracy" in titles:
            return {t["name"]: len(t.get("x") or []) for t in spec["data"] if t.get("showlegend")}
    return {}


def test_the_seeds_genres_are_the_defaults_when_the_dataset_has_them():
    at = _transfer_page(240, genres=("edm", "rap", "pop", "r&b", "latin", "rock"))
    assert at.multiselect(key="transfer.source_genres").value == [
        "pop",
        "rap",
        "rock",
        "latin",
        "r&b",
    ]
    assert at.selectbox(key="transfer.new_genre").value == "edm"
    assert at.multiselect(key="transfer.compare").value == ["freeze", "fine-tune", "scratch"]
    assert at.text_input(key="transfer.hidden").value == "64, 32, 16"  # the report's Table 3


def test_a_preset_is_one_click_away():
    at = _transfer_page(120)
    presets = at.selectbox(key="transfer.preset").options
    assert any("Table 4" in p for p in presets)
    assert not any("LSTM" in p for p in presets)  # recurrent presets train on Networks
    at.selectbox(key="transfer.preset").set_value("development-grid").run()
    at.button(key="transfer.apply").click().run()
    assert at.text_input(key="transfer.hidden").value == "128, 16"
    assert at.text_input(key="transfer.batch_norm").value == "no"
    assert at.text_input(key="transfer.dropout").value == "0.3"
    assert at.text_input(key="transfer.clip_norm").value == "1.5"
    assert at.number_input(key="transfer.epochs").value == 20


def test_a_comparison_runs_in_the_background_and_ends_in_curves_and_a_table():
    at = _transfer_page()
    assert at.multiselect(key="transfer.source_genres").value == ["pop", "rock", "rap"]
    assert at.selectbox(key="transfer.new_genre").value == "edm"
    at.number_input(key="transfer.epochs").set_value(3)
    at.number_input(key="transfer.target").set_value(0.4)
    at.button(key="transfer.start").click().run()
    assert not at.exception and not at.error
    job = at.session_state["transfer.job"]
    poll_page(at, lambda: at.session_state["transfer.outcome"] is not None)
    assert job.status == "done"
    result = at.session_state["transfer.outcome"].result
    assert list(result.runs) == ["freeze", "fine-tune", "scratch"]
    assert "Compared 3 options on 4 genres" in at.success[0].value
    table = at.table[0].value
    assert list(table.index) == [
        "Frozen body, new output layer",
        "Fine-tune all layers",
        "From scratch",
    ]
    assert list(table["epochs run"]) == [3, 3, 3]
    assert all(v == "not reached" or 1 <= int(v) <= 3 for v in table["epochs to target"])
    assert _chart_runs(at) == {
        "source network (its own genres)": 3,
        "frozen body, new output layer": 3,
        "fine-tune all layers": 3,
        "from scratch": 3,
    }
    caption = " ".join(c.value for c in at.caption)
    assert "every layer but fc4, the output layer" in caption
    # each option is a run in the history, all three paired on the same test rows
    logged = [e["run_id"] for e in job.events if e.get("stage") == "logged"]
    assert len(logged) == 3
    from genre_core.runs import history

    runs = [history.load_run(run_id) for run_id in logged]
    assert {r.tags["model"] for r in runs} == {
        "transfer freeze",
        "transfer fine-tune",
        "transfer scratch",
    }
    assert len({r.test_hash for r in runs}) == 1
    assert len(runs[0].curves) == 3


def test_stop_ends_the_comparison_and_shows_what_finished():
    at = _transfer_page(600)
    at.number_input(key="transfer.epochs").set_value(400)
    at.number_input(key="transfer.batch_size").set_value(8)
    at.button(key="transfer.start").click().run()
    job = at.session_state["transfer.job"]
    poll_page(at, lambda: _chart_runs(at).get("source network (its own genres)", 0) >= 2)
    progress = at.get("progress")[0].proto.text
    assert "Source network (1 of 4): epoch" in progress and "of 400" in progress
    at.button(key="transfer.stop").click().run()
    poll_page(at, lambda: not job.running, timeout=20)
    at.run()
    assert job.status == "stopped"
    result = job.result.result
    assert result.stopped and result.runs == {}
    assert "Stopped by you: 0 of 3 options finished" in at.warning[0].value
    assert len(at.table) == 0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("transfer.hidden", "64, x", "network parameter 'hidden' must be a number, not 'x'"),
        ("transfer.compare", [], "compare: choose at least one option"),
        ("transfer.source_genres", ["pop"], "source_genres: choose at least two source genres"),
    ],
)
def test_bad_settings_get_a_message_and_start_nothing(key, value, message):
    at = _transfer_page(120)
    widget = at.text_input(key=key) if key == "transfer.hidden" else at.multiselect(key=key)
    widget.set_value(value)
    at.button(key="transfer.start").click().run()
    assert not at.exception
    assert message in at.error[0].value.replace("\\", "")  # the markdown escapes dropped
    assert at.session_state["transfer.job"] is None


def test_choices_survive_a_visit_to_another_page():
    at = _transfer_page(120)
    at.multiselect(key="transfer.source_genres").set_value(["pop", "rock"]).run()
    at.selectbox(key="transfer.new_genre").set_value("rap")
    at.number_input(key="transfer.epochs").set_value(7).run()
    at.switch_page("../pages/data.py").run()
    assert not at.exception
    at.switch_page("../pages/transfer.py").run()
    assert not at.exception
    assert at.multiselect(key="transfer.source_genres").value == ["pop", "rock"]
    assert at.selectbox(key="transfer.new_genre").value == "rap"
    assert at.number_input(key="transfer.epochs").value == 7


def test_a_dataset_of_two_genres_has_no_genre_to_add():
    at = _transfer_page(120, genres=("pop", "rock"))
    assert at.selectbox(key="transfer.new_genre").value is None
    at.button(key="transfer.start").click().run()
    assert not at.exception
    assert "choose the genre to add" in at.error[0].value


def test_the_recipe_shown_runs_unchanged_to_the_accuracy_shown():
    """What `genre-lab run` does with the recipe the page shows: the same test accuracies."""
    from genre_core import experiments

    at = _transfer_page(240)
    at.number_input(key="transfer.epochs").set_value(2)
    at.multiselect(key="transfer.compare").set_value(["freeze", "scratch"]).run()
    text = next(t for t in recipe_texts(at) if '"kind": "transfer"' in t)
    at.button(key="transfer.start").click().run()
    poll_page(at, lambda: at.session_state["transfer.outcome"] is not None)
    shown = list(at.table[0].value["test accuracy"])
    assert len(shown) == 2
    recipe = experiments.load_recipe(text)
    assert recipe == at.session_state["transfer.outcome"].recipe
    assert recipe.data.sha256 and recipe.origin == "transfer" and recipe.epochs == 2
    again = experiments.run(recipe.with_changes(log=False))  # loads the upload by its hash
    assert [r["accuracy"] for r in again.summary["runs"]] == shown


def test_a_loaded_recipe_fills_the_form():
    from genre_core.experiments.transfer import TransferSpec, preset_network

    at = _transfer_page(120)
    spec = TransferSpec(
        source_genres=("rock", "rap"),
        new_genre="pop",
        params={**preset_network("development-grid")[0], "dropout": (0.2, 0.1)},
        compare=("scratch",),
        epochs=7,
        target=0.6,
        seed=5,
    )
    at.session_state["transfer.loaded"] = spec
    at.run()
    assert not at.exception
    assert at.multiselect(key="transfer.source_genres").value == ["rock", "rap"]
    assert at.selectbox(key="transfer.new_genre").value == "pop"
    assert at.text_input(key="transfer.hidden").value == "128, 16"
    assert at.text_input(key="transfer.dropout").value == "0.2, 0.1"
    assert at.number_input(key="transfer.epochs").value == 7
    assert at.multiselect(key="transfer.compare").value == ["scratch"]
    assert at.number_input(key="transfer.seed").value == 5
    text = next(t for t in recipe_texts(at) if '"kind": "transfer"' in t)
    shown = json.loads(text)
    assert shown["params"]["dropout"] == [0.2, 0.1] and shown["epochs"] == 7
