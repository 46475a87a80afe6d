"""A bundle read back: checked, then added to the local run history as an imported run.

:func:`read_bundle` reads a bundle's zip in memory, refusing with a sentence
(:class:`~genre_core.runs.bundle.BundleError`) anything unsafe or incomplete: a file too big
or a zip bomb, a path leaving the bundle, a link, an encrypted or unexpected file, a pickle,
a file whose hash is not the manifest's, a recipe that does not check, a model file holding
untrusted types. Nothing is unpickled and nothing is unpacked to disk. :func:`import_bundle`
stores it through :func:`~genre_core.runs.history.log_result`, tagged "imported".
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import stat
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from genre_core.data.csvsafe import restore_frame
from genre_core.errors import DataError
from genre_core.runs.bundle import (
    CONFUSION,
    CURVES,
    FORMAT,
    MANIFEST,
    METRICS,
    MODEL_SUFFIXES,
    OPTIONAL,
    PARAMS,
    PREDICTIONS,
    RECIPE,
    REQUIRED,
    Bundle,
    BundleError,
)
from genre_core.runs.history import log_result, rename_run, set_run_tags
from genre_core.runs.records import SCORE, Record, finite_metrics

IMPORTED = "imported"  # the user tag and the source of a run read from a bundle
ORIGINAL_RUN = "genre_lab.bundle_of"  # the tag holding the run id a bundle was made from
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".ckpt", ".npy", ".npz", ".bin")

# A zip is refused past these, before anything of it is read.
MAX_BUNDLE_BYTES = 200 * 2**20
MAX_FILE_BYTES = 200 * 2**20
MAX_TOTAL_BYTES = 400 * 2**20
MAX_FILES = 64
MAX_RATIO = 200  # unpacked / packed size of one file: beyond, a zip bomb
MAX_TEXT_BYTES = 20 * 2**20  # the JSON and CSV files


def _unsafe_name(name: str) -> str | None:
    """Why a member's name is refused (a path that would leave the bundle), or ``None``."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return "an absolute or malformed path"
    if len(name) > 1 and name[1] == ":":
        return "a drive letter"
    if any(part in ("..", ".") for part in name.split("/")):
        return "a '..' part that points outside the bundle"
    return None


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > MAX_FILES:
        raise BundleError(
            f"the zip holds {len(infos):,} entries; a bundle has at most {MAX_FILES}."
        )
    files: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        why = _unsafe_name(info.filename)
        if why:
            raise BundleError(f"the zip entry '{info.filename[:80]}' has {why}; refused.")
        if info.is_dir():
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            raise BundleError(f"the zip entry '{info.filename[:80]}' is a symbolic link; refused.")
        if info.flag_bits & 0x1:
            raise BundleError(f"the zip entry '{info.filename[:80]}' is encrypted; refused.")
        if info.file_size > MAX_FILE_BYTES:
            raise BundleError(
                f"'{info.filename[:80]}' unpacks to {info.file_size / 2**20:,.0f} "
                f"MB; a bundle's file is at most {MAX_FILE_BYTES // 2**20} MB."
            )
        if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise BundleError(
                f"'{info.filename[:80]}' unpacks to {info.file_size / 2**20:,.0f} "
                "MB from a few bytes (a zip bomb); refused."
            )
        if info.filename in files:
            raise BundleError(f"the zip holds '{info.filename[:80]}' twice; refused.")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise BundleError(
                f"the zip unpacks to more than {MAX_TOTAL_BYTES // 2**20} MB; refused."
            )
        files[info.filename] = info
    names = list(files)
    if MANIFEST not in files and names:  # zipped as a folder: one top folder around the files
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) == 1 and all("/" in n for n in names):
            top = tops.pop() + "/"
            files = {n[len(top) :]: info for n, info in files.items()}
    return files


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limit: int) -> bytes:
    try:
        with archive.open(info) as handle:
            content = handle.read(limit + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError) as error:
        raise BundleError(f"'{name}' in the zip cannot be read ({error}).") from None
    except Exception as error:  # noqa: BLE001 - zlib and lzma raise their own kinds
        raise BundleError(f"'{name}' in the zip cannot be read ({type(error).__name__}).") from None
    if len(content) > limit:
        raise BundleError(f"'{name}' unpacks to more than its stated size; refused.")
    return content


def _check_names(files: Mapping[str, Any]) -> None:
    for name in files:
        lowered = name.lower()
        if lowered.endswith(PICKLE_SUFFIXES):
            raise BundleError(
                f"the bundle holds '{name}', a pickle-like file; Genre Lab never "
                "loads one, so the bundle is refused."
            )
        if name in REQUIRED or name in OPTIONAL:
            continue
        if name.startswith("model/") and name.count("/") == 1 and lowered.endswith(MODEL_SUFFIXES):
            continue
        raise BundleError(f"the bundle holds '{name[:80]}', which a Genre Lab bundle never does.")
    missing = [n for n in REQUIRED if n not in files]
    if missing:
        raise BundleError(
            f"the bundle lacks {', '.join(missing)}: it is not a complete Genre "
            "Lab bundle (export it again)."
        )
    if not any(n.startswith("model/") and not n.endswith(".json") for n in files):
        raise BundleError("the bundle holds no model file (model/*.skops or *.safetensors).")


def _json_file(files: Mapping[str, bytes], name: str) -> Any:
    try:
        return json.loads(files[name].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BundleError(f"{name} in the bundle is not JSON.") from None


def _check_model(name: str, raw: bytes) -> None:
    if name.endswith(".skops"):
        import skops.io as sio

        from genre_core.runs.history import TRUSTED_TYPES

        try:
            untrusted = set(sio.get_untrusted_types(data=raw))
        except Exception:  # noqa: BLE001 - skops raises many kinds for a broken file
            raise BundleError(f"{name} is not a readable skops file.") from None
        refused = sorted(untrusted - TRUSTED_TYPES)
        if refused:
            raise BundleError(
                f"{name} holds types that are not trusted, so the bundle is "
                f"refused: {', '.join(refused)[:300]}."
            )
    elif name.endswith(".safetensors"):
        if len(raw) < 8:
            raise BundleError(f"{name} is not a safetensors file.")
        size = int.from_bytes(raw[:8], "little")
        try:
            header = json.loads(raw[8 : 8 + size]) if size <= len(raw) - 8 else None
        except (ValueError, RecursionError):
            header = None
        if not isinstance(header, dict):
            raise BundleError(f"{name} is not a safetensors file (its header is not readable).")


def read_bundle(raw: bytes) -> Bundle:
    """A bundle read from zip bytes and checked, without unpacking anything to disk: its size,
    its paths (none leaving the bundle), its files (all there, none unexpected, no pickle),
    their hashes against the manifest, the recipe, and the model file's types.

    Raises
    ------
    BundleError
        Saying in a sentence what is wrong with it.
    """
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError(
            f"the file is {len(raw) / 2**20:,.0f} MB; a bundle is at most "
            f"{MAX_BUNDLE_BYTES // 2**20} MB."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise BundleError("the file is not a zip file: export a run as a bundle (.zip).") from None
    with archive:
        members = _members(archive)
        _check_names(members)
        files = {}
        for name, info in members.items():
            limit = MAX_FILE_BYTES if name.startswith("model/") else MAX_TEXT_BYTES
            if info.file_size > limit:
                raise BundleError(f"{name} is {info.file_size / 2**20:,.0f} MB; too large.")
            files[name] = _read_member(archive, info, name, limit)
    manifest = _json_file(files, MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{MANIFEST} does not say '{FORMAT}': not a bundle this Genre Lab reads.")
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise BundleError(f"{MANIFEST} does not list the bundle's files.")
    missing = [n for n in listed if n not in files]
    if missing:
        raise BundleError(f"the bundle lacks {', '.join(missing)[:200]}, which bundle.json lists.")
    for name, content in files.items():
        if name == MANIFEST:
            continue
        if listed.get(name) != hashlib.sha256(content).hexdigest():
            raise BundleError(
                f"{name} is not the file the bundle was made with (its sha256 "
                "differs from the one in bundle.json); refused."
            )
    for name, content in files.items():
        if name.startswith("model/"):
            _check_model(name, content)
    bundle = Bundle(manifest, files)
    _check_contents(bundle)
    return bundle


def _check_contents(bundle: Bundle) -> None:
    from genre_core import experiments

    files = bundle.files
    try:
        experiments.load_recipe(files[RECIPE])
    except DataError as error:
        raise BundleError(f"{RECIPE}: {error}") from None
    run = bundle.manifest.get("run")
    if not isinstance(run, dict) or run.get("kind") not in ("classical", "network", "bayes"):
        raise BundleError(f"{MANIFEST} does not say which kind of run it holds.")
    metrics = _json_file(files, METRICS)
    if not isinstance(metrics, dict) or "accuracy" not in finite_metrics(metrics):
        raise BundleError(f"{METRICS} holds no accuracy.")
    params = _json_file(files, PARAMS)
    if not isinstance(params, dict):
        raise BundleError(f"{PARAMS} is not an object of parameters.")
    confusion = _json_file(files, CONFUSION)
    try:
        classes = [str(c) for c in confusion["classes"]]
        matrix = np.asarray(confusion["matrix"], dtype=float)
        if matrix.shape != (len(classes), len(classes)) or not np.isfinite(matrix).all():
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise BundleError(f"{CONFUSION} is not a square matrix of its genres.") from None
    predictions = _predictions(files[PREDICTIONS])
    if len(predictions) != int(matrix.sum()):
        raise BundleError(
            f"{PREDICTIONS} holds {len(predictions):,} rows, the confusion matrix "
            f"{int(matrix.sum()):,}; the bundle is inconsistent."
        )
    if CURVES in files:
        curves = _json_file(files, CURVES)
        if not isinstance(curves, list) or not all(isinstance(c, dict) for c in curves):
            raise BundleError(f"{CURVES} is not a list of epochs.")


def _predictions(raw: bytes) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype={"true": str, "pred": str})
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        raise BundleError(f"{PREDICTIONS} is not a CSV file.") from None
    if list(frame.columns[:3]) != ["row", "true", "pred"]:
        raise BundleError(f"{PREDICTIONS} needs the columns row, true and pred.")
    scores = frame.columns[3:]
    if any(not str(c).startswith(SCORE) for c in scores):
        raise BundleError(
            f"{PREDICTIONS}: besides row, true and pred only probabilities (proba.<genre>) "
            "may follow."
        )
    values = frame[scores].apply(pd.to_numeric, errors="coerce")
    if values.isna().any().any() or ((values < 0) | (values > 1)).any().any():
        raise BundleError(f"{PREDICTIONS}: a probability is not a number between 0 and 1.")
    return restore_frame(frame)


def _proba(predictions: pd.DataFrame, classes: tuple[str, ...]) -> np.ndarray | None:
    """The stored probabilities in the order of ``classes``, when every genre has its column."""
    columns = [f"{SCORE}{genre}" for genre in classes]
    if not set(columns) <= set(predictions.columns):
        return None
    return predictions[columns].to_numpy(dtype=float)


# ---- importing ---------------------------------------------------------------------------------


def import_bundle(raw: bytes) -> str:
    """Read a bundle (:func:`read_bundle`) and add its run to the local run history, tagged
    "imported" (its source too), under its own name; the new run's id. Nothing in it is
    loaded but numbers and text: the model file is stored as it is.

    Raises
    ------
    BundleError
        For a bundle that cannot be read.
    RunStoreError
        When the run history cannot be written.
    """
    bundle = read_bundle(raw)
    files, manifest = bundle.files, bundle.manifest
    run = manifest["run"]
    confusion = json.loads(files[CONFUSION])
    predictions = _predictions(files[PREDICTIONS])
    curves = json.loads(files[CURVES]) if CURVES in files else []
    curves = [{k: v for k, v in c.items() if not _missing(v)} for c in curves]
    record = Record(
        run["kind"],
        str(run.get("model") or run["kind"]),
        {str(k): v for k, v in json.loads(files[PARAMS]).items()},
        finite_metrics(json.loads(files[METRICS])),
        curves,
        tuple(str(c) for c in confusion["classes"]),
        np.asarray(confusion["matrix"], dtype=float),
        predictions["row"].to_numpy(),
        predictions["true"].astype(str).to_numpy(),
        predictions["pred"].astype(str).to_numpy(),
        {n.removeprefix("model/"): c for n, c in files.items() if n.startswith("model/")},
        str(run.get("name") or ""),
        _proba(predictions, tuple(str(c) for c in confusion["classes"])),
    )
    dataset = str(run.get("dataset") or manifest.get("data", {}).get("dataset") or "")
    run_id = log_result(record, source=IMPORTED, dataset=dataset, recipe=bundle.recipe)
    if run.get("name"):
        rename_run(run_id, str(run["name"])[:250])
    set_run_tags(run_id, [IMPORTED])
    _tag_original(run_id, str(run.get("run_id", ""))[:64])
    return run_id


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _tag_original(run_id: str, original: str) -> None:
    from genre_core.runs.store import client, guard

    found, _, uri = client("tagged")
    with guard(uri, "tagged"):
        found.set_tag(run_id, ORIGINAL_RUN, original)


__all__ = ["IMPORTED", "MAX_BUNDLE_BYTES", "import_bundle", "read_bundle"]
