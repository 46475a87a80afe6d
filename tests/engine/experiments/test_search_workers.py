"""Many workers on one study: `search-worker` processes on PostgreSQL and on SQLite, one of them
killed with SIGKILL mid-trial."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import optuna
import pytest

from conftest import CLI, ROOT, free_port, tracks_csv, unavailable
from genre_core.experiments import search

# Debian's PostgreSQL (15 on bookworm): the newest version installed.
PG_BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin"),
    key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    default=Path("/usr/lib/postgresql/15/bin"),
)


def cli(*args: str) -> subprocess.Popen:
    """`python -m genre_core ARGS` started in the background, its output piped as text."""
    return subprocess.Popen(
        [*CLI, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def create(
    csv: Path, storage: str, study: str, *extra: str
) -> tuple[optuna.Study, search.SearchSpec]:
    """A grid study of a random forest on the tiny CSV (no pruning, two folds), created by the
    CLI; the study loaded back, and its recipe."""
    done = cli(
        "search", "--data", str(csv), "--model", "rf", "--study", study, "--storage", storage,
        "--create-only", "--sampler", "grid", "--pruner", "none", "--folds", "2",
        "--param", "min_samples_split=2", "--param", "max_features=sqrt",
        "--param", "bootstrap=true", "--param", "class_weight=none", *extra,
    )  # fmt: skip
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    created = optuna.load_study(study_name=study, storage=storage)
    return created, search.SearchSpec.from_json(created.user_attrs[search.SPEC_ATTR])


@pytest.fixture
def csv(tmp_path) -> Path:
    return tracks_csv(tmp_path / "tracks.csv", 150, seed=4)


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL server on a free port, as the `postgres` user when root."""
    initdb, pg_ctl = PG_BIN / "initdb", PG_BIN / "pg_ctl"
    if not initdb.exists():
        unavailable("PostgreSQL is not installed (apt-get install -y postgresql)")
    # Not under pytest's tmp folder: its parents are private to root, and the server runs as
    # the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="genre-lab-pg-"))
    data, sockets = folder / "data", folder / "sock"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            unavailable("runuser is needed to start PostgreSQL as the postgres user")
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(
        [*as_user, str(initdb), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*as_user, str(pg_ctl), "-D", str(data), "-o", options, "-l", str(folder / "log"),
         "-w", "start"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, str(pg_ctl), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def test_two_workers_on_postgresql_share_one_study(postgres, csv):
    # Twelve configurations (depth × leaf size), each trained once by one of two workers.
    study, spec = create(
        csv, postgres, "two-workers", "--trials", "100", "--param", "n_estimators=60",
        "--choices", "max_depth=2|3|4|5|6|8", "--choices", "min_samples_leaf=1|2",
    )  # fmt: skip
    assert spec.grid_size == 12
    # heartbeats every 5 s (stale after 15 s): a worker starved for 3 s on a busy machine must
    # not have its trial failed and retried here (the killed worker's test below checks that)
    workers = [
        cli("search-worker", "--study", "two-workers", "--storage", postgres, "--heartbeat", "5")
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=180) for w in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    ran = [json.loads(out)["ran_here"] for out, _ in outputs]
    trials = study.get_trials(deepcopy=False)
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    configurations = [tuple(sorted(t.params.items())) for t in trials]
    assert len(configurations) == len(set(configurations)) == spec.grid_size
    assert sum(ran) == spec.grid_size and min(ran) >= 1  # both workers took trials


def test_a_worker_killed_mid_trial_leaves_the_study_usable(tmp_path, csv):
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    # Slow trials (600 trees a fold), so the victim is surely killed mid-trial.
    study, spec = create(
        csv, storage, "killed", "--param", "n_estimators=600", "--param", "min_samples_leaf=1",
        "--trials", "100", "--choices", "max_depth=2|3|4|5|6|8",
    )  # fmt: skip
    join = ("search-worker", "--study", "killed", "--storage", storage, "--heartbeat", "1")
    victim, other = cli(*join), cli(*join)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        running = [
            t
            for t in study.get_trials(deepcopy=False)
            if t.state == optuna.trial.TrialState.RUNNING
            and t.params
            and t.user_attrs.get("worker", "").endswith(f":{victim.pid}")
        ]
        if running:
            break
        time.sleep(0.1)
    else:
        victim.kill()
        other.kill()
        pytest.fail("the victim never got a trial under way")
    killed_number = running[0].number
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    # The other worker goes on, fails the silent trial once its heartbeat is 3 s old, and runs
    # it again.
    out, err = other.communicate(timeout=240)
    assert other.returncode == 0, err
    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    assert trials[killed_number].state == optuna.trial.TrialState.FAIL
    retried = [t for t in trials.values() if t.system_attrs.get("failed_trial") == killed_number]
    assert len(retried) == 1 and retried[0].state == optuna.trial.TrialState.COMPLETE
    assert retried[0].params == trials[killed_number].params
    assert retried[0].user_attrs["worker"].endswith(f":{other.pid}")
    done = [t for t in trials.values() if t.state == optuna.trial.TrialState.COMPLETE]
    assert len({tuple(sorted(t.params.items())) for t in done}) == len(done) == spec.grid_size
    assert not [t for t in trials.values() if t.state == optuna.trial.TrialState.RUNNING]
    assert json.loads(out)["trials"] == {"complete": spec.grid_size, "fail": 1}
