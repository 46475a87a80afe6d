"""Finding a dataset's file on disk, or downloading it once, checked and written atomically."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from genre_core.data.registry import FileSpec
from genre_core.errors import DataError
from genre_core.settings import cache_dir, data_dir

Progress = Callable[[int, int | None], None]
"""Called with (bytes done, total bytes or None) while a download runs."""

_CHUNK = 1 << 16


@dataclass(frozen=True)
class Located:
    """A file found for a dataset: where, how it was found, and whether its sha256 matched."""

    path: Path
    origin: str  # "explicit", "data dir", "cache" or "download"
    verified: bool | None  # None: no published hash to compare with


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def candidate_folders(dataset: str) -> list[tuple[str, Path]]:
    """The folders searched for a dataset, in order, each with its origin label."""
    folders = []
    root = data_dir()
    if root is not None:
        folders.append(("data dir", root / dataset))
    folders.append(("cache", cache_dir() / dataset))
    return folders


def find_local(dataset: str, spec: FileSpec) -> Located | None:
    """The first local copy of ``spec`` in the data folder or the cache, if any."""
    for origin, folder in candidate_folders(dataset):
        for name in spec.names:
            path = folder / name
            if path.is_file():
                return Located(path, origin, _verify(path, spec, name))
    return None


def _verify(path: Path, spec: FileSpec, name: str) -> bool | None:
    # An alias (Kaggle's train.csv for music-genre-11, say) is another publication of the
    # data with other bytes: there is no hash to compare it with.
    if spec.sha256 is None or name != spec.name:
        return None
    return sha256_of(path) == spec.sha256


def locate(
    dataset: str,
    spec: FileSpec,
    *,
    allow_download: bool = True,
    progress: Progress | None = None,
) -> Located:
    """Find ``spec`` locally, or download it into the cache.

    Raises
    ------
    DataError
        When there is no local copy and the download is impossible, fails, or its sha256
        does not match the published one. The message says where to put the file.
    """
    found = find_local(dataset, spec)
    if found is not None:
        return found
    where = " or ".join(str(folder) for _, folder in candidate_folders(dataset))
    if spec.url is None:
        raise DataError(
            f"{spec.name} for '{dataset}' is not on this machine and has no public download; "
            f"put a copy in {where}, or set GENRE_DATA_DIR to a folder holding {dataset}/."
        )
    if not allow_download:
        raise DataError(f"{spec.name} for '{dataset}' is not on this machine; put it in {where}.")
    target = cache_dir() / dataset / spec.name
    download(spec.url, target, sha256=spec.sha256, progress=progress)
    return Located(target, "download", True if spec.sha256 else None)


def download(
    url: str,
    target: Path,
    *,
    sha256: str | None,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` to ``target``; the file appears whole and checked, or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    handle, tmp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part"
    )
    tmp = Path(tmp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 (https only)
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise DataError(
                    f"could not download {url} ({reason}); you may be offline. Put "
                    f"{target.name} in {target.parent} or set GENRE_DATA_DIR to a folder "
                    f"holding a copy."
                ) from None
            with response:
                total = response.headers.get("Content-Length")
                total = int(total) if total and total.isdigit() else None
                done = 0
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise DataError(
                f"the file downloaded from {url} does not match its published sha256 "
                f"(expected {sha256[:12]}…, got {digest.hexdigest()[:12]}…); it was not kept. "
                f"Put a verified copy of {target.name} in {target.parent}."
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
