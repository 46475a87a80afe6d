"""The run history: every finished training run, kept in an MLflow tracking store.

A run holds its parameters, per-epoch and final metrics, the confusion matrix, the test-set
predictions row by row (with a hash of the test rows, so two runs tested on the same rows can
be paired) and the model: skops for scikit-learn and XGBoost pipelines, safetensors + JSON for
networks and posteriors. Nothing is pickled, and nothing is unpickled on loading.

The store is SQLite in :func:`genre_core.settings.runs_dir` (artifacts next to it), or
``$MLFLOW_TRACKING_URI`` for a team server. mlflow is imported on first use only: importing it
takes about two seconds, which the app's first page must not pay.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd

from genre_core.errors import DataError
from genre_core.settings import tracking_uri

EXPERIMENT = "genre-lab"
SQLITE_HEADER = b"SQLite format 3\x00"
SUMMARY_METRICS = ("accuracy", "f1_macro", "balanced_accuracy", "log_loss")
EPOCH_PREFIX = "epoch."  # per-epoch metrics are logged as "epoch.valid_acc" etc., step = epoch

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
        "genre_core.models.classical.XGBLabelClassifier",
        "genre_core.models.classical.SVMClassifier",
        "genre_core.runs.checkpoints.AffinePrep",
        "xgboost.core.Booster",
        "xgboost.sklearn.XGBClassifier",
    }
)


class RunStoreError(DataError):
    """The run store cannot be read or written (locked, corrupted, unreachable)."""


@dataclass(frozen=True)
class Record:
    """What every kind of result gives the history, in one shape."""

    kind: str  # "classical", "network" or "bayes"
    model: str
    params: dict[str, Any]
    metrics: dict[str, float]
    curves: list[dict]  # one dict per epoch (networks) or step (SVI loss)
    classes: tuple[str, ...]
    confusion: np.ndarray
    rows: np.ndarray
    true: np.ndarray
    pred: np.ndarray
    model_files: dict[str, bytes]  # file name -> content, written under model/
    title: str = ""  # the model and what differs from its defaults, e.g. "logreg (C=0.01)"


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

    @property
    def test_hash(self) -> str:
        return self.tags.get("test_hash", "")


# ---- the store --------------------------------------------------------------------------------


def _sqlite_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "sqlite":
        return None
    return Path(unquote(uri[len("sqlite:///") :]))


def _describe(uri: str) -> str:
    path = _sqlite_path(uri)
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
    path = _sqlite_path(uri)
    if path is None or not path.exists():
        return
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise RunStoreError(f"{_describe(uri)} cannot be read: {error.strerror}.") from None
    if head and head != SQLITE_HEADER:
        raise RunStoreError(
            f"{_describe(uri)} is not an SQLite database (corrupted, or another file at "
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
        raise _explain(uri, "logged" if write else "read", error) from None


def _explain(uri: str, action: str, error: BaseException) -> RunStoreError:
    text = str(error)
    lowered = text.lower()
    where = _describe(uri)
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


@contextmanager
def _guard(uri: str, action: str) -> Iterator[None]:
    try:
        yield
    except RunStoreError:
        raise
    except DataError:
        raise
    except Exception as error:  # mlflow and SQLAlchemy raise many kinds; all mean the store
        raise _explain(uri, action, error) from error


_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _client_for(uri: str):
    import os

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no bars in logs
    from mlflow.tracking import MlflowClient

    path = _sqlite_path(uri)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=uri)


def _client(action: str):
    """The client and the experiment id for the current store (created on first use)."""
    uri = tracking_uri()
    check_store(uri, write=action != "read")
    with _guard(uri, action), _lock:
        path = _sqlite_path(uri)
        if path is not None and not path.exists():  # new, or a broken one moved aside
            _client_for.cache_clear()  # a cached client would not create the tables again
        client = _client_for(uri)
        experiment = client.get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            location = None
            path = _sqlite_path(uri)
            if path is not None:  # the default would be ./mlruns of wherever the app started
                location = (path.parent / "artifacts").as_uri()
            experiment_id = client.create_experiment(EXPERIMENT, artifact_location=location)
        else:
            experiment_id = experiment.experiment_id
    return client, experiment_id, uri


# ---- turning results into records ---------------------------------------------------------------


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flat(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out[prefix] = value


def _confusion(true: np.ndarray, pred: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(true, pred, labels=list(classes))


def _finite(metrics: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in metrics.items():
        if isinstance(value, (int, float, np.floating, np.integer)) and np.isfinite(value):
            out[key] = float(value)
    return out


def _evaluation_metrics(evaluation) -> dict[str, float]:
    metrics = dict(evaluation.metrics)
    for name, (low, high) in evaluation.intervals.items():
        metrics[f"{name}_ci_low"], metrics[f"{name}_ci_high"] = low, high
    metrics["train_accuracy"] = evaluation.train_accuracy
    metrics["validation_accuracy"] = evaluation.validation_accuracy
    metrics["gap"] = evaluation.gap
    return _finite(metrics)


def _skops_bytes(pipeline) -> bytes:
    import skops.io as sio

    return sio.dumps(pipeline)


def record_of(result: Any) -> Record:
    """A :class:`Record` of a ``TrainResult``, a ``NetResult`` or the Bayesian page's result
    (a dict with ``fit``, ``data`` and ``predictions``).

    Raises
    ------
    DataError
        For another kind of object, or a result without its test rows.
    """
    from genre_core.experiments.train import TrainResult
    from genre_core.models.networks import NetResult

    if isinstance(result, Record):
        return result
    if isinstance(result, TrainResult):
        return _classical_record(result)
    if isinstance(result, NetResult):
        return _network_record(result)
    if isinstance(result, Mapping) and {"fit", "data", "predictions"} <= set(result):
        return _bayes_record(result)
    raise DataError(f"cannot log a {type(result).__name__}: not a training result.")


def _held_out(result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    held = result.held_out
    if held is None:
        raise DataError("this result does not keep its test rows; train it again to log it.")
    return np.asarray(held.rows), np.asarray(held.true).astype(str), np.asarray(held.pred)


def _classical_record(result) -> Record:
    rows, true, pred = _held_out(result)
    params: dict[str, Any] = {}
    _flat("", {**dataclasses.asdict(result.config), "params": result.params}, params)
    metrics = _evaluation_metrics(result.evaluation)
    metrics["fit_seconds"] = result.fit_seconds
    meta = {"features": list(result.features), "classes": list(result.classes)}
    return Record(
        "classical",
        result.config.model,
        params,
        metrics,
        [],
        tuple(result.classes),
        np.asarray(result.evaluation.confusion),
        rows,
        true,
        pred.astype(str),
        {
            "model.skops": _skops_bytes(result.pipeline),
            "model.json": json.dumps(meta, indent=2).encode(),
        },
        _title(result.config.model, result.params),
    )


def _title(model: str, params: Mapping[str, Any]) -> str:
    from genre_core.models.classical import MODELS

    defaults = MODELS[model].defaults if model in MODELS else {}
    changed = [f"{k}={v}" for k, v in params.items() if defaults.get(k) != v]
    return f"{model} ({', '.join(changed)})" if changed else model


def _network_record(result) -> Record:
    from genre_core.runs.checkpoints import network_bytes

    rows, true, pred = _held_out(result)
    params: dict[str, Any] = {}
    _flat("", dataclasses.asdict(result.config), params)
    metrics = _evaluation_metrics(result.evaluation)
    metrics["fit_seconds"] = result.seconds
    metrics["epochs"] = len(result.history)
    metrics["kept_epoch"] = result.kept_epoch
    cfg = result.config.params
    kind = str(cfg.get("kind", "mlp"))
    hidden = cfg.get("hidden", ())
    model = f"{kind} {'-'.join(map(str, hidden))}".strip() if kind == "mlp" else kind
    files = {
        "network.safetensors": network_bytes(
            result.pipeline,
            result.features,
            {"stop_reason": result.stop_reason},
            getattr(result, "inputs", None),
        )
    }
    return Record(
        "network",
        model,
        params,
        metrics,
        [dict(row) for row in result.history],
        tuple(result.evaluation.classes),
        np.asarray(result.evaluation.confusion),
        rows,
        true,
        pred.astype(str),
        files,
    )


def transfer_records(result) -> list[Record]:
    """One :class:`Record` per option of a ``transfer.TransferResult`` (its source network is
    a means, not a run to compare: it saw five genres)."""
    from safetensors.torch import save

    config = result.config
    params: dict[str, Any] = {}
    _flat("", dataclasses.asdict(config), params)
    records = []
    for name, run in result.runs.items():
        rows, true, pred = _held_out(run)
        metrics = _evaluation_metrics(run.evaluation)
        metrics |= {"fit_seconds": run.seconds, "epochs": len(run.history)}
        metrics |= {"kept_epoch": run.kept_epoch, "trainable_weights": run.trainable}
        if run.epochs_to_target is not None:
            metrics["epochs_to_target"] = run.epochs_to_target
        state = {k: v.detach().contiguous() for k, v in run.network.module_.state_dict().items()}
        architecture = json.dumps(run.network.architecture())
        weights = save(state, metadata={"architecture": architecture, "option": name})
        records.append(
            Record(
                "network",
                f"transfer {name}",
                {**params, "option": name},
                metrics,
                [dict(row) for row in run.history],
                tuple(run.evaluation.classes),
                np.asarray(run.evaluation.confusion),
                rows,
                true,
                np.asarray(pred).astype(str),
                {"network.safetensors": weights},
                title=f"transfer to {config.new_genre}: {name}",
            )
        )
    return records


def _bayes_record(result: Mapping) -> Record:
    from safetensors.numpy import save

    from genre_core.models import bayes

    fitted, data, predictions = result["fit"], result["data"], result["predictions"]
    classes = tuple(fitted.classes)
    names = np.asarray(classes)
    true = names[np.asarray(data.y_test)]
    pred = names[np.asarray(predictions.proba).argmax(axis=1)]
    metrics = bayes.metrics(np.asarray(data.y_test), predictions, classes)
    from sklearn.metrics import balanced_accuracy_score, f1_score

    metrics["f1_macro"] = f1_score(true, pred, labels=list(classes), average="macro")
    metrics["balanced_accuracy"] = balanced_accuracy_score(true, pred)
    metrics["fit_seconds"] = fitted.seconds
    params: dict[str, Any] = {}
    _flat("", dataclasses.asdict(fitted.config), params)
    params["features"] = list(fitted.features)
    params["n_train"] = fitted.n_train
    elbo = np.asarray(fitted.elbo)
    every = max(1, len(elbo) // 500)
    curves = [{"epoch": int(i + 1), "elbo": float(elbo[i])} for i in range(0, len(elbo), every)]
    config = {"config": dataclasses.asdict(fitted.config), "classes": list(classes)}
    return Record(
        "bayes",
        f"{fitted.config.model} ({fitted.config.inference})",
        params,
        _finite(metrics),
        curves,
        classes,
        _confusion(true, pred, classes),
        np.asarray(data.test_rows),
        true.astype(str),
        pred.astype(str),
        {
            "posterior.safetensors": save(
                {k: np.ascontiguousarray(v) for k, v in fitted.draws.items()},
                metadata={"genre_lab": json.dumps({**config, "features": params["features"]})},
            ),
        },
    )


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
    result: Any, *, source: str, dataset: str | None = None, data_key: str | None = None
) -> str:
    """Log one finished run and return its MLflow run id.

    Parameters
    ----------
    result
        A ``TrainResult``, a ``NetResult`` or the Bayesian page's result dict.
    source
        Where it was trained: "train", "networks", "bayes", "cli", "search", …
    dataset
        The dataset's name (a filter on the Compare page).
    data_key
        What names the data's content and choices (genres kept, merges); with the test rows'
        positions and genres it makes the test-set hash. Defaults to ``dataset``.

    Raises
    ------
    RunStoreError
        When the store is locked, corrupted or unreachable. A run that failed half-way is
        marked FAILED (and hidden), never deleted; no other run is touched.
    """
    from mlflow.entities import Metric, Param, RunTag

    record = record_of(result)
    client, experiment_id, uri = _client("logged")
    digest = test_hash(record.rows, record.true, data_key or dataset)
    tags = {
        "source": source,
        "dataset": dataset or "",
        "kind": record.kind,
        "model": record.model,
        "test_hash": digest,
        "n_test": str(len(record.rows)),
    }
    run_id = None
    with _guard(uri, "logged"):
        run = client.create_run(
            experiment_id, tags=tags, run_name=f"{record.title or record.model} · {source}"
        )
        run_id = run.info.run_id
        try:
            params = [Param(k, _param_text(v)) for k, v in record.params.items()]
            now = run.info.start_time
            metrics = [Metric(k, v, now, 0) for k, v in record.metrics.items()]
            for row in record.curves:
                step = int(row.get("epoch", 0))
                for key, value in _finite({k: v for k, v in row.items() if k != "epoch"}).items():
                    metrics.append(Metric(EPOCH_PREFIX + key, value, now, step))
            for start in range(0, max(len(params), 1), 100):
                client.log_batch(run_id, params=params[start : start + 100])
            for start in range(0, len(metrics), 1000):
                client.log_batch(run_id, metrics=metrics[start : start + 1000])
            client.log_batch(run_id, tags=[RunTag("mlflow.note.content", _note(record, source))])
            with tempfile.TemporaryDirectory(prefix="genre-run-") as folder:
                root = Path(folder)
                (root / "model").mkdir()
                for name, content in record.model_files.items():
                    (root / "model" / name).write_bytes(content)
                (root / "confusion.json").write_text(
                    json.dumps(
                        {
                            "classes": list(record.classes),
                            "matrix": np.asarray(record.confusion).tolist(),
                        }
                    )
                )
                pd.DataFrame({"row": record.rows, "true": record.true, "pred": record.pred}).to_csv(
                    root / "predictions.csv", index=False
                )
                if record.curves:
                    (root / "curves.json").write_text(json.dumps(record.curves))
                client.log_artifacts(run_id, str(root))
            client.set_terminated(run_id, "FINISHED")
        except Exception:
            try:
                client.set_terminated(run_id, "FAILED")
            except Exception:  # the store is gone; the run stays RUNNING, hidden from lists
                pass
            raise
    return run_id


def _note(record: Record, source: str) -> str:
    return f"{record.kind} model {record.model}, trained from {source}."


def log_event(
    result: Any, *, source: str, dataset: str | None = None, data_key: str | None = None
) -> dict:
    """:func:`log_result` as a job event: ``{"stage": "logged", "run_id"}`` or, when the store
    fails, ``{"stage": "store-error", "message"}``; never raises, so a trained result is kept."""
    try:
        run_id = log_result(result, source=source, dataset=dataset, data_key=data_key)
        return {"stage": "logged", "run_id": run_id}
    except DataError as error:
        message = str(error)
    except Exception as error:  # an unforeseen failure must not lose the trained result
        message = f"{type(error).__name__}: {error}"
    return {"stage": "store-error", "message": f"The run was not saved to the history: {message}"}


# ---- reading ----------------------------------------------------------------------------------

LIST_COLUMNS = (
    "run_id",
    "name",
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
    """The finished runs, newest first: id, name, start time, source, dataset, kind, model,
    the headline metrics, test size and the test rows' hash.

    Raises
    ------
    RunStoreError
        When the store cannot be read.
    """
    path = _sqlite_path(tracking_uri())
    if path is not None and not path.exists():  # nothing logged yet: don't create the store
        return pd.DataFrame(columns=list(LIST_COLUMNS))
    client, experiment_id, uri = _client("read")
    with _guard(uri, "read"):
        runs = client.search_runs(
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


def _artifact(client, run_id: str, path: str, folder: str) -> Path | None:
    try:
        return Path(client.download_artifacts(run_id, path, folder))
    except Exception:  # an older or half-written run without this file
        return None


def load_run(run_id: str) -> RunDetails:
    """A stored run's tags, parameters, final metrics, curves, confusion matrix and test
    predictions.

    Raises
    ------
    RunStoreError
        When the store cannot be read or holds no such run.
    """
    client, _, uri = _client("read")
    with _guard(uri, "read"):
        try:
            run = client.get_run(run_id)
        except Exception as error:
            if "not found" in str(error).lower() or "RESOURCE_DOES_NOT_EXIST" in str(error):
                raise RunStoreError(f"no run {run_id} in {_describe(uri)}.") from None
            raise
        data = run.data
        final = {k: v for k, v in data.metrics.items() if not k.startswith(EPOCH_PREFIX)}
        curve_keys = [k for k in data.metrics if k.startswith(EPOCH_PREFIX)]
        columns: dict[str, pd.Series] = {}
        for key in curve_keys:
            history = client.get_metric_history(run_id, key)
            columns[key[len(EPOCH_PREFIX) :]] = pd.Series(
                {m.step: m.value for m in history}, dtype=float
            )
        curves = pd.DataFrame(columns).sort_index().rename_axis("epoch").reset_index()
        if not curve_keys:
            curves = pd.DataFrame(columns=["epoch"])
        with tempfile.TemporaryDirectory(prefix="genre-run-") as folder:
            confusion_file = _artifact(client, run_id, "confusion.json", folder)
            predictions_file = _artifact(client, run_id, "predictions.csv", folder)
            confusion = (
                json.loads(confusion_file.read_text())
                if confusion_file
                else {"classes": [], "matrix": []}
            )
            predictions = (
                pd.read_csv(predictions_file, dtype={"true": str, "pred": str})
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
    client, _, uri = _client("read")
    with _guard(uri, "read"), tempfile.TemporaryDirectory(prefix="genre-model-") as folder:
        kind = client.get_run(run_id).data.tags.get("kind", "")
        if kind == "classical":
            path = _artifact(client, run_id, "model/model.skops", folder)
            if path is None:
                raise RunStoreError(f"run {run_id} has no stored model.")
            return load_skops(path.read_bytes())
        if kind == "network":
            from genre_core.runs.checkpoints import load_network_bytes

            path = _artifact(client, run_id, "model/network.safetensors", folder)
            if path is None:
                raise RunStoreError(f"run {run_id} has no stored network.")
            return load_network_bytes(path.read_bytes(), path.name).pipeline
    raise DataError(f"run {run_id} holds a {kind or 'unknown'} model, which cannot be reloaded.")


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


def delete_run(run_id: str) -> None:
    """Mark a run deleted (MLflow keeps it recoverable until the store is garbage-collected).

    Raises
    ------
    RunStoreError
        When the store cannot be written.
    """
    client, _, uri = _client("deleted")
    with _guard(uri, "deleted"):
        client.delete_run(run_id)
