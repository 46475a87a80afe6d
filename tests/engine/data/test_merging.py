"""Merge maps: keyword rules, maps derived from data, and suggestions from confusion."""

import numpy as np
import pandas as pd
import pytest

from genre_core.data.merging import (
    apply_map,
    consolidation_map,
    keyword_map,
    merge_suggestions,
    parse_rules,
    restrict,
    subgenre_map,
)
from genre_core.errors import DataError


def test_keyword_rules_first_match_wins_on_whole_words():
    genres = ["k-pop", "indie pop", "hip hop", "popcorn", "rock", "pop rock"]
    mapping = keyword_map(genres, [("hip hop", "rap"), ("pop", "pop"), ("rock", "rock")])
    assert mapping == {
        "k-pop": "pop",
        "indie pop": "pop",
        "hip hop": "rap",
        "pop rock": "pop",
        "rock": "rock",
    }
    assert "popcorn" not in mapping  # "pop" is not a word of "popcorn"


def test_parse_rules_names_the_bad_line():
    assert parse_rules("# comment\npop -> pop\n\nhip hop -> rap") == [
        ("pop", "pop"),
        ("hip hop", "rap"),
    ]
    with pytest.raises(DataError, match="line 2 needs the form"):
        parse_rules("pop -> pop\nrock")
    with pytest.raises(DataError, match="line 1 has an empty"):
        parse_rules(" -> pop")


def test_apply_map_drops_genres_mapped_to_none():
    labels = pd.Series(["a", "b", "c"])
    assert apply_map(labels, {"a": "x", "b": None}).tolist() == ["x", pd.NA, "c"]


def test_subgenre_map_takes_the_most_common_parent():
    frame = pd.DataFrame(
        {"sub": ["trap", "trap", "trap", "hard rock"], "genre": ["rap", "rap", "pop", "rock"]}
    )
    assert subgenre_map(frame, "sub", "genre") == {"hard rock": "rock", "trap": "rap"}


def test_consolidation_map_from_a_joined_table():
    raw = pd.DataFrame(
        {"id": [0, 1, 2, 3, 4], "g": ["pop music", "Latin pop", "salsa", "Not Found", "pop music"]}
    )
    merged = pd.DataFrame({"id": [0.0, 1.0, 2.0, 4.0], "g": ["pop", "latin", "latin", "pop"]})
    mapping = consolidation_map(raw, merged, "id", "g")
    assert mapping == {
        "pop music": "pop",
        "Latin pop": "latin",
        "salsa": "latin",
        "Not Found": None,
    }
    assert restrict(mapping, ["pop"]) == {
        "pop music": "pop",
        "Latin pop": None,
        "salsa": None,
        "Not Found": None,
    }
    merged.loc[3, "g"] = "rock"
    with pytest.raises(DataError, match="'pop music' was consolidated into several"):
        consolidation_map(raw, merged, "id", "g")


def test_suggestions_merge_the_most_confused_pair_first():
    classes = ["pop", "rock", "rap", "edm"]
    confusion = np.array(
        [
            [50, 10, 30, 10],  # pop and rap are confused most
            [5, 85, 5, 5],
            [25, 5, 65, 5],
            [10, 5, 5, 80],
        ]
    )
    steps = merge_suggestions(confusion, classes)
    assert len(steps) == 3
    assert set(steps[0][:2]) == {"pop", "rap"}
    assert steps[0][2] == pytest.approx((0.30 + 0.25) / 2)
    assert steps[0][2] >= steps[1][2] >= steps[2][2]


@pytest.mark.realdata
def test_built_in_maps_from_the_real_data(real_data_dir):
    from genre_core.data.dataset import load_dataset
    from genre_core.data.merging import GENRE_FACTOR_SIX, wikidata_maps

    songs = load_dataset("spotify-30k").frame
    mapping = subgenre_map(songs, "playlist_subgenre", "playlist_genre")
    assert len(mapping) == 24 and set(mapping.values()) == set(songs["playlist_genre"])
    assert mapping["gangster rap"] == "rap" and mapping["hard rock"] == "rock"
    broad, six = wikidata_maps()
    assert len(broad) == 397
    assert len({t for t in broad.values() if t}) == 27
    assert {t for t in six.values() if t} == set(GENRE_FACTOR_SIX)
    assert broad["Not Found"] is None and broad["hip hop music"] == "hip hop"
