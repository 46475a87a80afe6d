"""Column roles, validation messages and the known datasets' normalisation."""

import re

import numpy as np
import pandas as pd
import pytest

from genre_core.data.dataset import from_known_frame, from_user_frame, infer_roles, load_upload
from genre_core.data.registry import DATASETS
from genre_core.errors import DataError


def test_roles_are_detected(tracks):
    roles = infer_roles(tracks)
    assert roles.label == "genre"
    assert roles.features == ("danceability", "energy", "tempo")
    assert roles.id_column == "track_id" and roles.artist_column == "track_artist"
    assert roles.text == ("track_name",)


def test_user_choices_win(tracks):
    dataset = from_user_frame(tracks, "t.csv", label="genre", features=["tempo"])
    assert dataset.roles.features == ("tempo",)


def _fails(frame, message, **kwargs):
    with pytest.raises(DataError, match=re.escape(message)):
        from_user_frame(frame, "t.csv", **kwargs)


def test_missing_label_column(tracks):
    _fails(tracks, "label column 'style' not found; the columns are: track_id", label="style")


def test_empty_label_column(tracks):
    _fails(tracks.assign(genre=np.nan), "label column 'genre' is empty", label="genre")


def test_single_class(tracks):
    _fails(tracks.assign(genre="pop"), "holds a single genre ('pop')")


def test_class_with_a_single_row(tracks):
    frame = tracks.copy()
    frame.loc[5, "genre"] = "jazz"
    _fails(frame, "1 genre(s) in 'genre' have a single row ('jazz')")


def test_no_numeric_feature(tracks):
    _fails(tracks[["track_name", "genre"]], "no numeric feature column")


def test_all_features_empty(tracks):
    frame = tracks.assign(danceability=np.nan, energy=np.nan, tempo=np.nan)
    _fails(frame, "every feature column is empty", features=["danceability", "energy", "tempo"])


def test_text_in_a_numeric_column_names_the_line(tracks):
    frame = tracks.astype({"tempo": object})
    frame.loc[7, "tempo"] = "fast"
    _fails(
        frame,
        "column 'tempo' should hold numbers but line 9 holds 'fast'",
        features=["tempo", "energy"],
    )


def test_text_column_chosen_as_feature(tracks):
    _fails(tracks, "looks like a text column", features=["track_name"])


def test_infinite_value_names_the_line(tracks):
    frame = tracks.copy()
    frame.loc[3, "energy"] = np.inf
    _fails(frame, "column 'energy' holds an infinite value on line 5")


def test_rows_without_label_are_dropped_with_a_warning(tracks):
    frame = tracks.copy()
    frame.loc[:2, "genre"] = None
    dataset = from_user_frame(frame, "t.csv")
    assert len(dataset.frame) == len(tracks) - 3
    assert any("3 rows have no 'genre'" in w for w in dataset.warnings)


def test_missing_feature_values_are_reported(tracks):
    frame = tracks.copy()
    frame.loc[:9, "tempo"] = np.nan
    dataset = from_user_frame(frame, "t.csv")
    assert any("tempo (10)" in w for w in dataset.warnings)


def test_upload_round_trip(tracks):
    raw = tracks.to_csv(index=False, sep=";").encode()
    dataset = load_upload(raw, "mine.csv")
    assert dataset.origin == "upload" and dataset.roles.label == "genre"
    assert len(dataset.frame) == len(tracks)


def test_release_year_from_mixed_dates():
    frame = pd.DataFrame(
        {
            "album_release_date": ["2019-06-14", "1999", "2001-03", None],
            "x": [1.0, 2, 3, 4],
            "genre": ["a", "a", "b", "b"],
        }
    )
    dataset = from_user_frame(frame, "t.csv")
    assert dataset.frame["release_year"].tolist()[:3] == [2019, 1999, 2001]
    assert np.isnan(dataset.frame["release_year"].iloc[3])


def test_music_genre_11_normalisation():
    spec = DATASETS["music-genre-11"]
    frame = pd.DataFrame(
        {
            "Artist Name": ["a", "b", "c", "d"],
            "Track Name": ["w", "x", "y", "z"],
            "Popularity": [10.0, None, 30.0, 40.0],  # Kaggle's spelling
            "danceability": [0.1, 0.2, 0.3, 0.4],
            "duration_in min/ms": [4.0156, 234596.0, 3.5, 200000.0],
            "Class": [0, 5, 10, 5],
        }
    )
    dataset = from_known_frame(frame, spec)
    assert dataset.frame["Class"].tolist() == ["Acoustic/Folk", "HipHop", "Rock", "HipHop"]
    assert dataset.frame["duration_ms"].tolist() == pytest.approx([240936, 234596, 210000, 200000])
    assert "popularity" in dataset.roles.features
