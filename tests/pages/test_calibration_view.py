"""A trained model's calibration on the Train page: reliability diagram and abstention curve."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from conftest import app_with_upload, make_tracks, trained_train_page, wait_job


def test_a_trained_model_shows_its_reliability_and_its_abstention_curve():
    at = trained_train_page()
    titles = [
        json.loads(e.proto.spec)["layout"].get("title", {}).get("text", "")
        for e in at.get("plotly_chart")
    ]
    ev = at.session_state["train.runs"][-1]["entry"].evaluation
    assert f"Reliability: expected calibration error {ev.calibration.ece:.1%}" in titles
    assert "Answer only when sure" in titles
    captions = " ".join(c.value for c in at.caption)
    assert "surest of, it is right" in captions
    assert ev.metrics["ece"] == ev.calibration.ece


TITLE = "Answer only when sure"


def test_a_bayesian_fit_ranks_its_abstention_by_predictive_entropy_too():
    at = app_with_upload(make_tracks(300, seed=5), "bayes")
    for name, value in {"n_train": 200, "n_test": 90, "learning_rate": 0.05}.items():
        at.number_input(key=f"bayes.{name}").set_value(value)
    at.button(key="bayes.start").click().run()
    wait_job(at, "bayes.job")
    assert not at.exception
    specs = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    curve = next(s for s in specs if s["layout"].get("title", {}).get("text") == TITLE)
    names = [trace["name"] for trace in curve["data"]]
    assert names == ["ranked by confidence (top probability)", "ranked by predictive entropy"]
    result = at.session_state["bayes.outcome"].result
    ev, entropy = result.evaluation, result.predictions.entropy
    assert len(entropy) == len(ev.predictions) == 90
    assert "entropy at most" in curve["data"][1]["hovertemplate"]
    # the entropy curve starts at its 10 least uncertain tracks: the 10th lowest entropy
    thresholds = curve["data"][1]["customdata"]
    if isinstance(thresholds, dict):  # a typed array
        thresholds = np.frombuffer(base64.b64decode(thresholds["bdata"]), thresholds["dtype"])
    assert thresholds[0] == pytest.approx(np.sort(entropy)[9])
    captions = " ".join(c.value for c in at.caption)
    assert "Ranked by predictive entropy instead" in captions
