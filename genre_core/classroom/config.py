"""Classroom settings: the board's store, the teacher's passphrase, the server's secret.

Read from the ``[classroom]`` table of ``.streamlit/genre_lab.toml`` with the environment over
it: ``board_url`` (``$GENRE_BOARD_URL``; any SQLAlchemy URL, default a SQLite file under
``data/classroom/``) and ``teacher_passphrase`` (``$GENRE_TEACHER_PASSPHRASE``). The
passphrase is never taken from a URL and never stored in the repository.
"""

from __future__ import annotations

import hmac
import os
import secrets
import tomllib
from pathlib import Path

from genre_core.settings import LAB_SETTINGS, cache_dir


def _table(path: Path | None = None) -> dict:
    try:
        with (path or LAB_SETTINGS).open("rb") as handle:
            table = tomllib.load(handle).get("classroom", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return table if isinstance(table, dict) else {}


def classroom_dir() -> Path:
    """``classroom/`` of the cache folder (``data/`` of the checkout): the board, the secret."""
    return cache_dir() / "classroom"


def board_url(path: Path | None = None) -> str:
    """Where the class board is kept: ``$GENRE_BOARD_URL``, the setting, else SQLite."""
    value = (
        os.environ.get("GENRE_BOARD_URL", "").strip()
        or str(_table(path).get("board_url", "")).strip()
    )
    return value or f"sqlite:///{classroom_dir() / 'board.db'}"


def teacher_passphrase(path: Path | None = None) -> str:
    """The teacher's passphrase (empty: the teacher view is closed)."""
    return (
        os.environ.get("GENRE_TEACHER_PASSPHRASE", "").strip()
        or str(_table(path).get("teacher_passphrase", "")).strip()
    )


def is_teacher(typed: str, path: Path | None = None) -> bool:
    """Whether ``typed`` is the teacher's passphrase (compared in constant time)."""
    expected = teacher_passphrase(path)
    return bool(expected) and hmac.compare_digest(typed.encode(), expected.encode())


def server_secret() -> bytes:
    """This server's secret (``data/classroom/secret``, made once): it seeds the hidden rows,
    so they cannot be recomputed from a lesson file. ``$GENRE_CLASSROOM_SECRET`` sets it for
    servers sharing one board."""
    value = os.environ.get("GENRE_CLASSROOM_SECRET", "").strip()
    if value:
        return value.encode()
    path = classroom_dir() / "secret"
    try:
        return path.read_bytes()
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".secret.{secrets.token_hex(4)}")
    partial.write_bytes(secrets.token_hex(32).encode())
    try:
        os.link(partial, path)  # the first writer wins; every process reads the same secret
    except FileExistsError:
        pass
    finally:
        partial.unlink(missing_ok=True)
    return path.read_bytes()


__all__ = ["board_url", "classroom_dir", "is_teacher", "server_secret", "teacher_passphrase"]
