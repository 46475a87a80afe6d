"""Numbers behind the Explore page: descriptive statistics, correlations, a PCA projection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

STATISTICS = ("mean", "std", "min", "25%", "50%", "75%", "max")

# Units of the Spotify audio features (Spotify's Web API reference); the same names appear
# capitalised in spotify-youtube, so they are looked up in lower case.
FEATURE_UNITS = {
    "duration_ms": "ms",
    "loudness": "dB",
    "tempo": "BPM",
    "key": "pitch class",  # 0 = C, 1 = C♯, …
    "mode": "1 = major",
    "time_signature": "beats per bar",
    "popularity": "0–100",
    "track_popularity": "0–100",
    **{
        name: "0–1"
        for name in (
            "danceability",
            "energy",
            "speechiness",
            "acousticness",
            "instrumentalness",
            "liveness",
            "valence",
        )
    },
}


def feature_unit(feature: str) -> str:
    """The unit of a known Spotify audio feature ("dB" for loudness), or "" for others."""
    return FEATURE_UNITS.get(str(feature).lower(), "")


def feature_title(feature: str) -> str:
    """A feature's name with its unit, for an axis: "loudness (dB)"; the name alone if unknown."""
    unit = feature_unit(feature)
    return f"{feature} ({unit})" if unit else str(feature)


def describe_table(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """Count of values and the statistics of Table 2 of "Development of a Neural Network-Based
    Music Genre Classification Tool": one column per feature, one row per statistic."""
    table = frame[list(features)].describe().loc[["count", *STATISTICS]]
    return table


def correlation(
    frame: pd.DataFrame, features: Sequence[str], method: str = "pearson"
) -> pd.DataFrame:
    """Pairwise correlation of the features, ``method`` "pearson" or "spearman"."""
    if method not in ("pearson", "spearman"):
        raise ValueError(f"unknown correlation method '{method}'")
    return frame[list(features)].corr(method=method)


def strongest_pairs(corr: pd.DataFrame, n: int = 3) -> list[tuple[str, str, float]]:
    """The ``n`` feature pairs with the largest absolute correlation."""
    upper = corr.where(np.triu(np.ones(corr.shape, dtype=bool), k=1)).stack()
    top = upper.abs().sort_values(ascending=False).head(n).index
    return [(a, b, float(upper[(a, b)])) for a, b in top]


@dataclass(frozen=True)
class Projection:
    """Rows projected on the first two principal components of the standardised features."""

    points: pd.DataFrame  # columns PC1, PC2 and the label
    explained: tuple[float, float]


def pca_projection(
    frame: pd.DataFrame,
    features: Sequence[str],
    label: str,
    *,
    max_points: int = 3000,
    seed: int = 0,
) -> Projection:
    """Fit a 2-D PCA on all rows (median-imputed, standardised); return a seeded sample to plot."""
    values = frame[list(features)].to_numpy(dtype=float, na_value=np.nan)
    values = StandardScaler().fit_transform(SimpleImputer(strategy="median").fit_transform(values))
    pca = PCA(n_components=2, random_state=seed).fit(values)
    rows = np.arange(len(frame))
    if len(rows) > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_points, replace=False))
    coords = pca.transform(values[rows])
    points = pd.DataFrame(
        {"PC1": coords[:, 0], "PC2": coords[:, 1], label: frame[label].to_numpy()[rows]}
    )
    ratio = pca.explained_variance_ratio_
    return Projection(points, (float(ratio[0]), float(ratio[1])))
