"""The dashboard's side of the job engine: settings, one engine per server, a session's own
jobs, and jobs found again by their id (a reload, a second tab)."""

from __future__ import annotations

from conftest import make_tracks
from dashboard import jobs
from genre_core.data.splits import SplitSpec
from genre_core.experiments.recipe import DataSpec
from genre_core.experiments.train import ModelChoice, TrainSpec
from genre_core.settings import lab_settings


def test_the_settings_come_from_genre_lab_toml_and_the_environment(monkeypatch, tmp_path):
    for name in ("GENRE_WORKERS", "GENRE_SCHEDULER", "GENRE_DEVICE"):
        monkeypatch.delenv(name, raising=False)
    shipped = lab_settings()
    assert shipped["scheduler"] == "" and shipped["per_session"] == 1
    assert shipped["queue_per_session"] == 3 and shipped["workers"] >= 1
    assert shipped["nice"] == 10  # workers yield to the web server
    path = tmp_path / "genre_lab.toml"
    path.write_text('[jobs]\nworkers = 5\nscheduler = "tcp://10.0.0.5:8786"\nper_session = 2\n')
    assert lab_settings(path)["workers"] == 5 and lab_settings(path)["per_session"] == 2
    path.write_text("[jobs]\nnice = 0\n")
    assert lab_settings(path)["nice"] == 0
    path.write_text("[jobs]\nnice = 40\n")
    assert lab_settings(path)["nice"] == 19  # the most Unix allows
    path.write_text('[jobs]\nworkers = 5\nscheduler = "tcp://10.0.0.5:8786"\nper_session = 2\n')
    monkeypatch.setenv("GENRE_SCHEDULER", "tcp://127.0.0.1:9999")
    monkeypatch.setenv("GENRE_WORKERS", "3")
    assert lab_settings(path)["scheduler"] == "tcp://127.0.0.1:9999"
    assert lab_settings(path)["workers"] == 3
    path.write_text("not toml [")
    assert lab_settings(path)["per_session"] == 1  # a broken file: the defaults


def test_a_job_is_found_again_by_its_id_and_reads_as_the_page_expects(tmp_path):
    path = tmp_path / "tracks.csv"
    make_tracks(120).to_csv(path, index=False)
    recipe = TrainSpec(
        DataSpec(str(path), label="genre", features=("danceability", "energy", "tempo")),
        SplitSpec.of(test=0.3),
        (ModelChoice("logreg"),),
        log=False,
    )
    engine = jobs.engine()
    assert jobs.engine() is engine  # one engine per server
    job = jobs.JobView(engine.submit(recipe, "session-a"))
    engine.wait(job.job, timeout=300)
    again = jobs.find(job.id)
    assert again is not None and again.job is job.job
    assert again.status == "done" and not again.running and again.collected
    assert again.result.summary["runs"][0]["accuracy"] > 0
    assert all(not e["stage"].startswith("_") for e in again.events)  # engine markers hidden
    assert jobs.find("not-a-job-id") is None
