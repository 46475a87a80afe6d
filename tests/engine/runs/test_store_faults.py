"""The run store under stress: many processes creating it at once, a half-migrated file, a full
disk, a copied store, and MLflow's own log lines kept off the terminal."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import ROOT, tracks_csv
from genre_core.cli.main import main
from genre_core.runs import history
from genre_core.runs import store as store_module
from genre_core.runs.records import Record


def tiny_record(model: str = "logreg") -> Record:
    """A two-genre run of four test rows: enough for the history to store."""
    return Record(
        kind="classical",
        model=model,
        params={"C": 1.0},
        metrics={"accuracy": 0.5},
        curves=[],
        classes=("pop", "rock"),
        confusion=np.array([[1, 1], [1, 1]]),
        rows=np.arange(4),
        true=np.array(["pop", "rock", "pop", "rock"]),
        pred=np.array(["pop", "pop", "rock", "rock"]),
        model_files={},
    )


LOGGER = f"""
import os, sys, time
for folder in ({str(ROOT)!r}, {str(ROOT / "tests")!r}, {str(ROOT / "tests/engine/runs")!r}):
    sys.path.insert(0, folder)
from test_store_faults import tiny_record
from genre_core.runs import history
import mlflow.tracking  # the slow imports first, so the processes reach the store together
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.01)
print(history.log_result(tiny_record(), source="parallel"))
"""


def test_parallel_processes_logging_into_a_fresh_store_all_land(tmp_path):
    runs = tmp_path / "runs"
    env = {**os.environ, "GENRE_RUNS_DIR": str(runs)}
    env.pop("MLFLOW_TRACKING_URI", None)
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", LOGGER, str(go)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(5)
    ]
    time.sleep(3)
    go.touch()
    outputs = [worker.communicate(timeout=240) for worker in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-3000:]
        assert "INFO" not in err and "Creating initial" not in err, err[-2000:]
    ids = {out.strip().splitlines()[-1] for out, _ in outputs}
    connection = sqlite3.connect(runs / "mlflow.db")
    try:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master")]
        stored = {r[0] for r in connection.execute("SELECT run_uuid FROM runs")}
    finally:
        connection.close()
    assert not [n for n in names if n.startswith("_alembic_tmp")], names
    assert len(ids) == 5 and ids == stored


def test_a_half_migrated_store_is_named_and_left_alone(store):
    connection = sqlite3.connect(store / "mlflow.db")
    connection.execute("CREATE TABLE _alembic_tmp_latest_metrics (key TEXT)")
    connection.commit()
    connection.close()
    before = (store / "mlflow.db").read_bytes()
    with pytest.raises(history.RunStoreError, match="half-migrated.*Move mlflow.db aside"):
        history.log_result(tiny_record(), source="t")
    assert (store / "mlflow.db").read_bytes() == before


def full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_is_named_and_the_half_written_run_marked_failed(store, monkeypatch):
    first = history.log_result(tiny_record(), source="t")
    client, experiment, _ = store_module.client("logged")
    with monkeypatch.context() as patched:
        patched.setattr(client, "log_artifacts", full_disk)
        with pytest.raises(history.RunStoreError, match="the disk holding the run store .* full"):
            history.log_result(tiny_record(), source="t")
    assert history.list_runs()["run_id"].tolist() == [first]
    assert not client.search_runs([experiment], "attributes.status = 'RUNNING'")
    assert len(client.search_runs([experiment], "attributes.status = 'FAILED'")) == 1


def test_a_run_that_cannot_even_be_marked_failed_is_deleted(store, monkeypatch):
    client, experiment, _ = store_module.client("logged")
    with monkeypatch.context() as patched:
        patched.setattr(client, "log_batch", full_disk)
        patched.setattr(client, "set_terminated", full_disk)
        with pytest.raises(history.RunStoreError, match="is full"):
            history.log_result(tiny_record(), source="t")
    from mlflow.entities import ViewType

    left = client.search_runs([experiment], "", run_view_type=ViewType.ACTIVE_ONLY)
    assert not left
    assert len(client.search_runs([experiment], "", run_view_type=ViewType.DELETED_ONLY)) == 1


def test_the_cli_says_the_disk_is_full_in_one_line_and_exits_non_zero(
    store, tmp_path, monkeypatch, capsys
):
    from mlflow.tracking import MlflowClient

    path = tracks_csv(tmp_path / "tracks.csv", 90, seed=2)
    with monkeypatch.context() as patched:
        patched.setattr(MlflowClient, "log_artifacts", full_disk)
        code = main(["train", "--data", str(path), "--model", "logreg"])
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: The run was not saved"), err
    assert "is full" in lines[0] and "Traceback" not in err
    client, experiment, _ = store_module.client("read")
    assert not client.search_runs([experiment], "attributes.status = 'RUNNING'")


def test_a_copied_store_writes_its_artifacts_into_its_own_folder(store, tmp_path, monkeypatch):
    history.log_result(tiny_record(), source="original")
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copyfile(store / "mlflow.db", copy / "mlflow.db")
    monkeypatch.setenv("GENRE_RUNS_DIR", str(copy))
    before = sorted(p.name for p in (store / "artifacts").iterdir())
    run_id = history.log_result(tiny_record(), source="copy")
    assert sorted(p.name for p in (store / "artifacts").iterdir()) == before
    assert (copy / "artifacts" / run_id / "artifacts" / "predictions.csv").is_file()
    assert history.load_run(run_id).predictions["true"].tolist() == ["pop", "rock", "pop", "rock"]
