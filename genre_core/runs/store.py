"""The run store: where the run history lives, and clear messages when it cannot be used.

The store is SQLite in :func:`genre_core.settings.runs_dir` (artifacts next to it), or
``$MLFLOW_TRACKING_URI`` for a team server. A locked, corrupted or read-only SQLite file gets a
sentence a user can act on (:class:`RunStoreError`) instead of MLflow's half-minute retries and
traceback. mlflow is imported on first use only: importing it takes about two seconds, which the
app's first page must not pay.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

from genre_core.errors import DataError
from genre_core.settings import tracking_uri

EXPERIMENT = "genre-lab"
SQLITE_HEADER = b"SQLite format 3\x00"


class RunStoreError(DataError):
    """The run store cannot be read or written (locked, corrupted, unreachable)."""


def sqlite_path(uri: str) -> Path | None:
    """The database file of an ``sqlite:///`` store; ``None`` for any other store."""
    parsed = urlparse(uri)
    if parsed.scheme != "sqlite":
        return None
    return Path(unquote(uri[len("sqlite:///") :]))


def describe(uri: str) -> str:
    """The store as a message names it: "the run store /path/mlflow.db"."""
    path = sqlite_path(uri)
    return f"the run store {path}" if path else f"the run store at {uri}"


def check_store(uri: str | None = None, *, write: bool = False, timeout: float = 2.0) -> None:
    """Fail early, and clearly, on an SQLite store that is not a database or is locked.

    MLflow itself would wait and retry for half a minute on a locked file; this check waits
    ``timeout`` seconds for the lock (a write lock when ``write``) and then gives up.

    Raises
    ------
    RunStoreError
        When the file does not start with SQLite's header, or stays locked.
    """
    uri = uri or tracking_uri()
    path = sqlite_path(uri)
    if path is None or not path.exists():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise RunStoreError(f"{describe(uri)} cannot be read: {error.strerror}.") from None
    if head and head != SQLITE_HEADER:
        raise RunStoreError(
            f"{describe(uri)} is not an SQLite database (corrupted, or another file at "
            "that place). Runs cannot be read from it or added to it; move it aside (or set "
            "GENRE_RUNS_DIR to another folder) to start a new history."
        )
    import sqlite3

    try:
        connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
        try:
            if write:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("ROLLBACK")
            else:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise explain(uri, "logged" if write else "read", error) from None


def explain(uri: str, action: str, error: BaseException) -> RunStoreError:
    """A :class:`RunStoreError` saying in words why the store could not be ``action``."""
    text = str(error)
    lowered = text.lower()
    where = describe(uri)
    if "database is locked" in lowered or "database table is locked" in lowered:
        return RunStoreError(
            f"{where} is locked by another program or process, so the run could not be "
            f"{action}. Try again once it has finished; nothing already stored is lost."
        )
    if "file is not a database" in lowered or "malformed" in lowered:
        return RunStoreError(
            f"{where} is corrupted (SQLite: {text.splitlines()[0][:160]}). Move it aside to "
            "start a new history."
        )
    if "readonly" in lowered or "read-only" in lowered or "permission denied" in lowered:
        return RunStoreError(f"{where} is read-only, so the run could not be {action}.")
    first = text.strip().splitlines()[0][:200] if text.strip() else type(error).__name__
    return RunStoreError(f"{where} could not be {action}: {first}")


@contextmanager
def guard(uri: str, action: str) -> Iterator[None]:
    """Turn any failure of the store inside the block into a :class:`RunStoreError`."""
    try:
        yield
    except DataError:  # RunStoreError included: already a sentence
        raise
    except Exception as error:  # mlflow and SQLAlchemy raise many kinds; all mean the store
        raise explain(uri, action, error) from error


_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def client_for(uri: str):
    """The (cached) MLflow client of a store; makes the SQLite file's folder."""
    import os

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no bars in logs
    from mlflow.tracking import MlflowClient

    path = sqlite_path(uri)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=uri)


def client(action: str):
    """The client, the experiment id and the uri of the current store (made on first use).

    ``action`` ("logged", "read", "deleted") is the word the error messages use.

    Raises
    ------
    RunStoreError
        When the store is locked, corrupted or unreachable.
    """
    uri = tracking_uri()
    check_store(uri, write=action != "read")
    with guard(uri, action), _lock:
        path = sqlite_path(uri)
        if path is not None and not path.exists():  # new, or a broken one moved aside
            client_for.cache_clear()  # a cached client would not create the tables again
        found = client_for(uri)
        experiment = found.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            location = None
            if path is not None:  # the default would be ./mlruns of wherever the app started
                location = (path.parent / "artifacts").as_uri()
            experiment_id = found.create_experiment(EXPERIMENT, artifact_location=location)
        else:
            experiment_id = experiment.experiment_id
    return found, experiment_id, uri


def store_exists() -> bool:
    """False for a local store that was never written (reading it must not create it)."""
    path = sqlite_path(tracking_uri())
    return path is None or path.exists()


def quiet_logs() -> None:
    """Keep MLflow's INFO lines ("Creating initial MLflow database tables...") off the terminal:
    the CLI and the job workers speak only in Genre Lab's own notes. MLflow sets its loggers'
    levels when it is imported, from ``$MLFLOW_LOGGING_LEVEL``, so both are set here."""
    import logging
    import os

    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
