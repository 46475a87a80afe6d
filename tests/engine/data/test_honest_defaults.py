"""Issue 13.2: honest defaults. Where songs repeat, every recipe's split is grouped by track
(its id, or its title and artist) and says why in one line; a release date gives the default
feature ``release_year``; the CLI's default split is the recipe's."""

import numpy as np
import pandas as pd
import pytest

from conftest import make_tracks
from genre_core import experiments
from genre_core.data.audit import TRACK, repeated_songs, split_note, track_split
from genre_core.data.dataset import from_known_frame, from_user_frame
from genre_core.data.registry import DATASETS
from genre_core.data.splits import SplitSpec, group_values, split_rows
from genre_core.experiments.recipe import DataSpec, RecipeError, resolve_split


def titled(n: int = 120, *, repeat: bool = True) -> pd.DataFrame:
    """Tracks without ids whose titles and artists repeat (written differently) when asked."""
    tracks = make_tracks(n).drop(columns="track_id")
    song = np.arange(n) // 3 if repeat else np.arange(n)
    tracks["track_name"] = [
        f"  Song {s}" if i % 2 else f"song {s}".upper() for i, s in enumerate(song)
    ]
    tracks["track_artist"] = [f"artist {s % 17}" for s in song]
    return tracks


def sides(parts, rows) -> set[str]:
    return {name for name, part in parts.items() if set(rows) & set(part)}


def test_title_and_artist_group_a_song_whatever_its_spelling():
    frame = titled()
    keys = group_values(frame, "track_name + track_artist")
    assert keys.nunique() == 40  # 120 rows, each song on three
    split = split_rows(frame, "genre", SplitSpec.of("group", "track_name + track_artist"))
    parts = {"train": split.train, "test": split.test}
    for song in range(40):
        assert len(sides(parts, range(3 * song, 3 * song + 3))) == 1


def test_an_unknown_group_column_is_named():
    with pytest.raises(Exception, match=r"'nope \+ track_artist' not found"):
        group_values(titled(), "nope + track_artist")


@pytest.mark.parametrize(
    ("frame", "column"),
    [(make_tracks(120), "track_id"), (titled(), "track_name + track_artist")],
)
def test_the_default_split_groups_repeated_songs(frame, column):
    dataset = from_user_frame(frame, "t.csv")
    assert repeated_songs(dataset) == (column, 120)
    split = resolve_split(SplitSpec.by_track(), dataset)
    assert (split.method, split.group_column) == ("group", column)
    assert split_note(split, dataset).startswith(f"Grouped by track ({column}): 120 rows repeat")


def test_no_repeated_song_leaves_a_stratified_split():
    dataset = from_user_frame(titled(repeat=False), "t.csv")
    assert repeated_songs(dataset) == (None, 0)
    split = track_split(SplitSpec.by_track(test=0.25, seed=3), dataset)
    assert split == SplitSpec.of("stratified", test=0.25, seed=3)
    assert "no song repeats" in split_note(split, dataset)


def test_the_note_explains_artist_grouping_and_warns_of_a_random_split():
    dataset = from_user_frame(make_tracks(120), "t.csv")
    artist = resolve_split(SplitSpec.of("group", "artist"), dataset)
    assert artist.group_column == "track_artist"
    assert "artists it never heard" in split_note(artist, dataset)
    note = split_note(SplitSpec.of("stratified"), dataset)
    assert "inflate" in note and "120 rows repeat a song" in note


def test_a_missing_group_column_names_the_choices():
    dataset = from_user_frame(make_tracks(120), "t.csv")
    with pytest.raises(RecipeError, match="split.group_column: .*'album'.*track, track_id"):
        resolve_split(SplitSpec.of("group", "album"), dataset)


def test_every_kind_defaults_to_the_track_split():
    for kind in ("train", "net", "search", "transfer", "merge-curve"):
        cls = experiments.recipe_class(kind)
        split = cls.default_split()
        assert (split.method, split.group_column) == ("group", TRACK), kind


def test_a_train_recipe_without_a_split_groups_copies(tmp_path):
    path = tmp_path / "t.csv"
    make_tracks(150).to_csv(path, index=False)
    spec = experiments.recipe_class("train").from_options(
        DataSpec(source=str(path)), None, {"models": "logreg"}
    )
    outcome = experiments.run(spec.with_changes(log=False))
    assert outcome.summary["split"] == "grouped by track_id 70/0/30"


def test_a_release_date_gives_release_year_as_a_default_feature():
    spec = DATASETS["spotify-30k"]
    frame = make_tracks(60).rename(columns={"genre": spec.label})
    frame["track_album_release_date"] = ["2019-06-01", "2001"] * 30
    for column in set(spec.features) - set(frame.columns):
        frame[column] = 0.5
    dataset = from_known_frame(frame, spec)
    assert dataset.roles.features[-1] == "release_year"
    assert set(dataset.frame["release_year"]) == {2019.0, 2001.0}
    without = from_known_frame(frame.drop(columns="track_album_release_date"), spec)
    assert "release_year" not in without.roles.features
