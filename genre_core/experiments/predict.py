"""Predicting unlabeled tracks with a fitted pipeline: reading the file, the prediction table,
and the music-genre-11 Kaggle submission format.

Nothing in a file is executed or unpickled: CSVs are parsed as text by
:mod:`genre_core.data.csvio`. Fitting the pipeline on every labelled row is
:func:`genre_core.experiments.train.fit_all`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from genre_core.data.csvio import read_csv_bytes
from genre_core.data.dataset import derive_columns, normalise_known
from genre_core.data.fetch import locate
from genre_core.data.registry import DatasetSpec
from genre_core.errors import DataError


def predict_table(pipeline: Pipeline, frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """Predicted genre and the probability of each genre for every row of ``frame``.

    Raises
    ------
    DataError
        When a feature the model was trained on is missing, or holds text.
    """
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise DataError(
            f"the file lacks the feature column(s) the model was trained on: {', '.join(missing)}."
        )
    values = frame[list(features)].apply(pd.to_numeric, errors="coerce")
    for column in features:
        bad = frame[column].notna() & values[column].isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"column '{column}' should hold numbers but line {row + 2} holds "
                f"'{str(frame[column].iloc[row])[:40]}'."
            )
    X = values.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(X).any():
        raise DataError("the file holds an infinite value in a feature column.")
    proba = pipeline.predict_proba(X)
    classes = [str(c) for c in pipeline.classes_]
    out = pd.DataFrame(proba, columns=[f"p_{c}" for c in classes], index=frame.index)
    out.insert(0, "predicted_genre", np.asarray(classes)[proba.argmax(axis=1)])
    return out


def submission_table(predictions: pd.DataFrame, class_names: Mapping[int, str]) -> pd.DataFrame:
    """The Kaggle/MachineHack music-genre-11 format: one probability column per class, named
    ``<genre>_<id>`` in id order (``Acoustic/Folk_0``, …, ``Rock_10``).

    Raises
    ------
    DataError
        When the model was not trained on exactly these genres.
    """
    wanted = [class_names[i] for i in sorted(class_names)]
    have = [c[2:] for c in predictions.columns if c.startswith("p_")]
    if sorted(have) != sorted(wanted):
        raise DataError(
            "the submission format needs a model trained on all 11 genres of "
            f"music-genre-11; this one knows {len(have)}: {', '.join(have)}."
        )
    return pd.DataFrame(
        {
            f"{name}_{i}": predictions[f"p_{name}"].to_numpy()
            for i, name in sorted(class_names.items())
        }
    )


def read_unlabeled(
    raw: bytes, filename: str, spec: DatasetSpec | None = None, *, limit_mb: float | None = None
) -> pd.DataFrame:
    """A CSV of tracks to predict, with a known dataset's header fixes applied (``spec``) and
    the columns Genre Lab derives for training (``release_year`` from a release date).

    Nothing in it is executed or unpickled: it is parsed as text by :mod:`genre_core.data.csvio`.
    """
    frame, _ = read_csv_bytes(raw, filename, limit_mb=limit_mb)
    if spec is not None:
        frame = normalise_known(frame, spec)
    return derive_columns(frame)  # a model trained on release_year finds it here too


def dataset_test_file(spec: DatasetSpec | None) -> tuple[bytes, str]:
    """The bytes and name of a known dataset's unlabeled test file (music-genre-11's test.csv).

    Raises
    ------
    DataError
        When the dataset has no test file, or it cannot be found or downloaded.
    """
    if spec is None or "test" not in spec.extra_files:
        raise DataError("this dataset has no unlabeled test file; give one with --input.")
    found = locate(spec.directory, spec.extra_files["test"])
    return found.path.read_bytes(), found.path.name


__all__ = ["dataset_test_file", "predict_table", "read_unlabeled", "submission_table"]
