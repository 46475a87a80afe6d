"""Shared fixtures: seeded synthetic tracks, the real datasets folder, a live app and a browser."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CLI = [sys.executable, "-m", "genre_core"]
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def unavailable(reason: str) -> None:
    """Skip on a developer's machine; fail in CI, where everything must be installed."""
    if IN_CI:
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _seed():
    random.seed(0)
    np.random.seed(0)


@pytest.fixture(scope="session", autouse=True)
def _run_store(tmp_path_factory):
    """Runs logged by tests (and by the app they start) go to a temporary store, never data/."""
    saved = {k: os.environ.get(k) for k in ("GENRE_RUNS_DIR", "MLFLOW_TRACKING_URI")}
    os.environ["GENRE_RUNS_DIR"] = str(tmp_path_factory.mktemp("runs"))
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def make_tracks(n: int = 120, genres=("pop", "rock", "rap"), seed: int = 0) -> pd.DataFrame:
    """A small table shaped like spotify-30k: genre-dependent features, ids, artists, titles."""
    rng = np.random.default_rng(seed)
    labels = np.array(genres)[np.arange(n) % len(genres)]
    shift = {g: i for i, g in enumerate(genres)}
    offset = np.array([shift[g] for g in labels], dtype=float)
    return pd.DataFrame(
        {
            "track_id": [f"t{i // 2}" for i in range(n)],  # every id on two rows
            "track_name": [f"Song {i}" for i in range(n)],
            "track_artist": [f"artist {i % 17}" for i in range(n)],
            "danceability": rng.normal(0.5 + 0.1 * offset, 0.05),
            "energy": rng.normal(0.6 - 0.1 * offset, 0.05),
            "tempo": rng.normal(110 + 10 * offset, 5),
            "genre": labels,
        }
    )


def copied_songs(songs: int = 200, copies: int = 3, seed: int = 0) -> pd.DataFrame:
    """Songs whose features say nothing of their genre, each on ``copies`` rows (one
    ``track_id`` each): only memory of a copy can find a song's genre."""
    rng = np.random.default_rng(seed)
    genre = rng.choice(["pop", "rock", "rap"], songs)
    features = rng.normal(size=(songs, 3))
    rows = np.repeat(np.arange(songs), copies)
    return pd.DataFrame(
        {
            "track_id": [f"t{i}" for i in rows],
            "energy": features[rows, 0],
            "tempo": features[rows, 1],
            "valence": features[rows, 2],
            "genre": genre[rows],
        }
    )


def tracks_csv(path: Path, n: int = 120, **kwargs) -> Path:
    """``make_tracks(n, **kwargs)`` written to ``path``, a CSV file; returns ``path``."""
    make_tracks(n, **kwargs).to_csv(path, index=False)
    return path


def spec_and_run(capsys, folder: Path, *spec_args: str) -> tuple[dict, dict]:
    """``genre-lab spec SPEC_ARGS``, its recipe written to a file in ``folder`` and run by
    ``genre-lab run FILE --json``, in this process: (the recipe, the run's printed summary)."""
    from genre_core.cli import main

    code = main(["spec", *spec_args])
    out, err = capsys.readouterr()
    assert code == 0, err
    path = folder / "recipe.json"
    path.write_text(out)
    code = main(["run", str(path), "--json", "--no-log", "--quiet"])
    printed, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out), json.loads(printed)


def run_cli(*args: str, env=None) -> subprocess.CompletedProcess:
    """`python -m genre_core ARGS` from the checkout, its output captured as text."""
    return subprocess.run(
        [*CLI, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env
    )


@pytest.fixture
def tracks() -> pd.DataFrame:
    return make_tracks()


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    value = os.environ.get("GENRE_DATA_DIR")
    if not value or not (Path(value) / "spotify-30k" / "spotify_songs.csv").is_file():
        unavailable("the real datasets are not here: set GENRE_DATA_DIR to shared/datasets")
    return Path(value)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(port: int, log=subprocess.DEVNULL, env=None, timeout: float = 60):
    """`streamlit run dashboard/app.py` on 127.0.0.1:``port``, returned once /_stcore/health
    answers; the app's output goes to ``log``. Used by the tests and by bench/."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env if env is not None else os.environ.copy(),
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("streamlit exited early") from None
            if time.monotonic() > deadline:
                process.kill()
                message = f"streamlit did not answer /_stcore/health within {timeout} s"
                raise TimeoutError(message) from None
            time.sleep(0.05)


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def app_url(real_data_dir) -> str:
    """`streamlit run dashboard/app.py` on a free loopback port, for the whole session."""
    port = free_port()
    log = ARTIFACTS / "streamlit.log"
    ARTIFACTS.mkdir(exist_ok=True)
    env = {**os.environ, "GENRE_DATA_DIR": str(real_data_dir)}
    try:
        process = start_app(port, log.open("w"), env)
    except (RuntimeError, TimeoutError) as error:
        pytest.fail(f"{error}; see {log}")
    yield f"http://127.0.0.1:{port}"
    stop_app(process)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2400})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def app_with_upload(
    frame: pd.DataFrame,
    page: str | None = None,
    name: str = "mine.csv",
    query: dict[str, str] | None = None,
):
    """An AppTest of the dashboard with ``frame`` as the uploaded dataset, opened at an address
    with the ``query`` parameters, run once and, if ``page`` is given (e.g. "train"), switched
    to that page."""
    import hashlib

    from streamlit.testing.v1 import AppTest

    raw = frame.to_csv(index=False).encode()
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.session_state["data.source"] = "upload"
    at.session_state["data.upload"] = {
        "name": name,
        "bytes": raw,
        "sha": hashlib.sha256(raw).hexdigest(),
    }
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"../pages/{page}.py").run()
        assert not at.exception
    return at


def poll_page(at, until, timeout: float = 90, every: float = 0.3, failure: str = "") -> None:
    """Run the AppTest ``at`` again every ``every`` s, never with an exception, until ``until()``
    holds; fail with ``failure`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(every)
        at.run()
        assert not at.exception
        if until():
            return
    pytest.fail(failure or "the page did not reach the expected state in time")


def wait_job(at, key: str, timeout: float = 120) -> None:
    """Poll until the job in ``at.session_state[key]`` has finished and the page collected it,
    then run once more, so that the page draws its outcome."""

    def finished() -> bool:
        job = at.session_state[key]
        return job is not None and not job.running and job.collected

    poll_page(at, finished, timeout, failure=f"{key} not finished within {timeout} s")
    at.run()


def start_network(at, epochs: int, batch_size: int = 8):
    """Press "Train network" on the Networks page of ``at`` for ``epochs`` epochs of small
    batches (a long job to watch); the page's job."""
    at.number_input(key="nets.max_epochs").set_value(epochs)
    at.number_input(key="nets.batch_size").set_value(batch_size)
    at.button(key="nets.start").click().run()
    assert not at.exception
    return at.session_state["nets.job"]


def network_result(at):
    """The NetResult of the Networks page's last finished (or stopped) training, or None."""
    outcome = at.session_state["nets.outcome"]
    return None if outcome is None else outcome.result


def live_epochs(at) -> int | None:
    """Epochs drawn in the Networks page's live loss chart (None when it is not on the page)."""
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        titles = [a.get("text") for a in spec["layout"].get("annotations", [])]
        if "Loss (cross-entropy)" in titles:
            x = spec["data"][0].get("x") or []
            return len(x)
    return None


RECIPE_BOXES = ("train", "nets", "bayes", "merge", "transfer", "search")
"""The pages' keys of their Recipe boxes (``job_panel.recipe_box``)."""


def recipe_texts(at) -> list[str]:
    """The code blocks of the page with its Recipe box opened: the box draws its recipe only
    once opened, as a user's click does."""
    for key in RECIPE_BOXES:
        at.session_state[f"{key}.recipe_open"] = True
    at.run()
    return [block.value for block in at.code]


def chart_titles(at) -> list[str]:
    """The title of every plotly chart on the AppTest's page ("" for an untitled one)."""
    titles = []
    for element in at.get("plotly_chart"):
        title = json.loads(element.proto.spec)["layout"].get("title")
        titles.append(title.get("text", "") if isinstance(title, dict) else str(title or ""))
    return titles


@pytest.fixture(scope="session")
def empty_store(tmp_path_factory):
    """An SQLite run store with MLflow's tables made once: creating them takes seconds."""
    from genre_core.runs.store import client_for

    folder = tmp_path_factory.mktemp("template")
    client_for(f"sqlite:///{folder / 'mlflow.db'}").search_experiments()
    return folder / "mlflow.db"


@pytest.fixture
def store(tmp_path, monkeypatch, empty_store):
    """A fresh run store of the test's own, in GENRE_RUNS_DIR."""
    folder = tmp_path / "runs"
    folder.mkdir()
    shutil.copyfile(empty_store, folder / "mlflow.db")
    monkeypatch.setenv("GENRE_RUNS_DIR", str(folder))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return folder


def trained_train_page(n: int = 300, model: str = "logreg"):
    """The Train page of an upload of ``make_tracks(n)`` with one ``model`` trained and drawn."""
    at = app_with_upload(make_tracks(n, seed=5), "train")
    at.multiselect(key="train.models").set_value([model])
    at.run()
    at.button(key="train.start").click().run()
    poll_page(at, lambda: len(at.session_state["train.runs"]) >= 1, failure="no run finished")
    return at
