"""The Bayesian page under AppTest: a quick SVI fit in the background, then its results."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import app_with_upload, chart_titles, make_tracks, recipe_texts, wait_job

QUICK = {"n_train": 200, "n_test": 90, "learning_rate": 0.05}  # an SVI fit of seconds


def _bayes_page(n: int = 300) -> AppTest:
    return app_with_upload(make_tracks(n, seed=5), "bayes")


def _start(at: AppTest, model: str | None = None, **numbers) -> None:
    """Choose ``model``, set the number inputs named (``n_train=200``: "bayes.n_train") and
    press Start."""
    if model:
        at.selectbox(key="bayes.model").set_value(model)
    for name, value in numbers.items():
        at.number_input(key=f"bayes.{name}").set_value(value)
    at.button(key="bayes.start").click().run()


def test_quick_svi_fit_shows_accuracy_forest_uncertainty_and_comparison():
    at = _bayes_page()
    assert "No posterior yet" in at.info[0].value
    _start(at, "logreg", **QUICK)
    assert not at.exception
    wait_job(at, "bayes.job")
    assert at.session_state["bayes.job"].status == "done"
    metrics = {m.label: m.value for m in at.metric}
    accuracy = float(metrics["Accuracy (posterior predictive)"].rstrip("%"))
    assert 60 < accuracy <= 100  # three well-separated synthetic genres
    titles = chart_titles(at)
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
    assert any(t.startswith("Coefficients for rock") for t in chart_titles(at))


def test_ard_fit_shows_relevances():
    at = _bayes_page()
    _start(at, "ard", **QUICK)
    wait_job(at, "bayes.job")
    assert any(t.startswith("ARD feature relevance") for t in chart_titles(at))


def test_too_many_rows_gets_a_specific_message():
    at = _bayes_page(120)
    _start(at, n_train=1000)
    assert not at.exception
    assert "the table has 120" in at.error[0].value
    assert at.session_state["bayes.job"] is None


def test_stop_ends_a_long_nuts_run():
    at = _bayes_page()
    at.selectbox(key="bayes.inference").set_value("mcmc").run()
    _start(at, n_train=200, n_test=90, warmup=5000)
    job = at.session_state["bayes.job"]
    assert job.running
    at.button(key="bayes.stop").click().run()
    wait_job(at, "bayes.job")
    assert job.status == "stopped"
    assert at.session_state["bayes.outcome"] is None
    assert any(i.value.startswith("Stopped after") for i in at.info)


def test_the_recipe_shown_runs_unchanged_to_the_pages_accuracy():
    from genre_core import experiments

    at = _bayes_page()
    _start(at, "logreg", n_train=150, n_test=90, steps=150, learning_rate=0.05, seed=2)
    wait_job(at, "bayes.job")
    shown = next(t for t in recipe_texts(at) if '"kind": "bayes"' in t)
    recipe = experiments.load_recipe(shown)
    assert recipe.params["steps"] == 150 and recipe.seed == 2 and recipe.n_test == 90
    assert recipe == at.session_state["bayes.outcome"].recipe
    page = {m.label: m.value for m in at.metric}["Accuracy (posterior predictive)"]
    again = experiments.run(recipe).summary["runs"][0]["accuracy"]
    assert f"{again:.1%}" == page


def test_the_recipe_follows_the_form_and_a_grouped_split():
    from genre_core import experiments

    at = _bayes_page()
    shown = [t for t in recipe_texts(at) if '"kind": "bayes"' in t]
    # where a track id repeats, the rows come from a split grouped by it (issue 13.2)
    assert experiments.load_recipe(shown[0]).split.group_column == "track_id"
    at.selectbox(key="bayes.rows_from").set_value("").run()
    shown = [t for t in recipe_texts(at) if '"kind": "bayes"' in t]
    assert experiments.load_recipe(shown[0]).split is None  # the report's protocol
    at.selectbox(key="bayes.model").set_value("bnn").run()
    at.number_input(key="bayes.hidden").set_value(8)
    at.selectbox(key="bayes.rows_from").set_value("track_artist").run()
    recipe = experiments.load_recipe(next(t for t in recipe_texts(at) if '"kind"' in t))
    assert recipe.params["model"] == "bnn" and recipe.params["hidden"] == 8
    assert recipe.split.method == "group" and recipe.split.group_column == "track_artist"
    assert recipe.data.sha256 and recipe.data.features == ("danceability", "energy", "tempo")
