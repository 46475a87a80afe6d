"""The run history: what a run keeps, reading it back (also from another process), reloading
models without unpickling, and a locked or corrupted store."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np
import pytest

from conftest import ROOT, make_tracks, run_cli, tracks_csv
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.experiments.recipe import DataSpec, Recipe
from genre_core.runs import history
from genre_core.runs import store as store_module
from genre_core.runs.progress import TaskState

FEATURES = ("danceability", "energy", "tempo")


@pytest.fixture(scope="module")
def tracks():
    return make_tracks(150, seed=3)


@pytest.fixture(scope="module")
def classical(tracks):
    return train_model(
        tracks, "genre", TrainConfig("logreg", features=FEATURES), TaskState(n_boot=20)
    )


@pytest.fixture(scope="module")
def network(tracks):
    from genre_core.experiments.net import NetConfig, train_network
    from genre_core.models.networks import configure_threads

    configure_threads(1)
    config = NetConfig(
        {"hidden": (8,), "max_epochs": 4, "lr": 1e-2},
        features=FEATURES,
        split=SplitSpec(train=0.6, validation=0.2, test=0.2, seed=1),
    )
    return train_network(tracks, "genre", config, TaskState(n_boot=20))


def test_a_classical_run_keeps_params_metrics_confusion_predictions_and_model(
    store, classical, tracks
):
    run_id = history.log_result(classical, source="test", dataset="synthetic")
    assert (store / "mlflow.db").is_file()
    runs = history.list_runs()
    assert runs["run_id"].tolist() == [run_id]
    row = runs.iloc[0]
    assert (row["source"], row["dataset"], row["kind"], row["model"]) == (
        "test",
        "synthetic",
        "classical",
        "logreg",
    )
    assert row["accuracy"] == pytest.approx(classical.evaluation.metrics["accuracy"])
    assert row["n_test"] == classical.n_test

    details = history.load_run(run_id)
    assert details.params["model"] == "logreg"
    assert details.params["params.C"] == str(classical.params["C"])
    assert details.params["split.test"] == "0.3"
    assert details.metrics["f1_macro"] == pytest.approx(classical.evaluation.metrics["f1_macro"])
    assert details.classes == classical.classes
    np.testing.assert_array_equal(details.confusion, classical.evaluation.confusion)
    held = classical.held_out
    assert details.predictions["row"].tolist() == list(held.rows)
    assert details.predictions["true"].tolist() == list(held.true)
    assert details.predictions["pred"].tolist() == list(held.pred)
    assert (held.true == tracks["genre"].to_numpy()[held.rows]).all()  # rows are the frame's
    assert details.test_hash == history.test_hash(held.rows, held.true, "synthetic")
    assert details.curves.empty
    assert details.recipe is None and "recipe_kind" not in details.tags

    # the model file is skops (a zip of JSON and arrays), not a pickle, and predicts the same
    artifacts = next(store.glob("artifacts/*/artifacts/model/model.skops"))
    assert zipfile.is_zipfile(artifacts)
    assert b"pickle" not in artifacts.read_bytes()[:2]
    reloaded = history.load_model(run_id)
    X = tracks[list(FEATURES)].to_numpy()
    assert (reloaded.predict(X) == classical.pipeline.predict(X)).all()


def test_a_network_run_keeps_its_epochs_and_its_safetensors(store, network, tracks):
    run_id = history.log_result(network, source="networks", dataset="synthetic")
    details = history.load_run(run_id)
    assert details.tags["kind"] == "network"
    assert details.tags["model"] == "mlp 8"
    assert details.curves["epoch"].tolist() == [h["epoch"] for h in network.history]
    assert details.curves["valid_acc"].tolist() == pytest.approx(
        [h["valid_acc"] for h in network.history]
    )
    assert details.metrics["epochs"] == len(network.history)
    assert list(store.glob("artifacts/*/artifacts/model/network.safetensors"))
    reloaded = history.load_model(run_id)
    X = tracks[list(FEATURES)].to_numpy()
    assert (reloaded.predict(X) == network.pipeline.predict(X)).all()


def test_two_runs_on_the_same_rows_share_the_test_hash(store, tracks, classical):
    knn = train_model(tracks, "genre", TrainConfig("knn", features=FEATURES), TaskState(n_boot=20))
    other = train_model(
        tracks,
        "genre",
        TrainConfig("knn", features=FEATURES, split=SplitSpec(seed=7)),
        TaskState(n_boot=20),
    )
    ids = [history.log_result(r, source="t", dataset="d") for r in (classical, knn, other)]
    hashes = history.list_runs().set_index("run_id")["test_hash"]
    assert hashes[ids[0]] == hashes[ids[1]] != hashes[ids[2]]


@pytest.mark.parametrize("name", ["logreg", "svm", "knn", "rf", "xgboost", "hgb"])
def test_every_classical_model_is_stored_with_skops_and_reloads(store, tracks, name):
    small = {"rf": {"n_estimators": 10}, "xgboost": {"n_estimators": 20}, "hgb": {"max_iter": 20}}
    config = TrainConfig(name, small.get(name, {}), features=FEATURES)
    result = train_model(tracks, "genre", config, TaskState(n_boot=20))
    run_id = history.log_result(result, source="test")
    X = tracks[list(FEATURES)].to_numpy()
    loaded = history.load_model(run_id)
    assert (loaded.predict(X) == result.pipeline.predict(X)).all()
    assert np.allclose(loaded.predict_proba(X), result.pipeline.predict_proba(X))


@dataclass(frozen=True)
class TinySpec(Recipe):
    """A recipe of the tests' own (the history stores any recipe the same way)."""

    kind: ClassVar[str] = "tiny"
    data: DataSpec = DataSpec(source="synthetic.csv")
    split: SplitSpec = SplitSpec(test=0.3, train=0.7, seed=4)
    params: dict = field(default_factory=lambda: {"C": 0.5})


def test_a_run_logged_with_its_recipe_reads_it_back(store, classical):
    recipe = TinySpec()
    run_id = history.log_result(classical, source="recipe", dataset="d", recipe=recipe)
    details = history.load_run(run_id)
    assert details.tags["recipe_kind"] == "tiny"
    assert details.recipe == json.loads(recipe.to_json())
    assert TinySpec.from_dict(details.recipe) == recipe
    assert list(store.glob("artifacts/*/artifacts/recipe.json"))
    event = history.log_event(classical, source="t", recipe={"kind": "tiny", "seed": 3})
    assert history.load_run(event["run_id"]).recipe == {"kind": "tiny", "seed": 3}


class OwnRecord:
    """A result that says what to store (and also looks like a TrainResult)."""

    def __init__(self, inner):
        self.inner = inner
        self.pipeline, self.config = inner.pipeline, inner.config

    def record(self):
        return replace(self.inner.record(), model="own-model", title="own title")


def test_record_of_asks_the_result_first_and_refuses_what_is_not_a_result(store, classical):
    assert history.record_of(OwnRecord(classical)).model == "own-model"
    run_id = history.log_result(OwnRecord(classical), source="t")
    details = history.load_run(run_id)
    assert details.tags["model"] == "own-model" and details.name.startswith("own title")
    assert history.record_of(classical).model == "logreg"
    with pytest.raises(DataError, match="cannot log a dict"):
        history.record_of({"accuracy": 0.5})


class Untrusted:
    """A type no stored model may contain."""

    def __init__(self):
        self.value = 1


def test_loading_refuses_types_outside_the_trusted_list():
    import skops.io as sio

    raw = sio.dumps({"thing": Untrusted()})
    with pytest.raises(DataError, match="not trusted.*Untrusted"):
        history.load_skops(raw)
    with pytest.raises(DataError, match="not a readable skops file"):
        history.load_skops(b"\x80\x04not a zip")


def test_a_bayesian_fit_is_logged_with_its_posterior(store, tracks, tmp_path):
    from genre_core import experiments
    from genre_core.experiments.bayes import BayesSpec
    from genre_core.experiments.recipe import DataSpec

    path = tmp_path / "tracks.csv"
    tracks.to_csv(path, index=False)
    spec = BayesSpec(
        data=DataSpec(str(path), label="genre", features=FEATURES),
        n_train=60,
        n_test=30,
        params={"model": "hier-t", "steps": 60, "draws": 20},
        log=False,
    )
    found = experiments.run(spec).result
    run_id = history.log_result(found, source="bayes", dataset="synthetic")
    details = history.load_run(run_id)
    assert details.tags["kind"] == "bayes"
    assert details.confusion.sum() == 30
    assert len(details.predictions) == 30
    assert "elbo" in details.curves.columns
    assert list(store.glob("artifacts/*/artifacts/model/posterior.safetensors"))


def test_runs_survive_a_restart(store):
    """One process trains and logs, then ends; this one reads the run."""
    env = {**os.environ, "GENRE_RUNS_DIR": str(store)}
    env.pop("MLFLOW_TRACKING_URI", None)
    writer = f"""
import sys
sys.path.insert(0, {str(ROOT / "tests")!r})
from conftest import make_tracks
from genre_core.runs.history import log_result
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.runs.progress import TaskState
result = train_model(make_tracks(90), "genre", TrainConfig("logreg", features={FEATURES!r}),
                     TaskState(n_boot=10))
print(log_result(result, source="writer", dataset="synthetic"))
"""
    done = subprocess.run(
        [sys.executable, "-c", writer], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    run_id = done.stdout.strip().splitlines()[-1]
    assert history.list_runs()["run_id"].tolist() == [run_id]
    details = history.load_run(run_id)
    assert details.tags["source"] == "writer"
    assert len(details.predictions) == 27  # 30% of 90 rows


def test_a_corrupted_store_gets_a_clear_message_and_is_left_alone(store, classical):
    garbage = b"this is not a database, just some bytes " * 20
    (store / "mlflow.db").write_bytes(garbage)
    with pytest.raises(history.RunStoreError, match="is not an SQLite database"):
        history.list_runs()
    event = history.log_event(classical, source="train", dataset="d")
    assert event["stage"] == "store-error"
    assert "not saved to the history" in event["message"]
    assert "mlflow.db is not an SQLite database" in event["message"]
    assert (store / "mlflow.db").read_bytes() == garbage  # nothing overwritten
    (store / "mlflow.db").rename(store / "broken.db")  # what the message advises
    assert history.log_event(classical, source="train")["stage"] == "logged"
    assert len(history.list_runs()) == 1


def test_a_truncated_database_is_reported_as_corrupted(store, classical):
    history.log_result(classical, source="t")
    path = store / "mlflow.db"
    raw = path.read_bytes()
    path.write_bytes(raw[:100] + b"\x00" * 50 + b"\xff" * (len(raw) - 150))
    with pytest.raises(history.RunStoreError, match="corrupted|not a database|malformed"):
        history.list_runs()


def test_a_locked_store_gets_a_clear_message_and_loses_no_run(store, classical):
    first = history.log_result(classical, source="t", dataset="d")
    holder = sqlite3.connect(store / "mlflow.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(history.RunStoreError, match="is locked by another program"):
            history.log_result(classical, source="t", dataset="d")
        with pytest.raises(history.RunStoreError, match="locked"):
            history.list_runs()
        event = history.log_event(classical, source="train")
        assert event["stage"] == "store-error" and "locked" in event["message"]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert history.list_runs()["run_id"].tolist() == [first]


def test_a_failure_half_way_marks_that_run_failed_and_keeps_the_others(
    store, classical, monkeypatch
):
    first = history.log_result(classical, source="t")
    client = store_module.client("logged")[0]

    def broken(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as patched:
        patched.setattr(client, "log_artifacts", broken)
        with pytest.raises(history.RunStoreError, match="could not be logged: disk full"):
            history.log_result(classical, source="t")
    assert history.list_runs()["run_id"].tolist() == [first]
    failed = client.search_runs([store_module.client("read")[1]], "attributes.status = 'FAILED'")
    assert len(failed) == 1


def test_the_cli_train_command_logs_its_run(store, tmp_path):
    path = tracks_csv(tmp_path / "tracks.csv", 120, seed=2)
    env = {**os.environ, "GENRE_RUNS_DIR": str(store)}
    done = run_cli("train", "--data", str(path), "--model", "logreg", env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "saved to the run history" in done.stderr
    runs = history.list_runs()
    assert runs["source"].tolist() == ["cli"] and runs["dataset"].tolist() == ["tracks.csv"]
    assert runs["accuracy"].iloc[0] == pytest.approx(json.loads(done.stdout)["accuracy"], abs=1e-4)


def test_reading_an_empty_history_creates_no_store(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRE_RUNS_DIR", str(tmp_path / "none"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert history.list_runs().empty
    assert not (tmp_path / "none").exists()
