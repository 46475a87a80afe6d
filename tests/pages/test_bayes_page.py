"""The Bayesian page under AppTest: a quick SVI fit in the background, then its results."""

from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import app_with_upload, make_tracks


def _bayes_page(n: int = 300) -> AppTest:
    return app_with_upload(make_tracks(n, seed=5), "bayes")


def _wait_until_idle(at: AppTest, key: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
        assert not at.exception
        job = at.session_state[key]
        if job is not None and not job.running and job.collected:
            at.run()
            return
    pytest.fail(f"{key} not finished within {timeout} s")


def _chart_titles(at: AppTest) -> list[str]:
    return [
        json.loads(e.proto.spec)["layout"].get("title", {}).get("text", "")
        for e in at.get("plotly_chart")
    ]


def test_quick_svi_fit_shows_accuracy_forest_uncertainty_and_comparison():
    at = _bayes_page()
    assert "No posterior yet" in at.info[0].value
    at.selectbox(key="bayes.model").set_value("logreg")
    at.number_input(key="bayes.n_train").set_value(200)
    at.number_input(key="bayes.n_test").set_value(90)
    at.number_input(key="bayes.learning_rate").set_value(0.05)
    at.button(key="bayes.start").click().run()
    assert not at.exception
    _wait_until_idle(at, "bayes.job")
    assert at.session_state["bayes.job"].status == "done"
    metrics = {m.label: m.value for m in at.metric}
    accuracy = float(metrics["Accuracy (posterior predictive)"].rstrip("%"))
    assert 60 < accuracy <= 100  # three well-separated synthetic genres
    titles = _chart_titles(at)
    assert any(t.startswith("SVI loss") for t in titles)
    assert any(t.startswith("Coefficients for pop") for t in titles)
    assert "Predictive entropy of each test track" in titles
    tables = [e.value for e in at.dataframe]
    uncertain = next(t for t in tables if "entropy" in t.columns and "track_name" in t.columns)
    assert len(uncertain) == 15 and uncertain["entropy"].is_monotonic_decreasing
    comparison = next(t for t in tables if "model" in t.columns)
    assert comparison["model"].str.startswith("point estimate").any()
    # another genre redraws the forest plot for it
    at.selectbox(key="bayes.forest_genre").set_value("rock").run()
    assert any(t.startswith("Coefficients for rock") for t in _chart_titles(at))


def test_ard_fit_shows_relevances():
    at = _bayes_page()
    at.selectbox(key="bayes.model").set_value("ard")
    at.number_input(key="bayes.n_train").set_value(200)
    at.number_input(key="bayes.n_test").set_value(90)
    at.number_input(key="bayes.learning_rate").set_value(0.05)
    at.button(key="bayes.start").click().run()
    _wait_until_idle(at, "bayes.job")
    assert any(t.startswith("ARD feature relevance") for t in _chart_titles(at))


def test_too_many_rows_gets_a_specific_message():
    at = _bayes_page(120)
    at.number_input(key="bayes.n_train").set_value(1000)
    at.button(key="bayes.start").click().run()
    assert not at.exception
    assert "the table has 120" in at.error[0].value
    assert at.session_state["bayes.job"] is None


def test_stop_ends_a_long_nuts_run():
    at = _bayes_page()
    at.radio(key="bayes.inference").set_value("mcmc").run()
    at.number_input(key="bayes.n_train").set_value(200)
    at.number_input(key="bayes.n_test").set_value(90)
    at.number_input(key="bayes.warmup").set_value(5000)
    at.button(key="bayes.start").click().run()
    job = at.session_state["bayes.job"]
    assert job.running
    at.button(key="bayes.stop").click().run()
    _wait_until_idle(at, "bayes.job")
    assert job.status == "stopped"
    assert at.session_state["bayes.result"] is None
    assert "was stopped" in at.caption[-1].value or any(
        "was stopped" in c.value for c in at.caption
    )
