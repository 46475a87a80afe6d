"""The run history: every finished training run, kept in an MLflow tracking store.

A run holds its parameters, per-epoch and final metrics, the confusion matrix, the test-set
predictions row by row (with a hash of the test rows, so two runs tested on the same rows can
be paired), the model (skops for scikit-learn and XGBoost pipelines, safetensors + JSON for
networks and posteriors; nothing is pickled, nothing is unpickled on loading) and, when given,
the recipe that made it (``recipe.json``), so a stored run can be run again.

A result tells the history what to store through its ``record()`` method (a
:class:`~genre_core.runs.records.Record`); :func:`record_of` still reads the results that do not
have one yet by their attributes. Where the store lives and its error messages:
:mod:`genre_core.runs.store`.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from genre_core.data.csvsafe import restore_frame, write_csv
from genre_core.errors import DataError
from genre_core.runs.records import (
    SCORE,
    Record,
    finite_metrics,
    run_facets,
    run_name,
)
from genre_core.runs.store import (
    RunStoreError,
    client,
    describe,
    guard,
    store_exists,
)

SUMMARY_METRICS = ("accuracy", "f1_macro", "balanced_accuracy", "log_loss")
EPOCH_PREFIX = "epoch."  # per-epoch metrics are logged as "epoch.valid_acc" etc., step = epoch
RECIPE_FILE = "recipe.json"
USER_TAGS = "genre_lab.tags"  # the tags a user gave a run, as a JSON list
MAX_NAME = 250  # MLflow's limit on a run's name
MAX_TAG = 40
NOT_SAVED = "The run was not saved to the history: "  # how a store failure's warning begins

# The only types a stored scikit-learn/XGBoost pipeline may contain beyond skops' defaults.
# Anything else in a file is refused: it would need code we have not vetted to rebuild it.
TRUSTED_TYPES = frozenset(
    {
        "numpy.dtype",
        "sklearn.tree._tree.Tree",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn._loss.loss.HalfMultinomialLoss",
        "sklearn._loss.link.MultinomialLogit",
        "sklearn._loss.link.Interval",
        "genre_core.models.classical.XGBLabelClassifier",  # where stores before 2026-12 name it
        "genre_core.models.boosting.XGBLabelClassifier",
        "genre_core.models.best.StackedBoostClassifier",
        "genre_core.models.classical.SVMClassifier",
        "genre_core.runs.checkpoints.AffinePrep",
        "xgboost.core.Booster",
        "xgboost.sklearn.XGBClassifier",
    }
)


@dataclass(frozen=True)
class RunDetails:
    """One stored run read back: what the Compare page shows."""

    run_id: str
    name: str
    tags: dict[str, str]
    params: dict[str, str]
    metrics: dict[str, float]
    curves: pd.DataFrame  # columns epoch and one per per-epoch metric; empty for none
    classes: tuple[str, ...]
    confusion: np.ndarray
    predictions: pd.DataFrame  # columns row, true, pred
    recipe: dict | None = None  # the recipe that made the run (its JSON), when it was stored

    @property
    def test_hash(self) -> str:
        return self.tags.get("test_hash", "")


# ---- turning results into records ---------------------------------------------------------------


def record_of(result: Any) -> Record:
    """The :class:`Record` of a result: every result of a job says what to store through its
    own ``record()`` (``TrainResult``, ``NetResult``, ``BayesResult``, ...).

    Raises
    ------
    DataError
        For an object that is not a result.
    """
    if isinstance(result, Record):
        return result
    own = getattr(result, "record", None)
    if callable(own):
        return own()
    raise DataError(f"cannot log a {type(result).__name__}: not a training result.")


def test_hash(rows: np.ndarray, true: np.ndarray, dataset: str | None) -> str:
    """A short hash naming a test set: the dataset, the rows' index labels and their genres."""
    digest = hashlib.sha256()
    for part in (str(dataset or ""), "\x1f".join(map(str, rows)), "\x1f".join(map(str, true))):
        digest.update(part.encode())
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


# ---- logging ----------------------------------------------------------------------------------


def _param_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    text = str(value)
    return text if len(text) <= 500 else text[:497] + "..."


def log_result(
    result: Any,
    *,
    source: str,
    dataset: str | None = None,
    data_key: str | None = None,
    recipe: Any = None,
) -> str:
    """Log one finished run and return its MLflow run id.

    Parameters
    ----------
    result
        Anything :func:`record_of` reads: a result with ``record()``, a ``TrainResult``, a
        ``NetResult``, the Bayesian result dict, or a :class:`Record`.
    source
        Where it was trained: "train", "networks", "bayes", "cli", "search", "recipe", …
    dataset
        The dataset's name (a filter on the Compare page).
    data_key
        What names the data's content and choices (genres kept, merges); with the test rows'
        positions and genres it makes the test-set hash. Defaults to ``dataset``.
    recipe
        The recipe that made the run (a :class:`~genre_core.experiments.recipe.Recipe`, or its
        dict): stored as ``recipe.json`` with the tag ``recipe_kind``, read back by
        :func:`load_run`.

    Raises
    ------
    RunStoreError
        When the store is locked, corrupted, unreachable or on a full disk. A run that failed
        half-way is marked FAILED (and hidden), or deleted when it cannot be marked; no other
        run is touched.
    """
    from mlflow.entities import Metric, Param, RunTag

    record = record_of(result)
    recipe_dict = _recipe_dict(recipe)
    found, experiment_id, uri = client("logged")
    digest = test_hash(record.rows, record.true, data_key or dataset)
    tags = {
        "source": source,
        "dataset": dataset or "",
        "kind": record.kind,
        "model": record.model,
        "test_hash": digest,
        "n_test": str(len(record.rows)),
    }
    if recipe_dict is not None:
        tags["recipe_kind"] = str(recipe_dict.get("kind", ""))
    run_id = None
    with guard(uri, "logged"):
        name = run_name(record.title or record.model, record.params, recipe_dict, dataset)
        run = found.create_run(experiment_id, tags=tags, run_name=name[:MAX_NAME])
        run_id = run.info.run_id
        try:
            params = [Param(k, _param_text(v)) for k, v in record.params.items()]
            now = run.info.start_time
            metrics = [Metric(k, v, now, 0) for k, v in record.metrics.items()]
            for row in record.curves:
                step = int(row.get("epoch", 0))
                for key, value in finite_metrics(
                    {k: v for k, v in row.items() if k != "epoch"}
                ).items():
                    metrics.append(Metric(EPOCH_PREFIX + key, value, now, step))
            for start in range(0, max(len(params), 1), 100):
                found.log_batch(run_id, params=params[start : start + 100])
            for start in range(0, len(metrics), 1000):
                found.log_batch(run_id, metrics=metrics[start : start + 1000])
            found.log_batch(run_id, tags=[RunTag("mlflow.note.content", _note(record, source))])
            with tempfile.TemporaryDirectory(prefix="genre-run-") as folder:
                _write_artifacts(Path(folder), record, recipe_dict)
                found.log_artifacts(run_id, folder)
            found.set_terminated(run_id, "FINISHED")
        except Exception:
            _abandon(found, run_id)
            raise
    return run_id


def _abandon(found, run_id: str) -> None:
    """Mark a half-written run FAILED or, when even that write fails (a full disk may still
    take a deletion, which frees a row), delete it: it must never stay RUNNING."""
    for attempt in (lambda: found.set_terminated(run_id, "FAILED"),
                    lambda: found.delete_run(run_id)):  # fmt: skip
        try:
            attempt()
            return
        except Exception:  # noqa: BLE001, S112 - the store is failing; the next attempt may pass
            continue


def _recipe_dict(recipe: Any) -> dict | None:
    if recipe is None:
        return None
    if isinstance(recipe, Mapping):
        return json.loads(json.dumps(dict(recipe)))  # a plain JSON copy (fails early if not)
    return json.loads(recipe.to_json())


def _write_artifacts(root: Path, record: Record, recipe: dict | None) -> None:
    (root / "model").mkdir()
    for name, content in record.model_files.items():
        (root / "model" / name).write_bytes(content)
    (root / "confusion.json").write_text(
        json.dumps(
            {"classes": list(record.classes), "matrix": np.asarray(record.confusion).tolist()}
        )
    )
    predictions = pd.DataFrame({"row": record.rows, "true": record.true, "pred": record.pred})
    proba = None if record.proba is None else np.asarray(record.proba, dtype=float)
    if proba is not None and proba.shape == (len(record.rows), len(record.classes)):
        for i, genre in enumerate(record.classes):  # what precision-recall curves are drawn from
            predictions[f"{SCORE}{genre}"] = np.round(proba[:, i], 5)
    write_csv(predictions, root / "predictions.csv", index=False)
    if record.curves:
        (root / "curves.json").write_text(json.dumps(record.curves))
    if recipe is not None:
        (root / RECIPE_FILE).write_text(json.dumps(recipe, indent=2))


def _note(record: Record, source: str) -> str:
    return f"{record.kind} model {record.model}, trained from {source}."


def log_event(result: Any, **where: Any) -> dict:
    """:func:`log_result` as a job event (``where``: its ``source``, ``dataset``, ``data_key``
    and ``recipe``): ``{"stage": "logged", "run_id"}`` or, when the store fails,
    ``{"stage": "store-error", "message"}``; never raises, so a trained result is kept."""
    try:
        return {"stage": "logged", "run_id": log_result(result, **where)}
    except DataError as error:
        message = str(error)
    except Exception as error:  # an unforeseen failure must not lose the trained result
        message = f"{type(error).__name__}: {error}"
    return {"stage": "store-error", "message": NOT_SAVED + message}


def store_failures(warnings: list[str]) -> list[str]:
    """The warnings of an outcome that say a run could not be stored (the CLI then exits 1)."""
    return [w for w in warnings if w.startswith(NOT_SAVED)]


# ---- reading ----------------------------------------------------------------------------------

LIST_COLUMNS = (
    "run_id",
    "name",
    "split",
    "features",
    "data",
    "tags",
    "started",
    "source",
    "dataset",
    "kind",
    "model",
    *SUMMARY_METRICS,
    "n_test",
    "test_hash",
)


def list_runs(max_results: int = 1000) -> pd.DataFrame:
    """The finished runs, newest first: id, name, split, feature set and data (read from the
    run's parameters, :data:`~genre_core.runs.records.NO_VALUE` where a run lacks them), the
    user's tags (comma-separated), start time, source, dataset, kind, model, the headline
    metrics, test size and the test rows' hash.

    Raises
    ------
    RunStoreError
        When the store cannot be read.
    """
    if not store_exists():  # nothing logged yet: don't create the store
        return pd.DataFrame(columns=list(LIST_COLUMNS))
    found, experiment_id, uri = client("read")
    with guard(uri, "read"):
        runs = found.search_runs(
            [experiment_id],
            filter_string="attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
            max_results=max_results,
        )
    rows = []
    for run in runs:
        tags, metrics = run.data.tags, run.data.metrics
        rows.append(
            {
                "run_id": run.info.run_id,
                "name": run.info.run_name,
                **run_facets(run.data.params, dataset=tags.get("dataset", "")),
                "tags": ", ".join(user_tags(tags)),
                "started": pd.Timestamp(run.info.start_time, unit="ms", tz="UTC"),
                "source": tags.get("source", ""),
                "dataset": tags.get("dataset", ""),
                "kind": tags.get("kind", ""),
                "model": tags.get("model", ""),
                **{m: metrics.get(m, np.nan) for m in SUMMARY_METRICS},
                "n_test": int(tags.get("n_test", 0) or 0),
                "test_hash": tags.get("test_hash", ""),
            }
        )
    return pd.DataFrame(rows, columns=list(LIST_COLUMNS))


def _artifact(found, run_id: str, path: str, folder: str) -> Path | None:
    try:
        return Path(found.download_artifacts(run_id, path, folder))
    except Exception:  # an older or half-written run without this file
        return None


def load_run(run_id: str) -> RunDetails:
    """A stored run's tags, parameters, final metrics, curves, confusion matrix, test
    predictions and, when it was stored with one, its recipe (as a dict).

    Raises
    ------
    RunStoreError
        When the store cannot be read or holds no such run.
    """
    found, _, uri = client("read")
    with guard(uri, "read"):
        run = _existing(found, run_id, uri, deleted=True)
        data = run.data
        final = {k: v for k, v in data.metrics.items() if not k.startswith(EPOCH_PREFIX)}
        curve_keys = [k for k in data.metrics if k.startswith(EPOCH_PREFIX)]
        columns: dict[str, pd.Series] = {}
        for key in curve_keys:
            history = found.get_metric_history(run_id, key)
            columns[key[len(EPOCH_PREFIX) :]] = pd.Series(
                {m.step: m.value for m in history}, dtype=float
            )
        curves = pd.DataFrame(columns).sort_index().rename_axis("epoch").reset_index()
        if not curve_keys:
            curves = pd.DataFrame(columns=["epoch"])
        with tempfile.TemporaryDirectory(prefix="genre-run-") as folder:
            confusion_file = _artifact(found, run_id, "confusion.json", folder)
            predictions_file = _artifact(found, run_id, "predictions.csv", folder)
            recipe_file = (
                _artifact(found, run_id, RECIPE_FILE, folder)
                if "recipe_kind" in data.tags
                else None
            )
            recipe = json.loads(recipe_file.read_text()) if recipe_file else None
            confusion = (
                json.loads(confusion_file.read_text())
                if confusion_file
                else {"classes": [], "matrix": []}
            )
            predictions = (
                restore_frame(pd.read_csv(predictions_file, dtype={"true": str, "pred": str}))
                if predictions_file
                else pd.DataFrame(columns=["row", "true", "pred"])
            )
    return RunDetails(
        run_id,
        run.info.run_name or run_id,
        dict(data.tags),
        dict(data.params),
        final,
        curves,
        tuple(confusion["classes"]),
        np.asarray(confusion["matrix"], dtype=float).reshape(
            len(confusion["classes"]), len(confusion["classes"])
        ),
        predictions,
        recipe,
    )


def load_model(run_id: str):
    """The stored model of a run, ready to predict: a Pipeline for classical models and
    networks. Classical pipelines are read by skops, which refuses any type outside
    :data:`TRUSTED_TYPES`; networks from safetensors + JSON. Nothing is unpickled.

    Raises
    ------
    RunStoreError
        When the store cannot be read or the run has no model.
    DataError
        When the stored file holds a type that is not trusted.
    """
    found, _, uri = client("read")
    with guard(uri, "read"), tempfile.TemporaryDirectory(prefix="genre-model-") as folder:
        kind = found.get_run(run_id).data.tags.get("kind", "")
        if kind == "classical":
            path = _artifact(found, run_id, "model/model.skops", folder)
            if path is None:
                raise RunStoreError(f"run {run_id} has no stored model.")
            return load_skops(path.read_bytes())
        if kind == "network":
            from genre_core.runs.checkpoints import load_network_bytes

            path = _artifact(found, run_id, "model/network.safetensors", folder)
            if path is None:
                raise RunStoreError(f"run {run_id} has no stored network.")
            return load_network_bytes(path.read_bytes(), path.name).pipeline
    raise DataError(f"run {run_id} holds a {kind or 'unknown'} model, which cannot be reloaded.")


def load_fitted(run_id: str) -> tuple[Any, RunDetails, tuple[str, ...]]:
    """A stored run's model (:func:`load_model`), its details and the features it reads.

    Raises
    ------
    DataError
        Besides :func:`load_model`'s: when the run does not name its model's features.
    """
    details = load_run(run_id)
    model = load_model(run_id)
    features = tuple(f.strip() for f in details.params.get("features", "").split(",") if f)
    if not features or len(features) != getattr(model, "n_features_in_", len(features)):
        raise DataError("the stored run does not say which features its model reads.")
    return model, details, features


def load_skops(raw: bytes):
    """A pipeline from skops bytes, refusing types outside :data:`TRUSTED_TYPES`.

    Raises
    ------
    DataError
        Naming the untrusted types found.
    """
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=raw)
    except Exception as error:
        raise DataError(f"the stored model is not a readable skops file: {error}") from None
    refused = sorted(set(untrusted) - TRUSTED_TYPES)
    if refused:
        raise DataError(
            "the stored model holds types that are not trusted, so it is not loaded: "
            + ", ".join(refused)
        )
    return sio.loads(raw, trusted=list(untrusted))


# ---- a user's changes -------------------------------------------------------------------------


def user_tags(tags: Mapping[str, str]) -> list[str]:
    """The tags a user gave a run, read from its MLflow tags (none for a run without)."""
    try:
        found = json.loads(tags.get(USER_TAGS, "[]"))
    except ValueError:
        return []
    return [str(t) for t in found] if isinstance(found, list) else []


def rename_run(run_id: str, name: str) -> str:
    """Give a run a new name (MLflow's ``mlflow.runName``); the name as stored.

    Raises
    ------
    DataError
        For an empty name or one longer than :data:`MAX_NAME` characters.
    RunStoreError
        When the store cannot be written or holds no such run.
    """
    name = " ".join(str(name).split())
    if not name:
        raise DataError("a run needs a name: type one.")
    if len(name) > MAX_NAME:
        raise DataError(f"a run's name can be at most {MAX_NAME} characters, not {len(name)}.")
    found, _, uri = client("renamed")
    with guard(uri, "renamed"):
        _existing(found, run_id, uri)
        found.update_run(run_id, name=name)
    return name


def set_run_tags(run_id: str, tags: Iterable[str]) -> list[str]:
    """Replace a run's user tags by ``tags`` (blanks and repeats dropped; none: remove them);
    the tags as stored.

    Raises
    ------
    DataError
        For a tag longer than :data:`MAX_TAG` characters or holding a comma.
    RunStoreError
        When the store cannot be written or holds no such run.
    """
    kept = list(dict.fromkeys(" ".join(str(t).split()) for t in tags))
    kept = [t for t in kept if t]
    for tag in kept:
        if len(tag) > MAX_TAG or "," in tag:
            raise DataError(
                f"tag '{tag[:MAX_TAG]}': a tag is at most {MAX_TAG} characters, without commas."
            )
    found, _, uri = client("tagged")
    with guard(uri, "tagged"):
        run = _existing(found, run_id, uri)
        if kept:
            found.set_tag(run_id, USER_TAGS, json.dumps(kept))
        elif USER_TAGS in run.data.tags:
            found.delete_tag(run_id, USER_TAGS)
    return kept


def delete_run(run_id: str) -> None:
    """Mark a run deleted: it leaves the history (MLflow keeps its rows and files until the
    store is garbage-collected, so ``mlflow gc`` or a restore can still act on it). The lab
    has no user accounts: any run can be deleted, whoever made it.

    Raises
    ------
    RunStoreError
        When the store cannot be written, holds no such run, or the run is already deleted.
    """
    found, _, uri = client("deleted")
    with guard(uri, "deleted"):
        _existing(found, run_id, uri)
        found.delete_run(run_id)


def _existing(found, run_id: str, uri: str, *, deleted: bool = False):
    """The run ``run_id`` (unless it is deleted and ``deleted`` is false), or
    :class:`RunStoreError` saying there is none."""
    try:
        run = found.get_run(run_id)
    except Exception as error:
        if "not found" in str(error).lower() or "RESOURCE_DOES_NOT_EXIST" in str(error):
            raise RunStoreError(f"no run {run_id} in {describe(uri)}.") from None
        raise
    if run.info.lifecycle_stage == "deleted" and not deleted:
        raise RunStoreError(f"run {run_id} was deleted from {describe(uri)}.")
    return run
