"""Feature sets: numeric, title embeddings, both; the artist as an optional feature."""

import numpy as np
import pandas as pd
import pytest

from conftest import make_tracks
from genre_core.data.features import Layout, build_matrix, layout_preprocessor
from genre_core.data.preprocess import PrepConfig
from genre_core.errors import DataError
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.runs.progress import TaskState

NUMERIC = ("danceability", "energy", "tempo")


def titled_tracks(n=150, seed=0):
    """Tracks whose titles name their genre's world, and whose audio says nothing."""
    frame = make_tracks(n, seed=seed)
    rng = np.random.default_rng(seed)
    words = {
        "pop": ["Love", "Heart", "Baby"],
        "rock": ["Thunder", "Highway", "Fire"],
        "rap": ["Hustle", "Streets", "Money"],
    }
    frame["track_name"] = [f"{rng.choice(words[g])} {i}" for i, g in enumerate(frame["genre"])]
    for column in NUMERIC:
        frame[column] = rng.normal(size=n)
    return frame


def test_layout_blocks_and_preprocessing():
    layout = Layout(numeric=2, text=3, artist=True)
    assert layout.blocks() == {"numeric": [0, 1], "text": [2, 3, 4], "artist": [5]}
    X = np.column_stack(
        [
            np.arange(8.0),
            np.ones(8),
            np.random.default_rng(0).normal(size=(8, 3)),
            [0, 0, 0, 0, 0, 1, 1, 1],
        ]
    )
    out = layout_preprocessor(layout, PrepConfig(), text_components=2).fit_transform(X)
    # 2 numeric, 2 components, and the artist one-hot: artist 0 (5 rows) and the pooled rare
    assert out.shape == (8, 2 + 2 + 2)


def test_build_matrix_orders_the_blocks(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path))
    frame = titled_tracks(30)
    X, layout = build_matrix(
        frame,
        feature_set="numeric+text",
        numeric=NUMERIC,
        text=("track_name",),
        artist="track_artist",
    )
    assert layout == Layout(3, 384, True) and X.shape == (30, 388)
    assert np.allclose(X[:, :3], frame[list(NUMERIC)].to_numpy())
    with pytest.raises(DataError, match="needs a title column"):
        build_matrix(frame, feature_set="text", numeric=NUMERIC)
    with pytest.raises(DataError, match="unknown feature set 'words'"):
        build_matrix(frame, feature_set="words", numeric=NUMERIC)


@pytest.mark.parametrize("model", ["logreg", "rf"])
def test_titles_carry_the_genre_when_audio_does_not(tmp_path, monkeypatch, model):
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path))
    frame = titled_tracks(150)
    base = TrainConfig(model, features=NUMERIC, text=("track_name",))
    numeric = train_model(frame, "genre", base, TaskState(n_boot=50)).evaluation.metrics["accuracy"]
    both = train_model(
        frame,
        "genre",
        TrainConfig(**{**base.__dict__, "feature_set": "numeric+text"}),
        TaskState(n_boot=50),
    ).evaluation.metrics["accuracy"]
    assert numeric < 0.5 < 0.8 < both


def test_artist_feature_trains(tmp_path):
    frame = make_tracks(120)
    result = train_model(
        frame,
        "genre",
        TrainConfig("logreg", features=NUMERIC, artist="track_artist"),
        TaskState(n_boot=50),
    )
    assert result.evaluation.metrics["accuracy"] > 0.8
    assert isinstance(pd.DataFrame(result.evaluation.per_genre), pd.DataFrame)


@pytest.mark.realdata
def test_titles_help_on_spotify_30k_under_a_track_grouped_split(
    real_data_dir, tmp_path, monkeypatch
):
    from genre_core.data.dataset import load_dataset
    from genre_core.data.splits import SplitSpec

    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path))
    dataset = load_dataset("spotify-30k")
    sample = dataset.frame.sample(12_000, random_state=0)  # a seeded sample keeps CI quick
    split = SplitSpec("group", "track_id", train=0.7, test=0.3, seed=0)
    base = TrainConfig(
        "logreg",
        features=dataset.roles.features,
        split=split,
        text=("track_name", "track_album_name"),
    )
    scores = {
        feature_set: train_model(
            sample,
            "playlist_genre",
            TrainConfig(**{**base.__dict__, "feature_set": feature_set}),
            TaskState(n_boot=200),
        ).evaluation
        for feature_set in ("numeric", "numeric+text")
    }
    numeric, both = scores["numeric"], scores["numeric+text"]
    # Better beyond the bootstrap noise: the combined lower bound clears numeric's estimate.
    assert both.intervals["accuracy"][0] > numeric.metrics["accuracy"]
