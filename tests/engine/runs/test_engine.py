"""The job engine on real Dask clusters: an embedded LocalCluster of worker processes, and a
scheduler with two `dask worker` processes started here, as on several machines."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from conftest import make_tracks
from genre_core import experiments
from genre_core.cli import main
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.net import NetSpec
from genre_core.experiments.recipe import DataSpec
from genre_core.experiments.train import ModelChoice, TrainSpec
from genre_core.runs import history
from genre_core.runs.engine import FAILED_WORKER, Engine

FEATURES = ("danceability", "energy", "tempo")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("engine") / "tracks.csv"
    make_tracks(240, genres=("pop", "rock", "rap")).to_csv(path, index=False)
    return DataSpec(str(path), label="genre", features=FEATURES)


@pytest.fixture(scope="module")
def engine():
    engine = Engine(workers=2)
    yield engine
    engine.close()


def classical(table, seed=0):
    return TrainSpec(table, SplitSpec.of(test=0.3, seed=seed), (ModelChoice("rf"),), log=False)


def network(table, epochs):
    params = {"hidden": (16,), "max_epochs": epochs, "batch_size": 16}
    return NetSpec(table, SplitSpec.of(test=0.2, validation=0.2), params, log=False)


def accuracy(outcome) -> float:
    return outcome.summary["runs"][0]["accuracy"]


def started(job, timeout=120.0) -> dict:
    """The job's first progress event after it started on a worker."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        epochs = [e for e in job.events if e.get("stage") == "epoch"]
        if epochs:
            return next(e for e in job.events if e.get("stage") == "_started")
        assert job.running, job.error
        time.sleep(0.05)
    raise AssertionError(f"no epoch after {timeout} s: {job.status}")


def test_a_recipe_on_a_worker_gives_the_in_process_result(engine, table):
    here = experiments.run(classical(table))
    job = engine.wait(engine.submit(classical(table), "a"), timeout=300)
    assert job.status == "done", job.error
    assert accuracy(job.outcome) == accuracy(here)
    first = job.events[0]
    assert first["stage"] == "_started" and first["pid"] != os.getpid()
    assert first["threads"] == 1  # one thread per worker process: the job's whole budget


def test_stop_ends_a_running_job(engine, table):
    job = engine.submit(network(table, 500), "b")
    started(job)
    engine.stop(job)
    engine.wait(job, timeout=60)
    assert job.status == "stopped"
    assert len([e for e in job.events if e.get("stage") == "epoch"]) < 500


def test_a_killed_worker_fails_only_its_job_once_and_the_next_one_succeeds(engine, table):
    job = engine.submit(network(table, 500), "c")
    os.kill(started(job)["pid"], signal.SIGKILL)
    engine.wait(job, timeout=120)
    assert job.status == "failed" and job.error == FAILED_WORKER
    assert job.attempts == 1  # no retry of a job that was running
    after = engine.wait(engine.submit(classical(table), "c"), timeout=300)
    assert after.status == "done", after.error


def _worker_state() -> tuple[set[int], bool]:
    """(the nice values of this process's threads, whether torch is imported)."""
    tasks = os.listdir("/proc/self/task")
    return {os.getpriority(os.PRIO_PROCESS, int(t)) for t in tasks}, "torch" in sys.modules


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="Linux threads only")
def test_workers_run_below_the_web_server_and_import_torch_while_idle(engine, table):
    """Every worker (a restarted one too, after the killed-worker test) runs its jobs at a
    lower priority than this process, the web server's stand-in, and imports torch ahead."""
    deadline = time.monotonic() + 180
    while True:
        states = engine.client.run(_worker_state)
        if len(states) == 2 and all(warm for _, warm in states.values()):
            break
        assert time.monotonic() < deadline, states
        time.sleep(0.5)
    lower = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
    for nices, _ in states.values():
        assert min(nices) >= lower, states
    in_a_job = engine.client.submit(_worker_state, pure=False).result()[0]
    assert min(in_a_job) >= lower


def test_a_session_runs_one_job_at_a_time_and_waits_in_order(engine, table):
    first = engine.submit(network(table, 3), "d")
    second = engine.submit(classical(table), "d")
    assert second.status == "waiting" and engine.place(second) >= 1
    engine.wait(second, timeout=300)
    assert first.status == "done" and second.status == "done"
    assert second.started >= first.finished - 1  # the second started once the first ended


def test_a_session_cannot_flood_the_queue(engine, table):
    engine.queue_limit = 1
    try:
        jobs = [engine.submit(network(table, 200), "e") for _ in range(2)]
        with pytest.raises(DataError, match="jobs waiting"):
            engine.submit(classical(table), "e")
    finally:
        engine.queue_limit = 3
        for job in jobs:
            engine.stop(job)
    for job in jobs:
        engine.wait(job, timeout=60)


def test_a_model_the_server_holds_is_explained_on_a_worker(engine, table, store):
    """The Explain page's jobs: a fitted model handed over with its rows, or a stored run named
    by its id, explained on a worker as in-process; a run that is not there fails with a
    message."""
    import numpy as np

    from genre_core.data.preprocess import feature_matrix
    from genre_core.experiments.explain_model import ExplainModelSpec
    from genre_core.explain.shapley import background

    trained = experiments.run(replace(classical(table), models=(ModelChoice("svm"),), log=True))
    (run_id,) = trained.run_ids
    run = trained.result.runs[0].result
    frame = table.load().frame
    test = frame.loc[run.held_out.rows]
    x = feature_matrix(test, FEATURES)[3]
    reference = background(feature_matrix(frame.drop(index=run.held_out.rows), FEATURES))
    inputs = {"pipeline": run.pipeline, "features": FEATURES, "x": x, "reference": reference}
    spec = ExplainModelSpec(table, position=3)
    here = experiments.run(spec, inputs=inputs).result
    job = engine.wait(engine.submit(spec, "x", options={"inputs": inputs}), timeout=300)
    assert job.status == "done", job.error
    assert job.outcome.result.kind == "permutation"  # the slow explainer, off the server
    np.testing.assert_allclose(job.outcome.result.shap, here.shap)

    by_id = replace(spec, run_id=run_id)
    rows = {"inputs": {"x": x, "reference": reference}}
    job = engine.wait(engine.submit(by_id, "x", options=rows), timeout=300)
    assert job.status == "done", job.error
    np.testing.assert_allclose(job.outcome.result.shap, here.shap)  # the stored model's values
    alone = engine.wait(engine.submit(replace(by_id, compute="importance"), "x"), timeout=300)
    assert alone.status == "done", alone.error  # its rows read from the recipe's table
    assert sorted(alone.outcome.result["feature"]) == sorted(FEATURES)

    gone = engine.wait(engine.submit(replace(by_id, run_id="no-such-run"), "x"), timeout=300)
    assert gone.status == "failed" and "no-such-run" in gone.error
    assert "Traceback" not in gone.error


def test_a_bad_recipe_fails_with_its_message_not_a_traceback(engine, tmp_path):
    spec = classical(DataSpec(str(tmp_path / "gone.csv"), label="genre"))
    job = engine.wait(engine.submit(spec, "f"), timeout=120)
    assert job.status == "failed" and "gone.csv" in job.error and "Traceback" not in job.error


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_scheduler_and_two_worker_processes_started_like_other_machines(table, tmp_path, capsys):
    port = _free_port()
    bin_dir = os.path.dirname(sys.executable)
    dask = os.path.join(bin_dir, "dask")
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            [dask, "worker", address, "--nthreads", "1", "--no-dashboard", "--name", f"w{i}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for i in range(2)
    ]
    engine = None
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                engine = Engine(address)
                break
            except DataError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        engine.client.wait_for_workers(2, timeout=120)
        jobs = [engine.submit(classical(table, seed), f"m{seed}") for seed in (0, 1)]
        for job, seed in zip(jobs, (0, 1), strict=True):
            engine.wait(job, timeout=300)
            assert job.status == "done", job.error
            assert accuracy(job.outcome) == accuracy(experiments.run(classical(table, seed)))
        recipe = tmp_path / "recipe.json"
        recipe.write_text(classical(table).to_json())
        assert main(["run", str(recipe), "--scheduler", address, "--json", "--quiet"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert printed["runs"][0]["accuracy"] == accuracy(experiments.run(classical(table)))

        # the web server restarts mid-job: its client goes, the job runs on and is logged
        logged_before = len(history.list_runs())
        job = engine.submit(replace(network(table, 30), log=True), "restarting-server")
        started(job)
        engine.close()
        engine = None
        deadline = time.monotonic() + 300
        while len(history.list_runs()) == logged_before:
            assert time.monotonic() < deadline, "the job's run never reached the history"
            time.sleep(1)
    finally:
        if engine is not None:
            engine.close()
        for process in [*workers, scheduler]:
            process.terminate()
        for process in [*workers, scheduler]:
            process.wait(timeout=30)
