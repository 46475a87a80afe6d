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
from pathlib import Path
from typing import Any

import numpy as np

from genre_core.errors import DataError

SCORE = "proba."  # a stored prediction's probability of a genre: the column "proba.<genre>"


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
    proba: np.ndarray | None = None  # the test rows' probability of each of ``classes``


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


# ---- what a run's name says ---------------------------------------------------------------------

NO_VALUE = "—"  # a facet a run did not store (older runs, kinds without a split)
GENRES_NAMED = 3  # up to this many kept genres are named; more are counted


def _given(value: Any) -> bool:
    """Whether a stored value says something (params come back as text: "None", "")."""
    return value not in (None, "", "None", "none", "False", False, (), [])


def _share(value: Any) -> int:
    return round(100 * float(value))


def split_label(split: Any) -> str:
    """A split in words: ``"random 70/30"``, ``"grouped by track_artist 80/20"``,
    ``"random 60/20/20"`` (with a validation part); :data:`NO_VALUE` for none.

    ``split`` is a :class:`~genre_core.data.splits.SplitSpec`, or a mapping of its fields
    (``method``, ``group_column``, ``train``, ``validation``, ``test``) as a recipe's JSON or a
    run's stored parameters (text) have them.
    """
    if dataclasses.is_dataclass(split) and not isinstance(split, type):
        split = dataclasses.asdict(split)
    if not split or not _given(split.get("method")):
        return NO_VALUE
    try:
        parts = [_share(split.get(k) or 0) for k in ("train", "validation", "test")]
    except (TypeError, ValueError):
        return NO_VALUE
    shares = "/".join(str(p) for p in parts if p or parts[1])  # no "/0/" without validation
    column = split.get("group_column")
    how = f"grouped by {column}" if split["method"] == "group" and _given(column) else "random"
    return f"{how} {shares}"


def _items(value: Any) -> list[str]:
    """A list as a run stores it: a list, or its text ``"pop, rap"``."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value or ()]


def run_facets(
    params: Mapping[str, Any], recipe: Mapping[str, Any] | None = None, dataset: str | None = None
) -> dict[str, str]:
    """What tells one run from another besides its model: ``split`` (:func:`split_label`),
    ``features`` (the feature set, ``+ artist`` when the artist is a feature, ``+ artist
    profile`` when its model read the artist's profile) and ``data``
    (the dataset, the genres kept when not all, the rows of a sample), each
    :data:`NO_VALUE` when the run did not store it.

    Parameters
    ----------
    params
        The run's flat parameters (``split.method``, ``feature_set``, ``genres``, ``rows``; as
        logged, or as text read back).
    recipe
        The recipe's JSON, when the run has one: it fills what the parameters lack.
    dataset
        The dataset's name.
    """
    recipe = recipe or {}
    data = recipe.get("data") or {}
    split = {k.removeprefix("split."): v for k, v in params.items() if k.startswith("split.")}
    if not split and isinstance(recipe.get("split"), Mapping):
        split = dict(recipe["split"])
    features = params.get("feature_set") or recipe.get("feature_set")
    features = str(features) if _given(features) else NO_VALUE
    if features != NO_VALUE and _given(params.get("artist", recipe.get("artist"))):
        features += " + artist"
    if features != NO_VALUE and _given(params.get("profile", recipe.get("artist_profile"))):
        features += " + artist profile"
    genres = _items(params.get("genres") or data.get("genres"))
    rows = params.get("rows") if _given(params.get("rows")) else data.get("sample")
    parts = [dataset or (Path(str(data["source"])).name if data.get("source") else "")]
    if genres:
        parts.append("/".join(genres) if len(genres) <= GENRES_NAMED else f"{len(genres)} genres")
    if _given(rows):
        parts.append(f"{int(rows):,} rows")
    parts = [p for p in parts if p]
    return {
        "split": split_label(split),
        "features": features,
        "data": " · ".join(parts) if parts else NO_VALUE,
    }


def run_name(
    model_label: str,
    params: Mapping[str, Any],
    recipe: Mapping[str, Any] | None = None,
    dataset: str | None = None,
) -> str:
    """A run's name that says what differs between runs: the model (with its preset), the
    feature set, the split and the data, e.g. ``"xgboost · numeric · grouped by track_artist
    80/20 · spotify-30k"`` or ``"mlp 64-32-16 (compact) · numeric · random 60/20/20 ·
    spotify-30k · pop/rap/rock · 2,000 rows"``; facets a run did not store are left out.

    ``model_label`` is the model and what differs from its defaults (a record's title); a
    sample's rows it ends with move to the data part.
    """
    facets = run_facets(params, recipe, dataset)
    rows = params.get("rows") if _given(params.get("rows")) else (recipe or {}).get("data", {})
    rows = rows.get("sample") if isinstance(rows, Mapping) else rows
    label = model_label
    if _given(rows):
        label = label.removesuffix(f" · {int(rows):,} rows")
    preset = (recipe or {}).get("preset")
    if _given(preset) and str(preset) not in label:
        label = f"{label} ({preset})"
    parts = [label, facets["features"], facets["split"], facets["data"]]
    return " · ".join(p for p in parts if p != NO_VALUE)


def changed_title(model: str, params: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    """The model and the parameters that differ from its defaults: "logreg (C=0.01)"."""
    changed = [f"{k}={v}" for k, v in params.items() if defaults.get(k) != v]
    return f"{model} ({', '.join(changed)})" if changed else model


__all__ = [
    "NO_VALUE",
    "Record",
    "changed_title",
    "confusion_of",
    "evaluation_metrics",
    "finite_metrics",
    "flat_params",
    "held_out_arrays",
    "run_facets",
    "run_name",
    "skops_bytes",
    "split_label",
]
