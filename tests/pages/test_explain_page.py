"""The Explain page under AppTest: a message before any model, then a trained model's track
explained (waterfall, what-if, nearest track, permutation importance)."""

from __future__ import annotations

import json

from conftest import app_with_upload, make_tracks, poll_page


def _chart_titles(at) -> list[str]:
    return [
        json.loads(e.proto.spec)["layout"].get("title", {}).get("text", "")
        for e in at.get("plotly_chart")
    ]


def test_explain_says_what_to_do_before_any_model():
    at = app_with_upload(make_tracks(90, seed=3), "explain")
    assert not at.exception
    assert "No trained model to explain yet" in at.info[0].value
    assert not at.get("plotly_chart")


def test_explain_a_trained_model_track_by_track():
    at = app_with_upload(make_tracks(150, seed=5), "train")
    at.multiselect(key="train.models").set_value(["logreg"])
    at.button(key="train.start").click().run()
    poll_page(at, lambda: len(at.session_state["train.runs"]) >= 1, 90, failure="no model trained")
    at.switch_page("../pages/explain.py").run()
    assert not at.exception

    titles = _chart_titles(at)
    waterfall = next(t for t in titles if t.startswith("Why "))
    assert "log-odds" in waterfall  # logistic regression: LinearExplainer on the margin
    spec = next(
        json.loads(e.proto.spec) for e in at.get("plotly_chart")
        if json.loads(e.proto.spec)["layout"]["title"]["text"].startswith("Why ")
    )  # fmt: skip
    assert spec["data"][0]["type"] == "waterfall"
    assert any(t.startswith("What if: nothing changed") for t in titles)
    whatif = next(
        json.loads(e.proto.spec)
        for e in at.get("plotly_chart")
        if json.loads(e.proto.spec)["layout"]["title"]["text"].startswith("What if")
    )
    assert "array" not in whatif["data"][0].get("error_y", {})  # a point estimate: no band
    markdown = " ".join(m.value for m in at.markdown)
    assert "True genre:" in markdown and "Predicted:" in markdown

    # the what-if follows a slider: a very high tempo makes "rap" (the fastest genre) likelier
    at.slider(key="explain.whatif.tempo").set_value(at.slider(key="explain.whatif.tempo").max)
    at.run()
    assert not at.exception
    assert any(t.startswith("What if: tempo") for t in _chart_titles(at))
    after = at.session_state["explain.whatif.tempo"]
    assert after > 130

    at.button(key="explain.importance").click().run()
    assert not at.exception
    assert any(t.startswith("Permutation importance") for t in _chart_titles(at))


def test_a_bayesian_posterior_gets_its_band_in_the_what_if():
    from genre_core.data.dataset import load_upload
    from genre_core.experiments.bayes import BayesSpec, run

    tracks = make_tracks(150, seed=5)
    at = app_with_upload(tracks, "explain")
    assert "No trained model to explain yet" in at.info[0].value
    dataset = load_upload(tracks.to_csv(index=False).encode(), "mine.csv")
    spec = BayesSpec(n_train=90, n_test=40, params={"steps": 200, "draws": 100}, log=False)
    at.session_state["bayes.outcome"] = run(spec, dataset=dataset)
    at.run()
    assert not at.exception
    assert at.selectbox(key="explain.model").value.startswith("Bayesian: ")
    spec = next(
        json.loads(e.proto.spec)
        for e in at.get("plotly_chart")
        if json.loads(e.proto.spec)["layout"]["title"]["text"].startswith("What if")
    )
    bars = spec["data"][0]
    assert "array" in bars.get("error_y", {})  # the band over the posterior draws
    assert any("posterior draws" in c.value for c in at.caption)
    assert any(t.startswith("Why ") for t in _chart_titles(at))
