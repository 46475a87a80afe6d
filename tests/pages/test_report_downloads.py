"""Downloads under AppTest: every Explore and evaluation chart's data as CSV and its PNG name,
the Explore pairplot (a seaborn print figure), and the report buttons of stored runs on Train
and Compare."""

from __future__ import annotations

import json

import numpy as np
from streamlit.testing.v1 import AppTest

from conftest import ROOT, app_with_upload, make_tracks, poll_page
from genre_core.reports import report_html
from genre_core.runs import history
from genre_core.runs.records import Record, confusion_of

HOSTILE = "<script>alert(1)</script>"


def _labels(at) -> list[str]:
    return [b.label for b in at.get("download_button")]


def test_explore_offers_each_charts_data_and_a_pairplot():
    at = app_with_upload(make_tracks(90, genres=("pop", "rock", HOSTILE)), "explore")
    labels = _labels(at)
    # balance (bar and pie), distribution, correlation, PCA
    assert labels.count("Download data (CSV)") == 5
    assert "Download pairplot (PNG)" in labels and "Download pairplot (PDF)" in labels
    for element in at.get("plotly_chart"):
        config = json.loads(element.proto.config)
        assert config["toImageButtonOptions"]["filename"].startswith("genre-lab-")
        assert config.get("displayModeBar") is not False  # the modebar's camera stays

    assert at.multiselect(key="explore.pair_features").value == [
        "danceability",
        "energy",
        "tempo",
    ]
    assert not at.get("image")
    at.toggle(key="explore.pair_show").set_value(True).run()
    assert not at.exception
    assert len(at.get("image")) == 1  # the pairplot drawn on the page

    at.multiselect(key="explore.pair_features").set_value(["energy"]).run()
    assert not at.exception
    assert "Choose at least two features." in [i.value for i in at.info]
    assert "Download pairplot (PNG)" not in _labels(at)


def _record(model: str, error: float, seed: int) -> Record:
    genres = ("pop", "rock", HOSTILE)
    rng = np.random.default_rng(seed)
    rows = np.arange(45)
    codes = rows % 3
    true = np.array(genres)[codes]
    pred = np.array(genres)[np.where(rng.random(45) < error, (codes + 1) % 3, codes)]
    metrics = {"accuracy": float((pred == true).mean()), "f1_macro": 0.5}
    confusion = confusion_of(true, pred, genres)
    return Record(
        "classical", model, {"model": model}, metrics, [], genres, confusion, rows, true, pred,
        {}, model,
    )  # fmt: skip


def test_compare_offers_the_report_of_the_chosen_runs(store):
    ids = [
        history.log_result(_record(m, e, s), source="test", dataset="synthetic")
        for m, e, s in (("logreg", 0.2, 1), ("knn", 0.3, 2))
    ]
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    at.session_state["compare.runs"] = ids
    at.switch_page("../pages/compare.py").run()
    assert not at.exception
    labels = _labels(at)
    assert "Download report (HTML)" in labels and "Download figures (PNG)" in labels
    at.session_state["compare.runs"] = []
    at.run()
    assert "Download report (HTML)" not in _labels(at)


def test_a_trained_run_offers_its_report_and_each_charts_data():
    at = app_with_upload(make_tracks(150, seed=5), "train")
    at.multiselect(key="train.models").set_value(["knn"]).run()
    at.button(key="train.start").click().run()
    poll_page(at, lambda: len(at.session_state["train.runs"]) >= 1, 90)
    run_id = at.session_state["train.runs"][0]["run_id"]
    assert run_id
    labels = _labels(at)
    assert "Download report (HTML)" in labels and "Download figures (PNG)" in labels
    # the confusion matrix, precision-recall, ROC and the leaderboard each give their numbers
    csv = [b.proto.id for b in at.get("download_button") if b.label == "Download data (CSV)"]
    for chart_key in ("train.confusion.", "train.pr.", "train.roc.", "train.board.accuracy."):
        assert any(chart_key in ident and ident.endswith(".csv") for ident in csv), chart_key
    names = [
        json.loads(e.proto.config)["toImageButtonOptions"]["filename"]
        for e in at.get("plotly_chart")
    ]
    assert "genre-lab-train-confusion" in names and "genre-lab-train-leaderboard-accuracy" in names
    page = report_html([run_id])  # what the button downloads
    assert "Report: knn" in page and "Per-genre scores" in page
