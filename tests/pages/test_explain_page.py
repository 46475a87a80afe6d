"""The Explain page under AppTest: a message before any model, then a trained model's track
explained (waterfall, what-if, nearest track, permutation importance). The SHAP values and the
permutation importance are computed by engine jobs on a worker: the tests wait for the job."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, app_with_upload, make_tracks, poll_page, wait_job


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
    # the page draws at once; the SHAP values come from a job (a queue place or "running")
    assert any(t.startswith("What if: nothing changed") for t in _chart_titles(at))
    job = at.session_state["explain.shap.job"]
    assert job.kind == "explain-model" and job.recipe["compute"] == "track"
    assert job.recipe["run_id"]  # a logged model of this session: named by its run id
    assert "pipeline" not in job.options["inputs"]  # ... not sent again with each track
    wait_job(at, "explain.shap.job")
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
    assert at.session_state["explain.shap.job"] is job  # a rerun never sends the job again

    at.button(key="explain.importance").click().run()
    assert not at.exception
    wait_job(at, "explain.overall.job")
    assert not at.exception
    assert any(t.startswith("Permutation importance") for t in _chart_titles(at))

    # another track: a new job; back to the first: its result kept, no job sent
    first = at.selectbox(key="explain.track").value
    at.selectbox(key="explain.track").set_value(at.selectbox(key="explain.track").options[1])
    at.run()
    second = at.session_state["explain.shap.job"]
    assert second is not job
    wait_job(at, "explain.shap.job")
    at.selectbox(key="explain.track").set_value(first).run()
    assert not at.exception
    assert at.session_state["explain.shap.job"] is second
    assert any(t.startswith("Why ") for t in _chart_titles(at))

    # a job that fails (its stored run is gone) shows its message, never a traceback
    at.session_state["train.runs"][0]["run_id"] = "gone-run"
    at.selectbox(key="explain.track").set_value(at.selectbox(key="explain.track").options[2])
    at.run()
    wait_job(at, "explain.shap.job")
    assert not at.exception
    assert at.session_state["explain.shap.job"].status == "failed"
    assert any("no run gone" in e.value for e in at.error), [e.value for e in at.error]
    assert not any("Traceback" in e.value for e in at.error)
    # another try sends the fitted model the page holds, and succeeds
    at.button(key="explain.again").click().run()
    assert not at.exception
    assert "pipeline" in at.session_state["explain.shap.job"].options["inputs"]
    wait_job(at, "explain.shap.job")
    assert not at.exception and not at.error
    assert any(t.startswith("Why ") for t in _chart_titles(at))


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
    job = at.session_state["explain.shap.job"]
    assert "pipeline" in job.options["inputs"]  # no stored run: the posterior goes with the job
    wait_job(at, "explain.shap.job")
    assert not at.exception
    assert any(t.startswith("Why ") for t in _chart_titles(at))


@pytest.mark.realdata
def test_a_reload_follows_the_explain_job_the_url_names(real_data_dir):
    """Issue 12.4 on Explain: a reloaded page (a new session with the job's id in its URL)
    selects the stored run and the track of the running or finished job and follows it,
    instead of sending a new one."""
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60).run()
    at.switch_page("../pages/train.py").run()
    at.multiselect(key="train.models").set_value(["logreg"]).run()
    at.button(key="train.start").click().run()
    poll_page(at, lambda: len(at.session_state["train.runs"]) >= 1, 180, failure="no model")
    at.switch_page("../pages/explain.py").run()
    track = 3  # the fourth test track (the page picks the first)
    at.selectbox(key="explain.track").set_value(track).run()
    job = at.session_state["explain.shap.job"]
    assert job.recipe["run_id"] and job.recipe["position"] == track

    reloaded = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    reloaded.query_params["explain.shap"] = job.id
    reloaded.run()
    reloaded.switch_page("../pages/explain.py").run()
    assert not reloaded.exception
    assert reloaded.session_state["explain.model"].startswith("stored · ")
    assert reloaded.session_state["explain.track"] == track
    assert reloaded.session_state["explain.shap.job"].job is job.job  # followed, not sent again
    wait_job(reloaded, "explain.shap.job")
    assert any(t.startswith("Why ") for t in _chart_titles(reloaded))
    assert reloaded.session_state["explain.shap.job"].job is job.job
