"""Preprocessing fitted on the training part only: imputation, scaling, genre choice and merging.

Imputation and scaling are scikit-learn steps, so they live inside each model's Pipeline and
cross-validation refits them per fold. Choosing and merging genres change the labels, so they
act on the table before any split.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, QuantileTransformer, StandardScaler

from genre_core.errors import DataError

Imputer = Literal["mean", "median", "knn"]
Scaler = Literal["standard", "minmax", "quantile", "none"]
IMPUTERS: tuple[Imputer, ...] = ("median", "mean", "knn")
SCALERS: tuple[Scaler, ...] = ("standard", "minmax", "quantile", "none")


@dataclass(frozen=True)
class PrepConfig:
    """How numeric features are prepared.

    ``quantile`` maps each feature to a normal distribution (as "The Genre Factor" does);
    ``knn`` imputes from the ``knn_neighbors`` nearest training rows.
    """

    imputer: Imputer = "median"
    scaler: Scaler = "standard"
    knn_neighbors: int = 5


def make_preprocessor(config: PrepConfig = PrepConfig()) -> Pipeline:
    """An unfitted scikit-learn pipeline: imputer, then scaler."""
    if config.imputer == "knn":
        imputer = KNNImputer(n_neighbors=config.knn_neighbors)
    elif config.imputer in ("mean", "median"):
        imputer = SimpleImputer(strategy=config.imputer)
    else:
        raise DataError(f"unknown imputer '{config.imputer}'; choose one of {', '.join(IMPUTERS)}.")
    scalers = {
        "standard": StandardScaler(),
        "minmax": MinMaxScaler(),
        "quantile": QuantileTransformer(
            output_distribution="normal", n_quantiles=1000, subsample=100_000
        ),
        "none": "passthrough",
    }
    if config.scaler not in scalers:
        raise DataError(f"unknown scaler '{config.scaler}'; choose one of {', '.join(SCALERS)}.")
    return Pipeline([("impute", imputer), ("scale", scalers[config.scaler])])


def select_genres(frame: pd.DataFrame, label: str, genres: Iterable[str] | None) -> pd.DataFrame:
    """Keep only the rows of the given genres (all rows when ``genres`` is empty or None)."""
    if not genres:
        return frame
    wanted = list(dict.fromkeys(genres))
    present = set(frame[label].dropna().unique())
    unknown = [g for g in wanted if g not in present]
    if unknown:
        raise DataError(
            f"genre(s) {', '.join(repr(g) for g in unknown)} not in '{label}'; "
            f"the genres are: {', '.join(sorted(map(str, present)))}."
        )
    if len(wanted) < 2:
        raise DataError("choose at least two genres to classify.")
    return frame[frame[label].isin(wanted)]


def merge_genres(frame: pd.DataFrame, label: str, mapping: Mapping[str, str]) -> pd.DataFrame:
    """Relabel genres through ``mapping`` (old name to new); genres not in it keep their name."""
    if not mapping:
        return frame
    merged = frame[label].map(lambda g: mapping.get(g, g))
    return frame.assign(**{label: merged.astype("string")})


def feature_matrix(frame: pd.DataFrame, features: Iterable[str]) -> np.ndarray:
    """The chosen feature columns as a float array (NaN where missing, for the imputer)."""
    return frame[list(features)].to_numpy(dtype=float, na_value=np.nan)
