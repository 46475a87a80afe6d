"""The counterfactual of a track: the nearest real track of the genre asked for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from genre_core.errors import DataError


@dataclass(frozen=True)
class Counterfactual:
    """The nearest reference row of ``genre``: its position among the reference rows, its
    distance in standard deviations, and ``table`` of the features that differ (``feature``,
    ``track``, ``nearest``, ``difference`` in the feature's standard deviations), the largest
    difference first."""

    genre: str
    position: int
    distance: float
    table: pd.DataFrame


def nearest_of_genre(
    reference: np.ndarray,
    labels: Sequence,
    x: np.ndarray,
    genre: str,
    features: Sequence[str],
    *,
    exclude: np.ndarray | None = None,
) -> Counterfactual:
    """The reference row of ``genre`` nearest to the track ``x`` in standardised features.

    Each feature is centred and scaled by its mean and standard deviation over the reference
    rows (a constant feature counts for nothing); a missing value sits at the feature's mean.

    Parameters
    ----------
    reference
        Raw feature rows (the training part), ``len(features)`` columns.
    labels
        The genre of each reference row.
    x
        The track's raw feature values.
    genre
        The genre asked for.
    exclude
        A boolean mask of reference rows never to return (e.g. the track itself).

    Raises
    ------
    DataError
        When no reference row (left) is of ``genre``.
    """
    reference = np.asarray(reference, dtype=float)
    labels = np.asarray(labels).astype(str)
    x = np.asarray(x, dtype=float).reshape(-1)
    if reference.ndim != 2 or reference.shape[1] != len(features) or len(x) != len(features):
        raise DataError(f"the rows and the track must have the {len(features)} features.")
    candidates = labels == str(genre)
    if exclude is not None:
        candidates &= ~np.asarray(exclude, dtype=bool)
    if not candidates.any():
        raise DataError(f"no training track of genre '{genre}' to compare with.")
    mean = np.nanmean(reference, axis=0)
    std = np.nanstd(reference, axis=0)
    std = np.where(np.isfinite(std) & (std > 0), std, np.inf)
    z_ref = np.nan_to_num((reference - mean) / std)
    z_x = np.nan_to_num((x - mean) / std)
    distance = np.sqrt(((z_ref - z_x) ** 2).sum(axis=1))
    distance[~candidates] = np.inf
    position = int(np.argmin(distance))
    gap = z_ref[position] - z_x
    table = pd.DataFrame(
        {
            "feature": [str(f) for f in features],
            "track": x,
            "nearest": reference[position],
            "difference": gap,
        }
    )
    order = np.argsort(-np.abs(gap), kind="stable")
    return Counterfactual(
        str(genre), position, float(distance[position]), table.iloc[order].reset_index(drop=True)
    )


__all__ = ["Counterfactual", "nearest_of_genre"]
