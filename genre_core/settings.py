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


def upload_limit_mb() -> int:
    """The upload limit in MB, read from ``.streamlit/config.toml`` (default 50)."""
    config = PROJECT_ROOT / ".streamlit" / "config.toml"
    try:
        import tomllib

        with config.open("rb") as handle:
            return int(tomllib.load(handle)["server"]["maxUploadSize"])
    except (OSError, KeyError, ValueError, TypeError):
        return 50
