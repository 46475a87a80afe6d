"""Issue 17.5: a saved row index is never taken for a track id; title + artist stand in for
one, and the audit says which key it used."""

import numpy as np
import pandas as pd
import pytest

from conftest import make_tracks
from genre_core.data.audit import audit, conflicts
from genre_core.data.dataset import from_user_frame, is_index_like, load_dataset


def with_index(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    return frame.reset_index(drop=True).reset_index(names=name)


@pytest.mark.parametrize("name", ["Unnamed: 0", "index", "id", "row_id"])
def test_a_row_index_is_not_an_id(name):
    tracks = with_index(make_tracks(60).drop(columns="track_id"), name)
    dataset = from_user_frame(tracks, "t.csv")
    assert dataset.roles.id_column is None
    assert name not in dataset.roles.features


def test_real_ids_are_still_found():
    tracks = make_tracks(60)
    tracks["row_id"] = np.random.default_rng(0).permutation(60)  # unique, not in order
    tracks = tracks.drop(columns="track_id")
    assert from_user_frame(tracks, "t.csv").roles.id_column == "row_id"
    assert from_user_frame(make_tracks(60), "t.csv").roles.id_column == "track_id"


def test_index_like():
    assert is_index_like(pd.Series([5200.0, 5201.0, 5202.0], name="Unnamed: 0"))
    assert is_index_like(pd.Series([3, 4, 5], name="id"))
    assert not is_index_like(pd.Series([3, 5, 4], name="id"))
    assert not is_index_like(pd.Series(["a", "b", "c"], name="track_id"))
    assert not is_index_like(pd.Series([1, 1, 2], name="id"))


def test_title_and_artist_are_the_key_without_an_id():
    tracks = with_index(make_tracks(60).drop(columns="track_id"), "Unnamed: 0")
    tracks.loc[1, ["track_name", "track_artist"]] = tracks.loc[0, ["track_name", "track_artist"]]
    tracks.loc[1, "track_name"] = tracks.loc[0, "track_name"].upper()  # case does not matter
    report = audit(from_user_frame(tracks, "t.csv"))
    assert report.key == "track_name + track_artist"
    assert report.duplicate_ids == 1 and report.conflicting_ids == 1  # rows 0, 1: pop and rock
    assert "track_name and track_artist" in report.summary()[0]
    assert "no track id column" in report.summary()[0]
    table = conflicts(from_user_frame(tracks, "t.csv"))  # the song by its own title and artist
    assert list(table.columns[:3]) == ["genres", "n_genres", "rows"]
    assert "track_name" in table.columns and "track_artist" in table.columns
    assert not any("\x1f" in str(value) for value in table.to_numpy().ravel())


def test_the_audit_says_when_feature_values_are_the_key():
    tracks = make_tracks(30).drop(columns=["track_id", "track_name"])
    report = audit(from_user_frame(tracks, "t.csv"))
    assert report.key == "features" and "identical feature values" in report.summary()[0]


@pytest.mark.realdata
def test_spotify_youtube_row_index_is_not_its_id(real_data_dir):
    dataset = load_dataset("spotify-youtube")
    assert dataset.roles.id_column is None  # the registry names 'Unnamed: 0'
    report = audit(dataset)
    # 100 rows repeat another's 18 feature values; 102 on the 15 without the three codes (two
    # songs credited to two artists each, whose rows differ in official_video_encoded)
    assert report.key == "features" and report.duplicate_rows == 100
    assert report.duplicate_ids > 0 and report.accuracy_ceiling < 1
