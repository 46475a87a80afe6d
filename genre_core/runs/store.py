"""The run store: where the run history lives, and clear messages when it cannot be used.

The store is SQLite in :func:`genre_core.settings.runs_dir` (artifacts next to it), or
``$MLFLOW_TRACKING_URI`` for a team server. A locked, corrupted or read-only SQLite file gets a
sentence a user can act on (:class:`RunStoreError`) instead of MLflow's half-minute retries and
traceback. mlflow is imported on first use only: importing it takes about two seconds, which the
app's first page must not pay.
"""

from __future__ import annotations

import errno
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
    if disk_full(error):
        return RunStoreError(
            f"the disk holding {where} is full, so the run could not be {action}. Free some "
            "space (or set GENRE_RUNS_DIR to a folder on another disk) and run it again; runs "
            "already stored are kept."
        )
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


_FULL = ("no space left on device", "database or disk is full", "disk quota exceeded")


def disk_full(error: BaseException) -> bool:
    """Whether ``error`` (or an error it was raised from) says the disk is full."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(sign in str(current).lower() for sign in _FULL):
            return True
        pending += [current.__cause__, current.__context__, getattr(current, "orig", None)]
    return False


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
_ready: set[str] = set()  # stores this process has opened under the file lock
CREATE_TIMEOUT = 120.0  # seconds a process waits while another one creates the store


@contextmanager
def creation_lock(uri: str) -> Iterator[None]:
    """Hold ``mlflow.db.lock`` beside an SQLite store while it is created or migrated.

    MLflow makes its tables with Alembic, which fails (and leaves ``_alembic_tmp_*`` tables)
    when two processes do it at once; with the lock, the second one waits and finds them made.
    """
    path = sqlite_path(uri)
    if path is None or (uri in _ready and path.exists()):
        yield
        return
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(path) + ".lock", timeout=CREATE_TIMEOUT):
            yield
    except Timeout:
        raise RunStoreError(
            f"{describe(uri)} is being created by another process, which has held it for "
            f"{CREATE_TIMEOUT:g} s; try again once it has finished."
        ) from None


def check_migrated(uri: str) -> None:
    """Refuse a store whose creation or upgrade stopped half-way (``_alembic_tmp_*`` tables
    left behind): MLflow would fail on it for every later run."""
    path = sqlite_path(uri)
    if path is None or not path.exists():
        return
    import sqlite3

    try:
        connection = sqlite3.connect(path, timeout=2.0)
        try:
            left = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name LIKE '\\_alembic\\_tmp\\_%' ESCAPE '\\'"
            ).fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        return  # check_store has already said what is wrong with the file
    if left:
        raise RunStoreError(
            f"{describe(uri)} was left half-migrated by an interrupted creation or upgrade (its "
            f"temporary table {left[0][0]} is still there), so no run can be added to it. Move "
            f"{path.name} aside (e.g. rename it to {path.name}.broken; nothing in it is deleted) "
            "to start a new history in its place."
        )


def artifact_root(uri: str) -> str | None:
    """Where a local store keeps its artifacts: ``artifacts/`` beside its database file."""
    path = sqlite_path(uri)
    return None if path is None else (path.parent / "artifacts").resolve().as_uri()


def follow_folder(uri: str, experiment) -> None:
    """Point the experiment's artifacts into this store's folder when they point elsewhere
    (a copied or moved ``mlflow.db`` would otherwise write into the original's folder)."""
    root = artifact_root(uri)
    location = urlparse(experiment.artifact_location or "")
    if root is None or location.scheme not in ("", "file"):
        return
    folder = Path(unquote(urlparse(root).path))
    try:
        inside = Path(unquote(location.path)).resolve().is_relative_to(folder)
    except (OSError, ValueError):
        inside = False
    if inside:
        return
    import sqlite3

    connection = sqlite3.connect(sqlite_path(uri), timeout=10.0)
    try:
        with connection:
            connection.execute(
                "UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?",
                (root, int(experiment.experiment_id)),
            )
    finally:
        connection.close()


@functools.lru_cache(maxsize=4)
def client_for(uri: str):
    """The (cached) MLflow client of a store, its tables made (:func:`client` holds the
    :func:`creation_lock` around the first call)."""
    import os

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no bars in logs
    from mlflow.tracking import MlflowClient

    quiet_logs()  # before the tables of a new store are made

    path = sqlite_path(uri)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    found = MlflowClient(tracking_uri=uri)
    found.search_experiments(max_results=1)  # makes the tables of a new store, here
    return found


def client(action: str):
    """The client, the experiment id and the uri of the current store (made on first use).

    ``action`` ("logged", "read", "deleted") is the word the error messages use. A new local
    store is created by one process at a time; the others wait for it.

    Raises
    ------
    RunStoreError
        When the store is locked, corrupted, half-migrated or unreachable.
    """
    uri = tracking_uri()
    with guard(uri, action), _lock:
        path = sqlite_path(uri)
        if path is not None and not path.exists():  # new, or a broken one moved aside
            client_for.cache_clear()  # a cached client would not create the tables again
            _ready.discard(uri)
        with creation_lock(uri):  # another process creating the store: wait for it
            check_store(uri, write=action != "read")
            if uri not in _ready:
                check_migrated(uri)
            found = client_for(uri)
            experiment = found.get_experiment_by_name(EXPERIMENT)
            if experiment is None:
                # a location of our own: the default would be ./mlruns of wherever it started
                experiment_id = found.create_experiment(
                    EXPERIMENT, artifact_location=artifact_root(uri)
                )
            else:
                experiment_id = experiment.experiment_id
                if action != "read":
                    follow_folder(uri, experiment)
            _ready.add(uri)
    return found, experiment_id, uri


def store_exists() -> bool:
    """False for a local store that was never written (reading it must not create it)."""
    path = sqlite_path(tracking_uri())
    return path is None or path.exists()


def quiet_logs() -> None:
    """Keep MLflow's INFO lines ("Creating initial MLflow database tables...") off the terminal:
    the CLI and the job workers speak only in Genre Lab's own notes. MLflow sets its loggers'
    levels when it is imported, from ``$MLFLOW_LOGGING_LEVEL``, so both are set here; every
    store client calls it before the store's tables are made."""
    import logging
    import os

    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # MLflow logs every failed database write with its traceback before raising it; the
    # error reaches the user once, as a RunStoreError sentence (see explain)
    logging.getLogger("mlflow.store.db.utils").setLevel(logging.CRITICAL)
