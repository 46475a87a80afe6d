"""Uploads kept on the server by their content's hash, so a recipe made from an upload (it
holds the hash) runs again in any process of this machine."""

from __future__ import annotations

import hashlib
from pathlib import Path


def _uploads() -> Path:
    from genre_core.settings import cache_dir

    return cache_dir() / "uploads"


def keep_upload(raw: bytes) -> str:
    """Keep an uploaded file's bytes under ``data/uploads/<sha256>`` and return the hash."""
    digest = hashlib.sha256(raw).hexdigest()
    folder = _uploads()
    target = folder / digest
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{digest}.part"
        partial.write_bytes(raw)
        partial.replace(target)
    return digest


def stored_upload(sha256: str) -> bytes | None:
    """The bytes of an upload kept by :func:`keep_upload`, or ``None``."""
    if not sha256 or not all(c in "0123456789abcdef" for c in sha256) or len(sha256) != 64:
        return None
    path = _uploads() / sha256
    return path.read_bytes() if path.is_file() else None
