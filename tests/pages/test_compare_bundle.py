"""Issue 16, part 1 on the pages: a bundle imported on Compare beside the local runs (a broken
or hostile one refused with a message), and a stored run downloaded as a bundle from Compare and
from the Train page."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, app_with_upload, make_tracks, tracks_csv, wait_job
from genre_core import experiments
from genre_core.runs import history
from genre_core.runs.bundle import build_bundle
from genre_core.runs.bundle_import import read_bundle


@pytest.fixture
def net_run(store, tmp_path) -> str:
    """A 2-epoch network on a synthetic CSV given by path, logged with its recipe."""
    path = tracks_csv(tmp_path / "tracks.csv", 150, seed=2)
    recipe = experiments.load_recipe(
        {"kind": "net", "data": {"source": str(path)}, "params": {"max_epochs": 2}}
    )
    (run_id,) = experiments.run(recipe).run_ids
    return run_id


def _compare_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("../pages/compare.py").run()
    assert not at.exception
    return at


def _history_table(at: AppTest):
    return next(d.value for d in at.dataframe if "split" in d.value.columns)


def test_an_imported_bundle_shows_beside_the_local_runs(net_run):
    raw = build_bundle(net_run).zip_bytes()
    at = _compare_page()
    at.file_uploader(key="compare.bundle.upload").set_value(("run.zip", raw, "application/zip"))
    at.run()
    assert not at.exception and not at.error
    assert "tagged imported" in at.success[0].value
    table = _history_table(at)
    assert len(table) == 2 and sorted(table["tags"]) == ["", "imported"]
    assert table["name"].nunique() == 1  # the same run, twice: the local one and the imported
    at.run()  # the file stays in the uploader: it is not imported a second time
    assert len(history.list_runs()) == 2


def test_a_hostile_bundle_is_refused_on_the_page(net_run):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../<b>evil</b>.py", b"import os")
    at = _compare_page()
    at.file_uploader(key="compare.bundle.upload").set_value(
        ("evil.zip", buffer.getvalue(), "application/zip")
    )
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert "\\<b\\>evil" in message  # escaped: shown as typed, never drawn as HTML
    shown = re.sub(r"\\(.)", r"\1", message)
    assert "cannot be imported" in shown and "'..' part" in shown
    assert len(history.list_runs()) == 1


def test_a_stored_run_is_downloaded_as_a_bundle_from_compare(net_run):
    at = _compare_page()
    at.selectbox(key="compare.manage.run").set_value(net_run).run()
    at.button(key="compare.manage.bundle").click().run()
    assert not at.exception and not at.error
    run_id, raw = at.session_state["compare.manage.bundle.ready"]
    assert run_id == net_run
    bundle = read_bundle(raw)
    assert bundle.manifest["run"]["run_id"] == net_run
    assert "model/network.safetensors" in bundle.files


def test_the_train_page_bundles_a_run_trained_on_an_upload(store, tmp_path, monkeypatch):
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path / "cache"))  # the upload is kept there
    at = app_with_upload(make_tracks(150, seed=5), "train")
    at.button(key="train.start").click().run()
    wait_job(at, "train.job", timeout=90)
    at.button(key="train.bundle").click().run()
    assert not at.exception and not at.error
    run_id, raw = at.session_state["train.bundle.ready"]
    bundle = read_bundle(raw)
    upload = at.session_state["data.upload"]
    assert bundle.manifest["data"] == {
        "name": "mine.csv",
        "sha256": upload["sha"],
        "dataset": "mine.csv",
        "rows": 150,
    }
    assert bundle.manifest["run"]["run_id"] == run_id
    assert "model/model.skops" in bundle.files


def test_the_networks_and_bayesian_pages_bundle_their_runs(store, tmp_path, monkeypatch):
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path / "cache"))
    at = app_with_upload(make_tracks(150, seed=5), "networks")
    at.number_input(key="nets.max_epochs").set_value(2)
    at.button(key="nets.start").click().run()
    wait_job(at, "nets.job")
    at.button(key="nets.bundle").click().run()
    assert not at.exception and not at.error
    _, raw = at.session_state["nets.bundle.ready"]
    assert "model/network.safetensors" in read_bundle(raw).files
    at.switch_page("../pages/bayes.py").run()
    at.selectbox(key="bayes.model").set_value("logreg")
    at.number_input(key="bayes.n_train").set_value(60)
    at.number_input(key="bayes.n_test").set_value(30)
    at.number_input(key="bayes.steps").set_value(100)
    at.button(key="bayes.start").click().run()
    wait_job(at, "bayes.job")
    at.button(key="bayes.bundle").click().run()
    assert not at.exception and not at.error
    _, raw = at.session_state["bayes.bundle.ready"]
    bundle = read_bundle(raw)
    assert bundle.manifest["run"]["recipe"] == "stored"
    assert "model/posterior.safetensors" in bundle.files
