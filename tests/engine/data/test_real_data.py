"""The real datasets, read from $GENRE_DATA_DIR: the figures the issue and PROVENANCE state."""

import json

import pytest

from conftest import run_cli
from genre_core.data.audit import audit
from genre_core.data.dataset import load_dataset
from genre_core.data.preprocess import select_genres
from genre_core.data.splits import SplitSpec, split_rows

pytestmark = pytest.mark.realdata


def test_spotify_30k_audit(real_data_dir):
    dataset = load_dataset("spotify-30k")
    assert dataset.verified is True and dataset.origin == "data dir"
    report = audit(dataset)
    assert (report.rows, report.unique_ids) == (32_833, 28_356)
    assert (report.duplicate_ids, report.conflicting_ids) == (3_166, 1_687)
    assert dataset.class_counts.to_dict() == {
        "edm": 6043,
        "rap": 5746,
        "pop": 5507,
        "r&b": 5431,
        "latin": 5155,
        "rock": 4951,
    }
    assert dataset.frame["release_year"].between(1950, 2021).mean() > 0.99


def test_grouped_split_of_spotify_30k_shares_no_track(real_data_dir):
    dataset = load_dataset("spotify-30k")
    split = split_rows(
        dataset.frame, "playlist_genre", SplitSpec("group", "track_id", 0.49, 0.30, 0.21, seed=0)
    )
    ids = dataset.frame["track_id"].to_numpy()
    assert not set(ids[split.train]) & set(ids[split.test])
    assert not set(ids[split.validation]) & set(ids[split.test])


def test_music_genre_11(real_data_dir):
    dataset = load_dataset("music-genre-11")
    frame = dataset.frame
    assert len(frame) == 17_996 and dataset.class_counts["Rock"] == 4_949
    assert frame["duration_ms"].min() > 10_000  # the 2,580 minute values are now ms
    assert frame[["popularity", "key", "instrumentalness"]].isna().sum().tolist() == [
        428,
        2014,
        4377,
    ]


def test_genre_factor_table(real_data_dir):
    dataset = load_dataset("spotify-youtube")
    six = select_genres(
        dataset.frame, "Genre", ["hip hop", "rock", "pop", "electronic", "metal", "classic"]
    )
    assert len(six) == 6_446
    # the report's columns less its artist code, which would tell the model the artist
    features = dataset.roles.features
    assert len(features) == 18 and "Artist_encoded" not in features
    codes = six[["Album_type_encoded", "Licensed_encoded", "official_video_encoded"]]
    assert codes.notna().all().all() and set(codes.stack()) <= {0, 1, 2}


def test_raw_youtube_genres(real_data_dir):
    dataset = load_dataset("spotify-youtube-raw")
    assert len(dataset.frame) == 20_718 and dataset.labels.nunique() == 397


def test_describe_cli_on_spotify_30k(real_data_dir):
    result = run_cli("describe", "--data", "spotify-30k", "--json")
    summary = json.loads(result.stdout)
    assert summary["rows"] == 32_833 and len(summary["classes"]) == 6
    assert summary["audit"]["duplicate_ids"] == 3_166
    assert summary["audit"]["conflicting_ids"] == 1_687
