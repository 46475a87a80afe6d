"""The Search page under AppTest: a study runs in the background, trials stream in, the figures
and importances appear, Stop ends it, and the best configuration is trained into the history."""

from __future__ import annotations

import re

import pytest

from conftest import app_with_upload, chart_titles, make_tracks, poll_page, recipe_texts


def allow_storages(monkeypatch, folder, *urls: str) -> None:
    """The server's settings with ``[search] storages = urls`` (the rest as the lab's own)."""
    from genre_core import settings

    text = settings.LAB_SETTINGS.read_text()
    listed = "storages = [" + ", ".join(f'"{u}"' for u in urls) + "]"
    if "[search]" in text:
        text = re.sub(r"(?m)^storages = .*$", listed, text)
    else:
        text += f"\n[search]\n{listed}\n"
    path = folder / "genre_lab.toml"
    path.write_text(text)
    monkeypatch.setattr(settings, "LAB_SETTINGS", path)


@pytest.fixture
def search_page(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    studies = f"sqlite:///{tmp_path / 'studies.db'}"
    allow_storages(monkeypatch, tmp_path, studies)
    at = app_with_upload(make_tracks(150, seed=6), "search")
    assert at.selectbox(key="search.storage").options == [studies]
    assert at.selectbox(key="search.storage").value == studies
    assert not [w for w in at.text_input if w.key == "search.storage"]  # no URL typed in
    at.text_input(key="search.study").set_value("page-study")
    at.run()
    assert not at.exception
    return at


def test_the_storage_is_chosen_among_those_the_settings_allow(tmp_path, monkeypatch):
    from genre_core.runs.studies import default_storage

    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path))  # the lab's own study file, here
    other = "postgresql://lab:secret@db.example/studies"
    allow_storages(monkeypatch, tmp_path, "default", other)
    at = app_with_upload(make_tracks(60, seed=6), "search")
    box = at.selectbox(key="search.storage")
    assert box.options == [default_storage(), "postgresql://lab:***@db.example/studies"]
    assert box.value == default_storage()
    assert "secret" not in " ".join(recipe_texts(at))
    assert "30 s" in " ".join(c.value for c in at.caption)  # the heartbeat window, stated


def test_a_study_streams_its_trials_then_shows_figures_and_trains_the_best(search_page):
    at = search_page
    assert "No study yet" in " ".join(c.value for c in at.caption)
    at.number_input(key="search.n_trials").set_value(6)
    at.number_input(key="search.folds").set_value(2)
    at.text_input(key="search.rows").set_value("none")
    at.selectbox(key="search.objective").set_value("genre_factor").run()
    at.button(key="search.start").click().run()
    assert not at.exception and not at.error
    job = at.session_state["search.job"]
    poll_page(at, lambda: not job.running)
    at.run()
    assert job.status == "done", job.error
    assert len([e for e in job.events if e.get("stage") == "trial"]) == 6
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Completed"]) + int(metrics["Pruned"]) == 6  # pruned after a fold
    assert int(metrics["Completed"]) >= 2
    titles = chart_titles(at)
    assert "Trials and the best so far" in titles
    assert any(
        t.startswith("Training accuracy against Δ accuracy (w1 = 0.5, w2 = 1)") for t in titles
    )
    assert "Hyperparameters of the completed trials" in titles
    importance = "Which hyperparameters matter (fANOVA importance)" in titles
    assert importance or any("scored the same" in i.value for i in at.info)
    table = at.dataframe[-1].value
    assert len(table) == 6 and {"C", "value", "acc_train", "state"} <= set(table.columns)
    at.button(key="search.train_best").click().run()
    train_job = at.session_state["search.train.job"]
    poll_page(at, lambda: not train_job.running)
    at.run()
    assert train_job.status == "done", train_job.error
    logged = [e for e in train_job.events if e.get("stage") == "logged"]
    assert logged, train_job.events
    assert any("saved to the run history" in s.value for s in at.success)


def _shown_recipe(at):
    from genre_core import experiments

    (text,) = [t for t in recipe_texts(at) if '"kind": "search"' in t]
    return experiments.load_recipe(text)


def test_the_recipe_the_page_shows_runs_unchanged_to_the_same_results(search_page):
    from dataclasses import replace

    from genre_core import experiments

    at = search_page
    at.number_input(key="search.n_trials").set_value(4)
    at.number_input(key="search.folds").set_value(2)
    at.text_input(key="search.rows").set_value("none")
    at.run()
    recipe = _shown_recipe(at)
    assert recipe.study == "page-study" and recipe.n_trials == 4 and recipe.rows is None
    at.button(key="search.start").click().run()
    job = at.session_state["search.job"]
    poll_page(at, lambda: not job.running)
    at.run()
    assert job.status == "done", job.error
    shown = next(c.value for c in at.caption if c.value.startswith("Trial "))
    page_best = float(re.search(r"^Trial \d+: (\d+\\?\.\d+)", shown).group(1).replace("\\", ""))
    # The recipe run elsewhere (a new study of the same recipe): the same best value.
    copy = experiments.run(replace(recipe, study="cli-copy"))
    assert round(copy.summary["best_value"], 4) == page_best
    at.button(key="search.train_best").click().run()
    train_job = at.session_state["search.train.job"]
    poll_page(at, lambda: not train_job.running)
    at.run()
    trained = at.session_state["search.train.outcome"]
    shown = next(s.value for s in at.success if s.value.startswith("Test accuracy"))
    again = experiments.run(replace(experiments.load_recipe(trained.recipe.to_json()), log=False))
    accuracy = again.summary["runs"][0]["accuracy"]
    assert accuracy == trained.summary["runs"][0]["accuracy"]
    assert f"Test accuracy {accuracy:.1%}" in shown


def test_stop_ends_a_network_search_and_keeps_the_finished_trials(search_page):
    at = search_page
    at.selectbox(key="search.model").set_value("net").run()
    at.number_input(key="search.n_trials").set_value(50)
    at.number_input(key="search.folds").set_value(1)
    at.text_input(key="search.rows").set_value("none")
    at.button(key="search.start").click().run()
    job = at.session_state["search.job"]
    # wait on what the page drew, not on the job's events: the engine's watcher may add a
    # trial between the page's last run and the check
    poll_page(at, lambda: "Trials and the best so far" in chart_titles(at))
    assert any(e.get("stage") == "trial" for e in job.events)
    assert "of 50 trials" in at.get("progress")[0].proto.text
    assert "Trials and the best so far" in chart_titles(at)
    at.button(key="search.stop").click().run()
    poll_page(at, lambda: not job.running, timeout=60)
    at.run()
    assert job.status == "stopped"
    assert any("Stopped" in i.value for i in at.info)
    completed = int({m.label: m.value for m in at.metric}["Completed"])
    assert 1 <= completed < 50
