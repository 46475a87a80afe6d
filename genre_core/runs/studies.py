"""Where Optuna studies live: SQLite under ``data/studies/`` by default, or any SQLAlchemy URL
(PostgreSQL for workers on many machines), with heartbeats and plain-sentence storage errors.

A study made by Genre Lab keeps its recipe (a JSON text) in its user attributes under
:data:`SPEC_ATTR`, so any worker rebuilds the objective from the storage alone. This module only
stores and reads that text; :mod:`genre_core.experiments.search` reads it as a recipe.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

from genre_core.errors import DataError
from genre_core.settings import cache_dir, search_storages

SPEC_ATTR = "genre_lab_spec"
HEARTBEAT_SECONDS = 10.0
SQLITE_TIMEOUT = 30.0  # seconds a writer waits for a locked SQLite store before giving up

# A failed trial's reason is kept with the trial, not logged with a traceback.
optuna.logging.set_verbosity(optuna.logging.ERROR)
# Heartbeats and their retry callback are marked experimental; they are what fault tolerance needs.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

Storage = str | RDBStorage | None


def default_storage() -> str:
    """The SQLite file holding the studies: ``data/studies/optuna.db`` (see :mod:`settings`)."""
    folder = cache_dir() / "studies"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'optuna.db'}"


def allowed_storages() -> list[str]:
    """The storages the dashboard may use, from the server's settings
    (:func:`~genre_core.settings.search_storages`; "default" is :func:`default_storage`), the
    lab's own file when none is set. A page offers these and nothing else."""
    listed = search_storages() or ["default"]
    urls = [default_storage() if url == "default" else url for url in listed]
    return list(dict.fromkeys(urls))


def open_storage(
    url: str | None = None, *, heartbeat: float | None = HEARTBEAT_SECONDS, retries: int = 1
) -> RDBStorage:
    """An Optuna storage with heartbeats, at a SQLAlchemy URL (the default SQLite file if None).

    A running trial whose worker stops beating for ``3 × heartbeat`` seconds is marked failed
    when another worker starts a trial, and retried ``retries`` times with the same values.

    Raises
    ------
    DataError
        When the store cannot be opened: a locked or corrupted SQLite file, a database that
        refuses the connection, or a URL no driver understands.
    """
    url = url or default_storage()
    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        _check_sqlite_file(url)
        engine_kwargs["connect_args"] = {"timeout": SQLITE_TIMEOUT}
    else:
        engine_kwargs["pool_pre_ping"] = True
    options: dict[str, Any] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if heartbeat:
                options = {
                    "heartbeat_interval": max(1, int(round(heartbeat))),
                    "grace_period": max(2, int(round(3 * heartbeat))),
                }
                if retries:
                    options["heartbeat_stale_trial_callback"] = RetryHeartbeatStaleTrialCallback(
                        max_retry=retries
                    )
            return RDBStorage(url, engine_kwargs=engine_kwargs, **options)
    except Exception as error:  # noqa: BLE001 - every driver raises its own kind
        raise DataError(storage_message(url, error)) from None


def _check_sqlite_file(url: str) -> None:
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:" or not Path(path).exists():
        return
    with open(path, "rb") as handle:
        head = handle.read(16)
    if head and head != b"SQLite format 3\x00":
        raise DataError(
            f"the study store {path} is not a SQLite database (corrupted or another kind of file); "
            "move it aside: a new store will be created in its place."
        )


def storage_message(url: str, error: BaseException) -> str:
    """A sentence for a storage failure (locked, corrupted, unreachable), never a traceback."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:200]
    where = redact(url)
    low = text.lower()
    if "locked" in low:
        return (
            f"the study store {where} is locked by another program and stayed locked for "
            f"{SQLITE_TIMEOUT:g} s; finished trials are safe. Close the other program, or use "
            "a PostgreSQL URL for many workers."
        )
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        return (
            f"the study store {where} is corrupted ({text}); finished trials that were "
            "committed before the damage may be recovered with `sqlite3 FILE .recover`; "
            "move the file aside to start a new store."
        )
    return f"cannot use the study store {where}: {text}"


def redact(url: str) -> str:
    """A URL without its password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def url_of(store: optuna.storages.BaseStorage) -> str:
    """The storage's URL (``"memory"`` for an in-memory storage)."""
    return str(store.engine.url) if isinstance(store, RDBStorage) else "memory"


def guarded(url: str, action: Callable[[], Any]) -> Any:
    """``action()``, with a storage failure turned into a :class:`DataError` sentence."""
    try:
        return action()
    except DataError:
        raise
    except optuna.exceptions.DuplicatedStudyError:
        raise
    except Exception as error:
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(error, SQLAlchemyError) or "sqlite" in type(error).__module__:
            raise DataError(storage_message(url, error)) from None
        raise


def _store(storage: Storage, heartbeat: float | None = HEARTBEAT_SECONDS) -> RDBStorage:
    return (
        storage if isinstance(storage, RDBStorage) else open_storage(storage, heartbeat=heartbeat)
    )


def create_study(
    name: str,
    storage: Storage,
    *,
    recipe: str,
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
) -> tuple[optuna.Study, str]:
    """Create a maximising study keeping ``recipe``, or reopen the study of that name.

    Returns
    -------
    (study, stored)
        ``stored`` is the recipe text the study keeps: ``recipe`` for a new study, the study's
        own for an existing one (the caller decides whether they are the same recipe).

    Raises
    ------
    DataError
        For an empty name or a storage failure.
    """
    if not name or not name.strip():
        raise DataError("a study needs a name.")
    store = _store(storage)

    def make() -> tuple[optuna.Study, str]:
        study = optuna.create_study(
            study_name=name,
            storage=store,
            direction="maximize",
            sampler=sampler,
            pruner=pruner,
            load_if_exists=True,
        )
        stored = study.user_attrs.get(SPEC_ATTR)
        if stored is None:
            study.set_user_attr(SPEC_ATTR, recipe)
            stored = recipe
        return study, stored

    return guarded(url_of(store), make)


def stored_recipe(name: str, storage: Storage) -> str:
    """The recipe text of a stored study.

    Raises
    ------
    DataError
        For a missing study (naming those in the store), one not made by Genre Lab, or a
        storage failure.
    """
    store = _store(storage)
    url = url_of(store)

    def read() -> str:
        names = [s.study_name for s in optuna.get_all_study_summaries(store)]
        if name not in names:
            listed = ", ".join(names[:20]) or "none"
            raise DataError(f"no study named '{name}' in {redact(url)}; its studies: {listed}.")
        text = optuna.load_study(study_name=name, storage=store).user_attrs.get(SPEC_ATTR)
        if text is None:
            raise DataError(f"study '{name}' was not made by Genre Lab (it has no recipe).")
        return text

    return guarded(url, read)


def load_study(
    name: str,
    storage: Storage,
    *,
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
) -> optuna.Study:
    """A stored study with its sampler and pruner rebuilt (see :func:`stored_recipe`)."""
    store = _store(storage)
    return guarded(
        url_of(store),
        lambda: optuna.load_study(study_name=name, storage=store, sampler=sampler, pruner=pruner),
    )


def study_names(storage: Storage = None) -> list[str]:
    """Names of the studies in a store, newest first."""
    store = _store(storage, heartbeat=None)
    summaries = guarded(url_of(store), lambda: optuna.get_all_study_summaries(store))
    return [s.study_name for s in sorted(summaries, key=lambda s: s._study_id, reverse=True)]


__all__ = [
    "HEARTBEAT_SECONDS",
    "allowed_storages",
    "SPEC_ATTR",
    "SQLITE_TIMEOUT",
    "create_study",
    "default_storage",
    "guarded",
    "load_study",
    "open_storage",
    "redact",
    "storage_message",
    "stored_recipe",
    "study_names",
    "url_of",
]
