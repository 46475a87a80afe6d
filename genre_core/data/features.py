"""Feature sets: numeric audio features, title embeddings, or both; the artist optionally.

A model's input is one float matrix whose columns are, in order, the numeric features (and,
optionally, the artist's profile: see :func:`artist_profile`), the 384 embedding dimensions of
the titles, and an integer code of the artist. :class:`Layout` says which columns are which,
and :func:`layout_preprocessor` prepares each block its own way inside the model's pipeline
(fitted on training rows only, like every other step).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from genre_core.data.preprocess import PrepConfig, feature_matrix, make_preprocessor
from genre_core.errors import DataError

FEATURE_SETS = ("numeric", "text", "numeric+text")
ARTIST_WARNING = (
    "The artist is a strong shortcut: the same artist's songs share a genre. Only a split "
    "grouped by artist (no artist on both sides) tests whether a model with it generalises."
)
PROFILE_WARNING = (
    "The artist's profile (the average sound of the artist's songs) identifies an artist whose "
    "songs are on both sides of the split, as well as the artist's name would: only a split "
    "grouped by artist tests whether a model with it generalises."
)


def artist_profile(frame: pd.DataFrame, numeric: Sequence[str], artist: str) -> np.ndarray:
    """Each row's artist profile: the mean of every numeric feature over the artist's songs in
    ``frame``, then how many songs that is (a row without an artist is its own artist).

    It reads no genre, only the features of the rows given, so under a split grouped by artist
    a test artist's profile comes from its test songs alone, as it would for a new artist's
    songs handed to the model together; under any other split an artist's profile is the same
    on both sides, and tells the model the artist (:data:`PROFILE_WARNING`).
    """
    if artist not in frame.columns:
        raise DataError(f"artist column '{artist}' not found.")
    values = pd.DataFrame(feature_matrix(frame, numeric), index=frame.index)
    names = frame[artist].astype("string")
    keys = pd.Series(pd.factorize(names)[0], index=frame.index)  # missing: -1
    alone = keys < 0
    keys[alone] = -1 - np.arange(int(alone.sum()))  # each its own artist
    grouped = values.groupby(keys)
    means = grouped.transform("mean").to_numpy(dtype=float)
    songs = grouped[0].transform("size").to_numpy(dtype=float)
    return np.hstack([means, songs.reshape(-1, 1)])


@dataclass(frozen=True)
class Layout:
    """Which columns of the input matrix hold what."""

    numeric: int = 0
    text: int = 0
    artist: bool = False

    @property
    def width(self) -> int:
        return self.numeric + self.text + int(self.artist)

    def blocks(self) -> dict[str, list[int]]:
        start = 0
        out = {}
        for name, size in (
            ("numeric", self.numeric),
            ("text", self.text),
            ("artist", int(self.artist)),
        ):
            if size:
                out[name] = list(range(start, start + size))
            start += size
        return out


def check_feature_set(feature_set: str, numeric: Sequence[str], text: Sequence[str]) -> None:
    """Raise a :class:`DataError` naming what a feature set lacks."""
    if feature_set not in FEATURE_SETS:
        raise DataError(f"unknown feature set '{feature_set}'; use {', '.join(FEATURE_SETS)}.")
    if "numeric" in feature_set and not numeric:
        raise DataError("the numeric feature set needs at least one numeric feature.")
    if "text" in feature_set and not text:
        raise DataError("the text feature set needs a title column (set one on the Data page).")


def build_matrix(
    frame: pd.DataFrame,
    *,
    feature_set: str = "numeric",
    numeric: Sequence[str] = (),
    text: Sequence[str] = (),
    artist: str | None = None,
    profile: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, Layout]:
    """The input matrix of ``frame`` for a feature set, and its layout; with ``profile`` (an
    artist column) the numeric block also holds each row's :func:`artist_profile`."""
    check_feature_set(feature_set, numeric, text)
    if profile and "numeric" not in feature_set:
        raise DataError(
            "the artist's profile averages the numeric features: use the numeric or "
            "numeric+text feature set with it."
        )
    blocks, layout = [], Layout()
    if "numeric" in feature_set:
        blocks.append(feature_matrix(frame, numeric))
        if profile:
            blocks.append(artist_profile(frame, numeric, profile))
        layout = Layout(numeric=sum(block.shape[1] for block in blocks))
    if "text" in feature_set:
        from genre_core.data.embeddings import embed_texts, title_texts

        vectors = embed_texts(title_texts(frame, text), progress=progress)
        blocks.append(vectors.astype(float))
        layout = Layout(layout.numeric, vectors.shape[1])
    if artist:
        if artist not in frame.columns:
            raise DataError(f"artist column '{artist}' not found.")
        codes = pd.factorize(frame[artist].astype("string").fillna(""))[0]
        blocks.append(codes.reshape(-1, 1).astype(float))
        layout = Layout(layout.numeric, layout.text, True)
    return np.hstack(blocks), layout


def layout_preprocessor(
    layout: Layout, prep: PrepConfig, *, text_components: int | None = None
) -> ColumnTransformer:
    """Prepare each block of the matrix: numeric by ``prep``; the embedding standardised
    (and reduced to ``text_components`` principal components, for tree models); the artist
    one-hot encoded, rare artists (under 5 training rows) pooled."""
    blocks = layout.blocks()
    steps = []
    if "numeric" in blocks:
        steps.append(("numeric", make_preprocessor(prep), blocks["numeric"]))
    if "text" in blocks:
        text_steps = [("scale", StandardScaler())]
        if text_components:
            text_steps.append(("pca", PCA(n_components=text_components, random_state=0)))
        steps.append(("text", Pipeline(text_steps), blocks["text"]))
    if "artist" in blocks:
        encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5)
        steps.append(("artist", encoder, blocks["artist"]))
    return ColumnTransformer(steps, sparse_threshold=0)
