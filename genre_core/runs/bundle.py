"""A stored run as a bundle that travels: everything needed to see it, check it and train it
again elsewhere, in one zip (or a folder of the same files).

=================== ========================================================================
``bundle.json``     what the bundle holds: the run (id, name, kind, model, dataset), the data
                    file's name and sha256, the seeds, the package versions, the metrics with
                    their 95% intervals, and the sha256 of every other file
``recipe.json``     the recipe that makes the run (``genre-lab run recipe.json`` runs it)
``rows.json``       the train / validation / test rows, as row labels of the data file
                    (its data rows counted from 0, as genre_core reads it)
``metrics.json``    the final metrics, intervals included
``params.json``     the run's parameters as the run history stored them
``predictions.csv`` the test rows one by one: row, true genre, predicted genre
``confusion.json``  the confusion matrix; ``curves.json`` the per-epoch (or SVI) curves
``model/``          the model: ``model.skops`` + ``model.json``, ``network.safetensors`` or
                    ``posterior.safetensors``; never a pickle
``rerun.py``        trains the run again through genre_core from the recipe and the data file
                    (whose sha256 it checks first) and prints the accuracy beside the recorded
                    one: :mod:`genre_core.runs.bundle_rerun`, copied as it is
=================== ========================================================================

:func:`build_bundle` makes one from a stored run; :mod:`genre_core.runs.bundle_import` reads
one back, checked, into the local run history.

A run that was logged without its recipe (the classical models of a "train" batch and the
Bayesian fits) gets one rebuilt from its stored parameters; a rebuilt recipe is accepted only
when it draws exactly the run's test rows with their genres, so a bundle never holds a recipe
that does not make its run.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import subprocess
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genre_core.data.csvsafe import csv_text
from genre_core.data.registry import DATASETS
from genre_core.errors import DataError
from genre_core.runs.history import RunDetails, load_run
from genre_core.settings import PROJECT_ROOT

FORMAT = "genre-lab-bundle/1"
MANIFEST = "bundle.json"
RECIPE = "recipe.json"
ROWS = "rows.json"
METRICS = "metrics.json"
PARAMS = "params.json"
PREDICTIONS = "predictions.csv"
CONFUSION = "confusion.json"
CURVES = "curves.json"
RERUN = "rerun.py"
REQUIRED = (MANIFEST, RECIPE, METRICS, PARAMS, PREDICTIONS, CONFUSION, RERUN)
OPTIONAL = (ROWS, CURVES)
MODEL_SUFFIXES = (".skops", ".safetensors", ".json")
RERUN_SCRIPT = Path(__file__).with_name("bundle_rerun.py")
PACKAGES = (
    "numpy",
    "pandas",
    "scikit-learn",
    "xgboost",
    "torch",
    "pyro-ppl",
    "skops",
    "safetensors",
    "sentence-transformers",
    "mlflow",
)


class BundleError(DataError):
    """A bundle that cannot be read or imported: the message says what is wrong with it."""


@dataclass(frozen=True)
class Bundle:
    """A bundle's files by name (``model/...`` for the model) and its manifest."""

    manifest: dict
    files: dict[str, bytes]

    @property
    def recipe(self) -> dict:
        return json.loads(self.files[RECIPE])

    def zip_bytes(self) -> bytes:
        """The bundle as a zip, its files in a fixed order."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in sorted(self.files):
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (0o755 if name == RERUN else 0o644) << 16
                archive.writestr(info, self.files[name])
        return buffer.getvalue()

    def write(self, out: str | Path) -> Path:
        """Write the bundle to ``out``: a zip when it ends in ``.zip``, else a new (or empty)
        folder holding the files; the path written.

        Raises
        ------
        DataError
            When ``out`` is a folder that already holds files, or cannot be written.
        """
        out = Path(out)
        try:
            if out.suffix.lower() == ".zip":
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(self.zip_bytes())
                return out
            if out.exists() and (not out.is_dir() or any(out.iterdir())):
                raise DataError(
                    f"{out} already exists and is not an empty folder; give a new "
                    "folder, or a path ending in .zip."
                )
            for name, content in self.files.items():
                target = out / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            (out / RERUN).chmod(0o755)
        except OSError as error:
            raise DataError(
                f"the bundle could not be written to {out}: {error.strerror}."
            ) from None
        return out


# ---- the recipe of a stored run ----------------------------------------------------------------


@dataclass(frozen=True)
class Reproduced:
    """A run's recipe, the table it reads and its rows, checked against the stored test rows."""

    recipe: Any  # a Recipe
    table: Any  # the Dataset the run reads (see _table_of)
    rows: dict[str, list] | None  # train / validation / test row labels; None: not known
    rebuilt: bool  # the recipe was rebuilt from the run's parameters


def _texts(value: str | None) -> tuple[str, ...]:
    text = "" if value in (None, "None") else str(value)
    return tuple(t.strip() for t in text.split(", ") if t.strip())


def _given(value: str | None) -> bool:
    return value not in (None, "", "None", "none")


def _split_of(params: Mapping[str, str]):
    from genre_core.data.splits import SplitSpec

    return SplitSpec(
        params.get("split.method", "stratified"),
        params["split.group_column"] if _given(params.get("split.group_column")) else None,
        float(params.get("split.train", 0.7)),
        float(params.get("split.validation", 0.0)),
        float(params.get("split.test", 0.3)),
        int(params.get("split.seed", 0)),
    )


def _train_recipes(details: RunDetails, data) -> list:
    """The "train" recipe of one classical model, from the parameters its run stored."""
    from genre_core.experiments.train import ModelChoice, TrainSpec, model_params
    from genre_core.models.classical import get_model

    params = details.params
    model = params.get("model") or details.tags.get("model", "")
    spec = get_model(model)
    known = {p.name for p in spec.params}
    own = {k[7:]: v for k, v in params.items() if k.startswith("params.") and k[7:] in known}
    feature_set = params.get("feature_set", "numeric")
    data = replace(
        data,
        features=_texts(params.get("features")) if "numeric" in feature_set else (),
        text=_texts(params.get("text")),
        genres=_texts(params.get("genres")),
        sample=int(params["rows"]) if _given(params.get("rows")) else None,
    )
    recipe = TrainSpec(
        data=data,
        split=_split_of(params),
        models=(ModelChoice(model, None, model_params(spec, own)),),
        feature_set=feature_set,
        artist=_given(params.get("artist")),
        artist_profile=_given(params.get("profile")),
        imputer=params.get("prep.imputer", "median"),
        scaler=params.get("prep.scaler", "standard"),
        seed=int(params.get("seed", 0)),
    )
    return [recipe]


def _bayes_recipes(details: RunDetails, data) -> list:
    """The "bayes" recipes a Bayesian fit may have come from: the report's protocol, or a
    70/30 split grouped by a column of the table (what the Bayesian page offers)."""
    from genre_core.data.splits import SplitSpec
    from genre_core.experiments.bayes import BayesSpec
    from genre_core.models.bayes import BAYES_PARAMS

    params = details.params
    values = {
        name: BAYES_PARAMS.get(name).parse(params[name])
        for name in BAYES_PARAMS.names
        if name != "seed" and name in params
    }
    seed = int(params.get("seed", 0))
    data = replace(data, features=_texts(params.get("features")), genres=details.classes)
    base = BayesSpec(
        data=data,
        n_train=int(params["n_train"]),
        n_test=int(details.tags["n_test"]),
        params=values,
        seed=seed,
    )
    grouped = [SplitSpec.of("group", c, test=0.3, seed=seed) for c in ("artist", "id")]
    return [base, *(replace(base, split=s) for s in grouped)]


def _rows_of(recipe, table) -> tuple[Any, dict[str, list], list]:
    """The recipe (its split's group column found in ``table``), its train / validation / test
    row labels on ``table`` (as the kind reads it: :func:`_table_of`), and the test rows as its
    run stored them (row labels; positions for a Bayesian fit)."""
    frame = table.frame
    label = table.roles.label
    index = frame.index.to_numpy()
    if recipe.kind == "bayes":
        from genre_core.experiments.bayes import prepare_data
        from genre_core.experiments.recipe import resolve_split

        if recipe.split is not None:
            recipe = replace(recipe, split=resolve_split(recipe.split, table))
        prepared = prepare_data(recipe, table)
        rows = {
            "train": index[np.sort(prepared.train_rows)],
            "validation": [],
            "test": index[prepared.test_rows],
        }
        return recipe, _plain_rows(rows), [int(r) for r in prepared.test_rows]
    from genre_core.data.preprocess import select_genres
    from genre_core.data.splits import split_rows
    from genre_core.experiments.fitting import kept_positions

    split = recipe.split_on(table)
    genres = list(recipe.data.genres)
    parts = split_rows(select_genres(frame, label, genres).reset_index(drop=True), label, split)
    kept = index[kept_positions(frame, label, genres)]
    rows = _plain_rows(
        {"train": kept[parts.train], "validation": kept[parts.validation], "test": kept[parts.test]}
    )
    return recipe, rows, rows["test"]


def _table_of(recipe, run_id: str):
    """The table a recipe's run reads: with its data choices, but its genres for the kinds
    whose training steps keep them (as ``Recipe.table_and_split`` does)."""
    try:
        return recipe.load_table(genres=recipe.kind == "bayes")
    except DataError as error:
        raise DataError(
            f"run {run_id}: its data cannot be read here ({error}) Give its data file."
        ) from None


def _plain_rows(rows: Mapping[str, Any]) -> dict[str, list]:
    return {k: [v.item() if hasattr(v, "item") else v for v in part] for k, part in rows.items()}


def _same_test_rows(stored: pd.DataFrame, test: list, table, recipe) -> bool:
    """Whether ``test`` (row labels or positions, as the kind stores them) and their genres
    in ``table`` are the stored predictions' rows and true genres."""
    if len(stored) != len(test):
        return False
    if [str(r) for r in stored["row"]] != [str(r) for r in test]:
        return False
    labels = table.frame[table.roles.label]
    genres = labels.iloc[test] if recipe.kind == "bayes" else labels.loc[test]
    return [str(g) for g in genres] == [str(g) for g in stored["true"]]


def reproduce(
    details: RunDetails, data: str | Path | None = None, upload: tuple[str, str] | None = None
) -> Reproduced:
    """The recipe of a stored run, the table it reads and its rows, checked: the recipe's
    split of the table gives the run's test rows with their genres.

    Parameters
    ----------
    details
        The run (:func:`~genre_core.runs.history.load_run`).
    data
        The data file, when the run's own cannot be found here (a run trained on a CSV given
        by path).
    upload
        ``(name, sha256)`` of an upload kept on this machine that may be the run's data; used
        when its name is the run's dataset.

    Raises
    ------
    DataError
        When the data cannot be found, or no recipe draws the run's test rows from it (the
        data file has changed since, or the run's parameters do not say enough).
    """
    from genre_core import experiments
    from genre_core.experiments.recipe import DataSpec

    dataset = details.tags.get("dataset", "")
    source = None
    if data is not None:
        from genre_core.data.fetch import sha256_of

        path = Path(data)
        if not path.is_file():
            raise DataError(f"data: no file {path}.")
        source = DataSpec(str(path), sha256_of(path))
    elif upload is not None and upload[0] == dataset and upload[1]:
        source = DataSpec(upload[0], upload[1])
    if details.recipe is not None:
        recipe = experiments.load_recipe(details.recipe)
        if source is not None:
            recipe = replace(
                recipe, data=replace(recipe.data, source=source.source, sha256=source.sha256)
            )
        candidates, rebuilt = [recipe], False
    else:
        base = source or DataSpec(dataset or "spotify-30k")
        kind = details.tags.get("kind", "")
        rebuild = {"classical": _train_recipes, "bayes": _bayes_recipes}.get(kind)
        if rebuild is None:
            raise DataError(
                f"run {details.run_id} was stored without its recipe, and a {kind or 'such'} "
                "run cannot be rebuilt from its parameters."
            )
        try:
            candidates = rebuild(details, base)
        except (KeyError, ValueError, TypeError) as error:  # an older run's parameters
            raise DataError(
                f"run {details.run_id} was stored without its recipe, and its parameters do "
                f"not say enough to rebuild it ({type(error).__name__}: {error})."
            ) from None
        rebuilt = True
    table = None
    for recipe in candidates:
        if table is None:
            table = _table_of(recipe, details.run_id)
        if recipe.kind not in ("train", "net", "bayes"):
            return Reproduced(recipe, table, None, rebuilt)
        try:
            recipe, rows, test = _rows_of(recipe, table)
        except DataError:
            continue
        if _same_test_rows(details.predictions, test, table, recipe):
            return Reproduced(recipe, table, rows, rebuilt)
    what = "its stored recipe" if not rebuilt else "the recipe rebuilt from its parameters"
    raise DataError(
        f"run {details.run_id}: {what} does not draw the run's test rows from {table.name} "
        "here, so the data file differs from the one it was trained on"
        + (" (or the run's parameters do not say how its rows were chosen)." if rebuilt else ".")
        + (" Give the run's own data file." if data is None else "")
    )


# ---- building a bundle -------------------------------------------------------------------------


def package_versions() -> dict[str, str | None]:
    """Python's version, the versions of the packages a run's numbers depend on (``None``:
    not installed), and genre_core's git commit when it runs from a checkout."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["genre_core"] = _git_commit()
    return versions


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) == 40 else None


def seeds_of(recipe: Mapping[str, Any], prefix: str = "") -> dict[str, int]:
    """Every ``seed`` field of a recipe's dict, by its dotted place (``seed``, ``split.seed``)."""
    found: dict[str, int] = {}
    for key, value in recipe.items():
        where = f"{prefix}{key}"
        if key == "seed" and isinstance(value, int):
            found[where] = value
        elif isinstance(value, Mapping):
            found |= seeds_of(value, where + ".")
    return found


def _model_files(run_id: str) -> dict[str, bytes]:
    from genre_core.runs.store import client, guard

    found, _, uri = client("read")
    files: dict[str, bytes] = {}
    with guard(uri, "read"), tempfile.TemporaryDirectory(prefix="genre-bundle-") as folder:
        try:
            local = Path(found.download_artifacts(run_id, "model", folder))
        except Exception:  # noqa: BLE001 - a run stored without a model
            return files
        for path in sorted(local.iterdir()):
            if path.is_file() and path.suffix in MODEL_SUFFIXES:
                files[f"model/{path.name}"] = path.read_bytes()
    return files


def _data_fingerprint(reproduced: Reproduced) -> dict:
    from genre_core.data.fetch import sha256_of

    table, spec = reproduced.table, reproduced.recipe.data
    if table.path and Path(table.path).is_file():
        path = Path(table.path)
        return {
            "name": path.name,
            "sha256": sha256_of(path),
            "dataset": spec.name,
            "rows": int(len(table.frame)),
        }
    return {
        "name": spec.name,
        "sha256": spec.sha256,
        "dataset": spec.name,
        "rows": int(len(table.frame)),
    }


def _portable(recipe: dict, data: dict) -> dict:
    """The recipe with its data named as a bundle names it: a known dataset by its name, a
    file by its name (not a path of this machine) and its sha256."""
    source = recipe["data"]["source"]
    if source not in DATASETS:
        recipe["data"] = {**recipe["data"], "source": data["name"], "sha256": data["sha256"]}
    return recipe


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def build_bundle(
    run_id: str, data: str | Path | None = None, upload: tuple[str, str] | None = None
) -> Bundle:
    """The bundle of a stored run (see the module's docstring for what it holds).

    ``data`` and ``upload`` say where its data file is when the run cannot say
    (:func:`reproduce`).

    Raises
    ------
    DataError
        When the run cannot be read, its data cannot be found, or no recipe makes it.
    """
    details = load_run(run_id)
    reproduced = reproduce(details, data, upload)
    fingerprint = _data_fingerprint(reproduced)
    recipe = _portable(json.loads(reproduced.recipe.to_json()), fingerprint)
    metrics = dict(details.metrics)
    files = {
        RECIPE: _json(recipe),
        METRICS: _json(metrics),
        PARAMS: _json(details.params),
        PREDICTIONS: csv_text(details.predictions, index=False).encode(),
        CONFUSION: _json(
            {
                "classes": list(details.classes),
                "matrix": np.asarray(details.confusion).astype(int).tolist(),
            }
        ),
        RERUN: RERUN_SCRIPT.read_bytes(),
        **_model_files(run_id),
    }
    if reproduced.rows is not None:
        files[ROWS] = _json(
            {
                "about": "row labels of the table as genre_core reads the data file (for a "
                "plain CSV file, its data rows counted from 0)",
                **reproduced.rows,
            }
        )
    if len(details.curves):
        files[CURVES] = _json(json.loads(details.curves.to_json(orient="records")))
    manifest = {
        "format": FORMAT,
        "run": {
            "run_id": details.run_id,
            "name": details.name,
            **{k: details.tags.get(k, "") for k in ("kind", "model", "dataset", "source")},
            "n_test": int(details.tags.get("n_test", 0) or 0),
            "test_hash": details.test_hash,
            "recipe": "rebuilt from the run's parameters" if reproduced.rebuilt else "stored",
        },
        "data": fingerprint,
        "seeds": seeds_of(recipe),
        "versions": package_versions(),
        "metrics": {
            "accuracy": metrics.get("accuracy"),
            "accuracy_ci95": [metrics.get("accuracy_ci_low"), metrics.get("accuracy_ci_high")],
            "f1_macro": metrics.get("f1_macro"),
            "f1_macro_ci95": [metrics.get("f1_macro_ci_low"), metrics.get("f1_macro_ci_high")],
        },
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
    }
    files[MANIFEST] = _json(manifest)
    return Bundle(manifest, files)


def export_bundle(run_id: str, out: str | Path, data: str | Path | None = None) -> Path:
    """Write the bundle of a stored run to ``out`` (a ``.zip``, else a folder); the path.

    Raises
    ------
    DataError
        As :func:`build_bundle` and :meth:`Bundle.write`.
    """
    return build_bundle(run_id, data).write(out)


# ---- rerunning ---------------------------------------------------------------------------------


def outcome_accuracy(outcome) -> float:
    """The test accuracy of a job's single run, unrounded (for comparing with a record).

    Raises
    ------
    DataError
        For a job that made several runs, or none with an accuracy.
    """
    result = outcome.result
    runs = getattr(result, "runs", None)
    if runs is not None and len(runs) == 1:
        result = runs[0].result
    evaluation = getattr(result, "evaluation", None)
    if evaluation is not None:
        return float(evaluation.metrics["accuracy"])
    summary = outcome.summary.get("runs", [])
    if len(summary) == 1 and summary[0].get("accuracy") is not None:
        return float(summary[0]["accuracy"])
    raise DataError("this job does not make a single run with an accuracy to compare.")


__all__ = [
    "FORMAT",
    "Bundle",
    "BundleError",
    "Reproduced",
    "build_bundle",
    "export_bundle",
    "outcome_accuracy",
    "package_versions",
    "reproduce",
    "seeds_of",
]
