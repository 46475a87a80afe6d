"""The shortcut detector: features that give the genre away by their form."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from genre_core.data.dataset import from_user_frame, load_dataset
from genre_core.data.shortcuts import find_shortcuts, lookup_gain, scale_split

GENRES = ("pop", "rock", "rap", "folk")


def clean_tracks(n: int = 800, seed: int = 1) -> pd.DataFrame:
    """Genre-dependent features, every song once, nothing missing: no shortcut."""
    rng = np.random.default_rng(seed)
    labels = np.array(GENRES)[np.arange(n) % len(GENRES)]
    offset = np.arange(n) % len(GENRES)
    return pd.DataFrame(
        {
            "track_id": [f"t{i}" for i in range(n)],
            "danceability": rng.normal(0.5 + 0.05 * offset, 0.1),
            "energy": rng.normal(0.6 - 0.05 * offset, 0.1),
            "duration_ms": rng.normal(210_000 + 5_000 * offset, 30_000),
            "genre": labels,
        }
    )


def shortcuts_of(frame: pd.DataFrame):
    return find_shortcuts(from_user_frame(frame, "tracks.csv", label="genre"))


def test_a_clean_table_has_no_shortcut():
    assert shortcuts_of(clean_tracks()) == []


def test_durations_in_minutes_for_one_genre_are_found_and_measured():
    frame = clean_tracks()
    folk = frame["genre"] == "folk"
    frame.loc[folk, "duration_ms"] = frame.loc[folk, "duration_ms"] / 60_000  # minutes
    (found,) = shortcuts_of(frame)
    assert (found.kind, found.feature, found.genres, found.rows) == (
        "scale", "duration_ms", ("folk",), int(folk.sum()),
    )  # fmt: skip
    assert found.fix == "convert"
    assert "all 200 folk" in found.detail
    assert found.accuracy > found.baseline and found.low > 0.1  # the unit alone gives folk away


def test_values_missing_for_one_genre_are_found():
    frame = clean_tracks()
    rap = np.flatnonzero(frame["genre"] == "rap")[:150]
    frame.loc[rap, "energy"] = np.nan
    (found,) = shortcuts_of(frame)
    assert (found.kind, found.feature, found.genres[0], found.rows) == (
        "missing",
        "energy",
        "rap",
        150,
    )
    assert found.low > 0


def test_values_missing_at_random_are_no_shortcut():
    frame = clean_tracks()
    frame.loc[np.random.default_rng(3).choice(len(frame), 150, replace=False), "energy"] = np.nan
    assert shortcuts_of(frame) == []


def test_a_constant_genre_and_the_label_renamed_are_found():
    frame = clean_tracks()
    frame["mode"] = np.random.default_rng(4).integers(0, 2, len(frame))
    frame.loc[frame["genre"] == "rock", "mode"] = 1
    frame["genre_code"] = frame["genre"].map({g: i for i, g in enumerate(GENRES)})
    found = {s.kind: s for s in shortcuts_of(frame)}
    assert found["constant"].feature == "mode" and found["constant"].genres == ("rock",)
    assert found["label-copy"].feature == "genre_code" and found["label-copy"].accuracy == 1.0
    assert found["label-copy"].fix == "drop"


def test_the_same_song_under_a_random_split_is_a_shortcut():
    frame = clean_tracks()
    copies = frame.sample(300, random_state=5)
    (found,) = shortcuts_of(pd.concat([frame, copies], ignore_index=True))
    assert (found.kind, found.feature, found.fix) == ("same-song", "track_id", "group")
    assert found.rows == 600 and found.low > 0


def test_two_scales_need_a_gap_and_rows_on_both_sides():
    values = pd.Series(np.r_[np.full(50, 3.5), np.full(950, 210_000.0)])
    assert 3.5 < scale_split(values) < 210_000
    assert scale_split(pd.Series(np.r_[np.full(5, 3.5), np.full(995, 210_000.0)])) is None
    assert scale_split(pd.Series(np.geomspace(1e-6, 1, 1000))) is None  # one wide scale


def test_the_lookup_gain_is_zero_for_noise():
    rng = np.random.default_rng(6)
    labels = pd.Series(rng.choice(list(GENRES), 4000))
    accuracy, baseline, gain, low, high = lookup_gain(pd.Series(rng.integers(0, 2, 4000)), labels)
    assert low < 0 < high


@pytest.fixture(scope="module")
def music_genre_11():
    try:
        return load_dataset("music-genre-11")
    except Exception as error:  # noqa: BLE001 - no copy of the dataset on this machine
        pytest.skip(f"music-genre-11 not available: {error}")


def test_music_genre_11_durations_in_minutes_are_every_row_of_four_genres(music_genre_11):
    """The issue's measurement: 2,580 durations in minutes, exactly every Acoustic/Folk,
    Instrumental, Bollywood and Country track, plus 407 Pop ones."""
    found = {s.kind: s for s in find_shortcuts(music_genre_11)}
    scale = found["scale"]
    assert scale.feature == "duration_ms" and scale.rows == 2580
    for part in ("all 625 Acoustic/Folk", "all 576 Instrumental", "all 402 Bollywood",
                 "all 387 Country", "407 of"):  # fmt: skip
        assert part in scale.detail
    assert scale.low > 0


def test_describe_json_lists_the_shortcuts(tmp_path):
    frame = clean_tracks()
    folk = frame["genre"] == "folk"
    frame.loc[folk, "duration_ms"] = frame.loc[folk, "duration_ms"] / 60_000
    path = tmp_path / "tracks.csv"
    frame.to_csv(path, index=False)
    done = run_cli("describe", "--data", str(path), "--label", "genre", "--json")
    assert done.returncode == 0, done.stderr
    (finding,) = json.loads(done.stdout)["audit"]["shortcuts"]
    assert {"feature", "kind", "genres", "rows"} <= set(finding)
    assert (finding["feature"], finding["kind"], finding["genres"]) == (
        "duration_ms", "scale", ["folk"],
    )  # fmt: skip
