"""A trained model's calibration on the Train page: reliability diagram and abstention curve."""

from __future__ import annotations

import json

from conftest import app_with_upload, make_tracks, poll_page


def test_a_trained_model_shows_its_reliability_and_its_abstention_curve():
    at = app_with_upload(make_tracks(300, seed=5), "train")
    at.multiselect(key="train.models").set_value(["logreg"])
    at.run()
    at.button(key="train.start").click().run()
    poll_page(at, lambda: len(at.session_state["train.runs"]) >= 1, failure="no run finished")
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
