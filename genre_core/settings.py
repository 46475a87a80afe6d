"""Where Genre Lab looks for datasets and where it caches them."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path | None:
    """The folder named by ``$GENRE_DATA_DIR`` (copies of datasets, one subfolder each)."""
    value = os.environ.get("GENRE_DATA_DIR", "").strip()
    return Path(value).expanduser().resolve() if value else None


def cache_dir() -> Path:
    """Where downloads are cached: ``$GENRE_CACHE_DIR``, else ``data/`` of the checkout."""
    value = os.environ.get("GENRE_CACHE_DIR", "").strip()
    if value:
        return Path(value).expanduser().resolve()
    repo_data = PROJECT_ROOT / "data"
    if repo_data.is_dir():
        return repo_data
    return Path.home() / ".cache" / "genre-lab"


def runs_dir() -> Path:
    """The local run history (SQLite and artifacts): ``$GENRE_RUNS_DIR``, else ``runs/`` of
    :func:`cache_dir`."""
    value = os.environ.get("GENRE_RUNS_DIR", "").strip()
    return Path(value).expanduser().resolve() if value else cache_dir() / "runs"


def tracking_uri() -> str:
    """Where runs are logged: ``$MLFLOW_TRACKING_URI`` (a team server or database), else
    ``mlflow.db`` in :func:`runs_dir`."""
    value = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    return value or f"sqlite:///{runs_dir() / 'mlflow.db'}"


# What one table may hold, for an upload and for the CLI alike. A model needs a label and a
# few dozen columns; a file past these limits is a mistake or an attack, and refusing it before
# any per-column or per-class work keeps one user from holding a core for minutes.
MAX_COLUMNS = 2_000
MAX_CLASSES = 200
BYTES_PER_CELL = 4  # a short number and its delimiter: the cells a full-size file holds


def upload_limit_mb() -> int:
    """The upload limit in MB of 10**6 bytes, read from ``.streamlit/config.toml`` (default 50).

    Streamlit's uploader refuses files above ``server.maxUploadSize`` x 10**6 bytes; Genre Lab
    checks the same number of bytes itself (files on disk for the CLI, and the unpacked size
    of a gzip file), so the page, the browser and the engine state one limit.
    """
    config = PROJECT_ROOT / ".streamlit" / "config.toml"
    try:
        import tomllib

        with config.open("rb") as handle:
            return int(tomllib.load(handle)["server"]["maxUploadSize"])
    except (OSError, KeyError, ValueError, TypeError):
        return 50


def upload_limit_bytes(limit_mb: float | None = None) -> int:
    """``limit_mb`` (default :func:`upload_limit_mb`) in bytes, as Streamlit counts them."""
    return int((upload_limit_mb() if limit_mb is None else limit_mb) * 1_000_000)


def cell_limit(limit_mb: float | None = None) -> int:
    """The most cells (rows x columns) a table may have: what a file of the upload limit holds
    at :data:`BYTES_PER_CELL` bytes a cell, so unpacking a small gzip file cannot make more."""
    return upload_limit_bytes(limit_mb) // BYTES_PER_CELL


LAB_SETTINGS = PROJECT_ROOT / ".streamlit" / "genre_lab.toml"


def lab_settings(path: Path | None = None) -> dict:
    """The ``[jobs]`` settings of ``.streamlit/genre_lab.toml`` with the environment over them.

    ``workers`` (processes of the embedded Dask cluster; default: the machine's cores,
    ``$GENRE_WORKERS``), ``memory_limit`` per worker ("auto": the memory shared out),
    ``scheduler`` (an existing cluster, ``$GENRE_SCHEDULER``; empty: the embedded one),
    ``per_session`` (jobs of one browser session running at once), ``queue_per_session``
    (jobs one session may have waiting), ``device`` ("auto" or "cpu", ``$GENRE_DEVICE``) and
    ``nice`` (how many Unix nice levels below the web server the workers run; 0 to 19).
    """
    import tomllib

    values: dict = {}
    try:
        with (path or LAB_SETTINGS).open("rb") as handle:
            values = dict(tomllib.load(handle).get("jobs", {}))
    except (OSError, tomllib.TOMLDecodeError):
        pass
    out = {
        "workers": _positive(values.get("workers"), os.cpu_count() or 1),
        "memory_limit": str(values.get("memory_limit") or "auto"),
        "scheduler": str(values.get("scheduler") or "").strip(),
        "per_session": _positive(values.get("per_session"), 1),
        "queue_per_session": _positive(values.get("queue_per_session"), 3, minimum=0),
        "device": str(values.get("device") or "auto"),
        "nice": min(19, _positive(values.get("nice"), 10, minimum=0)),
    }
    env = {
        "workers": os.environ.get("GENRE_WORKERS", "").strip(),
        "scheduler": os.environ.get("GENRE_SCHEDULER", "").strip(),
        "device": os.environ.get("GENRE_DEVICE", "").strip(),
    }
    if env["workers"]:
        out["workers"] = _positive(env["workers"], out["workers"])
    for key in ("scheduler", "device"):
        if env[key]:
            out[key] = env[key]
    return out


def _positive(value, default: int, minimum: int = 1) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number >= minimum else default


def search_storages(path: Path | None = None) -> list[str]:
    """The study storages the Search page offers: ``storages`` of the ``[search]`` table of
    ``.streamlit/genre_lab.toml`` (SQLAlchemy URLs the admin allows; "default" names the lab's
    own study file). Empty when none is set: the page then offers the lab's own file only. The
    page never takes a URL from its users; the CLI's ``--storage`` does."""
    import tomllib

    try:
        with (path or LAB_SETTINGS).open("rb") as handle:
            values = tomllib.load(handle).get("search", {}).get("storages", [])
    except (OSError, tomllib.TOMLDecodeError, AttributeError):
        return []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return []
    return [str(v).strip() for v in values if str(v).strip()]
