"""The rows a Bayesian model sees: the report's protocol of a few training rows and a small test
set, imputed and scaled on the training rows only.

The report (§5) draws a subset of the rows for training (100, 1,000 or 10,000) and a small test
set (100 or 200); missing values take the training mean, then StandardScaler. With a
:class:`~genre_core.data.splits.SplitSpec` the rows come from its parts instead (grouped by an
artist or a track id, say), so no group sits on both sides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from genre_core.data.preprocess import PrepConfig, feature_matrix, make_preprocessor
from genre_core.data.splits import SplitSpec, split_rows
from genre_core.errors import DataError

REPORT_PREP = PrepConfig(imputer="mean", scaler="standard")  # the report's §5


@dataclass(frozen=True)
class Prepared:
    """Training and test rows, imputed and scaled on the training rows only.

    ``y_train``/``y_test`` are genre codes into ``classes``; ``train_rows``/``test_rows`` are
    positions in the frame given to :func:`prepare`; ``raw_*`` keep the unscaled features
    (with NaN) for the point-estimate comparison.
    """

    classes: tuple[str, ...]
    features: tuple[str, ...]
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    raw_train: np.ndarray
    raw_test: np.ndarray
    train_rows: np.ndarray
    test_rows: np.ndarray
    preprocessor: Pipeline


def prepare(
    frame: pd.DataFrame,
    label: str,
    features: Sequence[str],
    *,
    n_train: int,
    n_test: int,
    seed: int = 0,
    split: SplitSpec | None = None,
    prep: PrepConfig = REPORT_PREP,
) -> Prepared:
    """Draw ``n_train`` training and ``n_test`` test rows (stratified, disjoint) and scale them.

    Parameters
    ----------
    frame, label, features
        The table, its genre column and the feature columns used.
    n_train, n_test
        How many rows to train and to test on.
    seed
        Seeds the draw.
    split
        ``None``: the report's protocol, both drawn from the whole table. A split: the table is
        first split by it (grouped splits keep each group on one side), then ``n_test`` rows
        are drawn from its test part and ``n_train`` from its training part.

    Raises
    ------
    DataError
        For no feature, a missing column, or more rows asked for than the table (or the
        split's part) holds.
    """
    features = tuple(features)
    if not features:
        raise DataError("choose at least one feature column.")
    missing = [f for f in features if f not in frame.columns]
    if missing:
        raise DataError(f"feature column(s) {', '.join(missing)} not in the table.")
    labels = frame[label].astype(str).to_numpy()
    classes = tuple(sorted(set(labels)))
    if len(classes) < 2:
        raise DataError("the table holds a single genre; classification needs at least two.")
    n_train, n_test = int(n_train), int(n_test)
    if n_train < len(classes) or n_test < len(classes):
        raise DataError(
            f"with {len(classes)} genres, training and test need at least {len(classes)} rows each."
        )
    if n_train + n_test > len(frame):
        raise DataError(
            f"{n_train:,} training + {n_test:,} test rows asked for, but the table has "
            f"{len(frame):,}; choose fewer."
        )
    if split is None:
        try:
            train_rows, test_rows = train_test_split(
                np.arange(len(frame)),
                train_size=n_train,
                test_size=n_test,
                stratify=labels,
                random_state=seed,
            )
        except ValueError as error:
            raise DataError(f"these sizes cannot be drawn per genre: {error}") from None
    else:
        parts = split_rows(frame, label, split)
        test_rows = sample_rows(parts.test, labels, n_test, seed, "test")
        train_rows = sample_rows(parts.train, labels, n_train, seed, "training")
    return prepare_rows(frame, label, features, train_rows, test_rows, prep=prep)


def sample_rows(
    part: np.ndarray, labels: np.ndarray, n: int, seed: int = 0, what: str = "training"
) -> np.ndarray:
    """``n`` rows of ``part``, stratified by genre when every genre there allows it."""
    if n > len(part):
        raise DataError(
            f"{n:,} {what} rows asked for, but the split's {what} part holds {len(part):,}; "
            "choose fewer rows or a larger share."
        )
    if n == len(part):
        return np.sort(part)
    try:
        rows, _ = train_test_split(part, train_size=n, stratify=labels[part], random_state=seed)
    except ValueError:  # a genre with a single row in this part: draw without strata
        rows = np.random.default_rng(seed).choice(part, size=n, replace=False)
    return np.sort(rows)


def prepare_rows(
    frame: pd.DataFrame,
    label: str,
    features: Sequence[str],
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    *,
    prep: PrepConfig = REPORT_PREP,
) -> Prepared:
    """:func:`prepare` for given row positions (the genres are those of the whole frame)."""
    labels = frame[label].astype(str).to_numpy()
    classes = tuple(sorted(set(labels)))
    train_rows, test_rows = np.sort(train_rows), np.sort(test_rows)
    X = feature_matrix(frame, tuple(features))
    codes = np.searchsorted(np.array(classes), labels)
    empty = [
        f for f, column in zip(features, X[train_rows].T, strict=True) if np.isnan(column).all()
    ]
    if empty:
        raise DataError(
            f"feature column(s) {', '.join(empty)} hold no value in the training "
            "rows; leave them out."
        )
    preprocessor = make_preprocessor(prep).fit(X[train_rows])
    return Prepared(
        classes=classes,
        features=tuple(features),
        X_train=preprocessor.transform(X[train_rows]).astype(np.float32),
        y_train=codes[train_rows],
        X_test=preprocessor.transform(X[test_rows]).astype(np.float32),
        y_test=codes[test_rows],
        raw_train=X[train_rows],
        raw_test=X[test_rows],
        train_rows=train_rows,
        test_rows=test_rows,
        preprocessor=preprocessor,
    )
