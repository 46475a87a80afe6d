"""What a finished run gives the run history: a :class:`Record`, and the helpers that make one.

A result object (``TrainResult``, ``NetResult``, the Bayesian and transfer results) builds its
own :class:`Record` in a ``record()`` method with these helpers; the run history then stores any
record the same way. This module imports no model and no experiment, so every result module
can import it without a cycle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from genre_core.errors import DataError


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


def flat_params(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dataclasses and mappings as one flat dict with dotted keys (``split.test``)."""
    out: dict[str, Any] = {}
    _flatten(prefix, value, out)
    return out


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, out)
    else:
        out[prefix] = value


def finite_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Only the finite numbers of ``metrics``, as floats (MLflow refuses NaN and text)."""
    out = {}
    for key, value in metrics.items():
        if isinstance(value, (int, float, np.floating, np.integer)) and np.isfinite(value):
            out[key] = float(value)
    return out


def evaluation_metrics(evaluation) -> dict[str, float]:
    """An :class:`~genre_core.metrics.evaluation.Evaluation`'s metrics, their 95% intervals
    (``accuracy_ci_low``, ``accuracy_ci_high``, ...), train and validation accuracy and gap."""
    metrics = dict(evaluation.metrics)
    for name, (low, high) in evaluation.intervals.items():
        metrics[f"{name}_ci_low"], metrics[f"{name}_ci_high"] = low, high
    metrics["train_accuracy"] = evaluation.train_accuracy
    metrics["validation_accuracy"] = evaluation.validation_accuracy
    metrics["gap"] = evaluation.gap
    return finite_metrics(metrics)


def held_out_arrays(result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The test rows, true genres (as text) and predictions of a result's ``held_out``.

    Raises
    ------
    DataError
        For a result that did not keep its test rows.
    """
    held = getattr(result, "held_out", None)
    if held is None:
        raise DataError("this result does not keep its test rows; train it again to log it.")
    return np.asarray(held.rows), np.asarray(held.true).astype(str), np.asarray(held.pred)


def confusion_of(true: np.ndarray, pred: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """The confusion matrix of ``true`` against ``pred`` in the order of ``classes``."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(true, pred, labels=list(classes))


def skops_bytes(pipeline) -> bytes:
    """A scikit-learn/XGBoost pipeline as skops bytes (no pickle)."""
    import skops.io as sio

    return sio.dumps(pipeline)


def changed_title(model: str, params: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    """The model and the parameters that differ from its defaults: "logreg (C=0.01)"."""
    changed = [f"{k}={v}" for k, v in params.items() if defaults.get(k) != v]
    return f"{model} ({', '.join(changed)})" if changed else model


__all__ = [
    "Record",
    "changed_title",
    "confusion_of",
    "evaluation_metrics",
    "finite_metrics",
    "flat_params",
    "held_out_arrays",
    "skops_bytes",
]
