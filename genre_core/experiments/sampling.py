"""A recipe's sample of rows (``DataSpec.sample``): a fixed draw of N rows, stratified by genre,
for quick demonstrations on a big table; see :meth:`~genre_core.experiments.recipe.Recipe.sampled`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from genre_core.data.dataset import Dataset
from genre_core.errors import DataError


def stratified_sample(y: np.ndarray, rows: int, seed: int) -> np.ndarray:
    """Positions of a fixed sample of ``rows`` of the labels ``y``, stratified by label, in
    order (the same positions for the same labels, size and seed).

    Raises
    ------
    ValueError
        When ``rows`` cannot hold every label, or a label has a single row.
    """
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(y)), train_size=rows, stratify=y, random_state=seed)
    return np.sort(keep)


def sample_dataset(dataset: Dataset, rows: int, seed: int) -> Dataset:
    """``dataset`` reduced to a stratified sample of ``rows`` of its rows (their index kept).

    Raises
    ------
    DataError
        Naming ``data.sample`` when so few rows cannot hold every genre.
    """
    try:
        keep = stratified_sample(dataset.labels.astype(str).to_numpy(), rows, seed)
    except ValueError as error:
        raise DataError(f"data.sample: {rows:,} rows cannot be drawn: {error}") from None
    return replace(dataset, frame=dataset.frame.iloc[keep])


def rows_title(rows: int | None) -> str:
    """What a run's title says of a sample: ``" · 2,000 rows"``, or nothing without one."""
    return f" · {rows:,} rows" if rows else ""


__all__ = ["rows_title", "sample_dataset", "stratified_sample"]
