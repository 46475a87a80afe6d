"""Global permutation importance of any fitted model, on a bounded sample of rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from genre_core.errors import DataError

MAX_ROWS = 1000  # rows scored per shuffle: enough for a ranking, quick for an SVM
REPEATS = 3


def scored_rows(X, y, rows: int = MAX_ROWS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The at most ``rows`` rows (drawn with ``seed``, kept in order) and their genres that
    :func:`importance_table` scores. Given them, with the same ``rows`` and ``seed``, it keeps
    them all: a page sends a job these rows instead of the whole test part, for the same table.

    Raises
    ------
    DataError
        When ``X`` and ``y`` have different lengths.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).astype(str)
    if len(X) != len(y):
        raise DataError("permutation importance needs rows with their genres.")
    if len(X) > rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(X), rows, replace=False))
        X, y = X[keep], y[keep]
    return X, y


def importance_table(
    pipeline,
    X: np.ndarray,
    y: Sequence,
    features: Sequence[str],
    *,
    rows: int = MAX_ROWS,
    repeats: int = REPEATS,
    scoring: str = "accuracy",
    seed: int = 0,
) -> pd.DataFrame:
    """How much the score drops when each feature is shuffled
    (``sklearn.inspection.permutation_importance``), on at most ``rows`` rows drawn with
    ``seed`` and ``repeats`` shuffles per feature.

    Returns
    -------
    DataFrame
        ``feature``, ``importance`` (mean drop of ``scoring``), ``std`` and ``rows``, most
        important first.

    Raises
    ------
    DataError
        When ``X`` and ``features`` or ``y`` disagree, or there are no rows.
    """
    from sklearn.inspection import permutation_importance

    X, y = scored_rows(X, y, rows, seed)
    if X.ndim != 2 or X.shape[1] != len(features):
        raise DataError(f"the rows have {np.shape(X)[-1]} columns for {len(features)} features.")
    if not len(X):
        raise DataError("permutation importance needs rows with their genres.")
    result = permutation_importance(
        pipeline, X, y, scoring=scoring, n_repeats=repeats, random_state=seed, n_jobs=1
    )
    table = pd.DataFrame(
        {
            "feature": [str(f) for f in features],
            "importance": result.importances_mean,
            "std": result.importances_std,
        }
    )
    table["rows"] = len(X)
    return table.sort_values("importance", ascending=False, ignore_index=True, kind="stable")


__all__ = ["importance_table", "scored_rows"]
