"""A model to explain and its rows: a stored run of the run history (by its id), and the test
and reference rows of any fitted model in a table.

Shared by the Explain page (which wraps :func:`stored_model` in its own cache) and the
"explain-model" jobs, which load a stored run on a worker by its id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from genre_core.errors import DataError


@dataclass(frozen=True)
class StoredModel:
    """A stored run's fitted pipeline, the features it reads and the rows it was tested on
    (a :class:`~genre_core.metrics.evaluation.HeldOut`: rows of the table, true, predicted)."""

    pipeline: object
    features: tuple[str, ...]
    held_out: object


@lru_cache(maxsize=2)
def stored_model(run_id: str) -> StoredModel:
    """A stored classical run's pipeline (read by skops, never unpickled), its features and its
    test rows; the last two are kept (a worker explains several tracks of one model).

    Raises
    ------
    DataError
        When the store has no such run or model, or the run does not name its features.
    """
    from genre_core.metrics.evaluation import HeldOut
    from genre_core.runs import history

    pipeline, details, features = history.load_fitted(run_id)
    table = details.predictions
    if table is None or not len(table):
        raise DataError("the stored run has no test predictions to find its test rows by.")
    held_out = HeldOut(
        table["row"].to_numpy(), table["true"].to_numpy(str), table["pred"].to_numpy(str)
    )
    return StoredModel(pipeline, features, held_out)


def model_rows(
    name: str, pipeline, features: Sequence[str], test_rows, frame: pd.DataFrame, label: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The model's test rows (``test_rows``, labels of ``frame``'s index, in that order) and its
    reference rows (the other rows of its genres: its training part) in ``frame``.

    Raises
    ------
    DataError
        Naming the model (``name``) when the table no longer holds its rows or columns.
    """
    missing = [f for f in features if f not in frame.columns]
    if missing or not np.isin(test_rows, frame.index).all():
        raise DataError(
            f"{name} was trained on rows or columns the current table does not hold; "
            "train it again on the Train page."
        )
    classes = [str(c) for c in pipeline.classes_]
    is_test = frame.index.isin(test_rows)
    in_genres = frame[label].astype(str).isin(classes).to_numpy()
    return frame.loc[test_rows], frame[in_genres & ~is_test]


__all__ = ["StoredModel", "model_rows", "stored_model"]
