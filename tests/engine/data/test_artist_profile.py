"""The artist's profile: each numeric feature's mean over the artist's songs, and their count;
honest under a split grouped by artist, where a test artist's profile is its test songs'."""

import numpy as np
import pandas as pd
import pytest

from genre_core.data.features import (
    PROFILE_WARNING,
    Layout,
    artist_profile,
    build_matrix,
)
from genre_core.data.splits import SplitSpec, split_rows
from genre_core.errors import DataError
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.runs.progress import TaskState

NUMERIC = ("danceability", "energy")


def artists_songs(artists=60, songs=16, noise=1.0, seed=0) -> pd.DataFrame:
    """Each artist plays one genre; a song's sound is its artist's centre plus loud noise, so one
    song says little and an artist's songs together say much."""
    rng = np.random.default_rng(seed)
    genres = np.array(["pop", "rock", "rap"])[np.arange(artists) % 3]
    centre = {"pop": (0.0, 0.0), "rock": (1.0, 0.0), "rap": (0.0, 1.0)}
    rows = []
    for a, genre in enumerate(genres):
        for _ in range(songs):
            x = np.array(centre[genre]) + rng.normal(0, noise, 2)
            rows.append({"artist": f"a{a}", "genre": genre, "danceability": x[0], "energy": x[1]})
    return pd.DataFrame(rows)


def test_the_profile_is_the_artists_mean_and_song_count():
    frame = pd.DataFrame(
        {
            "artist": ["x", "x", "y", None, None],
            "danceability": [1.0, 3.0, 5.0, 7.0, 9.0],
            "energy": [0.0, np.nan, 2.0, 1.0, 1.0],
        }
    )
    profile = artist_profile(frame, NUMERIC, "artist")
    expected = [
        [2.0, 0.0, 2],
        [2.0, 0.0, 2],  # a missing value is left out of the mean
        [5.0, 2.0, 1],
        [7.0, 1.0, 1],  # rows without an artist are each their own artist
        [9.0, 1.0, 1],
    ]
    assert np.allclose(profile, expected)
    with pytest.raises(DataError, match="artist column 'singer' not found"):
        artist_profile(frame, NUMERIC, "singer")


def test_under_a_split_grouped_by_artist_each_side_has_its_own_profiles():
    """No feature of a test song reaches a training row's profile, nor the reverse: the
    profile of the whole table is that of each part alone."""
    frame = artists_songs()
    rows = split_rows(frame, "genre", SplitSpec("group", "artist", train=0.7, test=0.3, seed=1))
    whole = artist_profile(frame, NUMERIC, "artist")
    for part in (rows.train, rows.test):
        alone = artist_profile(frame.iloc[part].reset_index(drop=True), NUMERIC, "artist")
        assert np.allclose(whole[part], alone)


def test_the_matrix_puts_the_profile_in_the_numeric_block():
    frame = artists_songs(artists=6, songs=2)
    X, layout = build_matrix(frame, numeric=NUMERIC, profile="artist")
    assert layout == Layout(numeric=5) and X.shape == (12, 5)
    assert np.allclose(X[:, :2], frame[list(NUMERIC)].to_numpy())
    assert np.allclose(X[:, 2:], artist_profile(frame, NUMERIC, "artist"))
    with pytest.raises(DataError, match="averages the numeric features"):
        build_matrix(frame, feature_set="text", text=("artist",), profile="artist")


@pytest.mark.parametrize("model", ["logreg", "xgboost"])
def test_an_artists_songs_together_tell_its_genre_better_than_one_song(model):
    frame = artists_songs()
    split = SplitSpec("group", "artist", train=0.7, test=0.3, seed=0)
    scores = {}
    for profile in (None, "artist"):
        params = {"n_estimators": 60} if model == "xgboost" else {}
        config = TrainConfig(model, params, features=NUMERIC, split=split, profile=profile)
        result = train_model(frame, "genre", config, TaskState(n_boot=50))
        scores[profile] = result.evaluation.metrics["accuracy"]
    assert scores[None] < 0.7 < 0.85 < scores["artist"], scores


def test_the_recipe_checks_the_profile_and_warns_off_an_artist_split(tmp_path):
    from conftest import tracks_csv
    from genre_core import experiments
    from genre_core.experiments.recipe import DataSpec, RecipeError
    from genre_core.experiments.train import ModelChoice, TrainSpec

    data = DataSpec(str(tracks_csv(tmp_path / "tracks.csv", 150, seed=2)))
    by_artist = SplitSpec.of("group", "artist", test=0.3, seed=0)
    spec = TrainSpec(data, by_artist, (ModelChoice("logreg"),), artist_profile=True, log=False)
    outcome = experiments.run(spec)
    config = outcome.result.runs[0].result.config
    assert config.profile == "track_artist" and not config.numeric_only
    assert not outcome.warnings  # grouped by the artist: honest
    random = experiments.run(spec.with_changes(split=SplitSpec.of(test=0.3, seed=0)))
    assert PROFILE_WARNING in random.warnings
    with pytest.raises(RecipeError, match="artist_profile: the profile averages"):
        spec.with_changes(feature_set="text").check()
    with pytest.raises(RecipeError, match="without the artist or its profile"):
        spec.with_changes(cv_folds=3).check()
    with pytest.raises(RecipeError, match="artist_profile: expected true or false"):
        spec.with_changes(artist_profile="yes").check()


def test_best_reads_the_profile_where_the_split_is_grouped_by_artist(tmp_path):
    from conftest import tracks_csv
    from genre_core import experiments
    from genre_core.experiments.recipe import DataSpec
    from genre_core.experiments.train import ModelChoice, TrainSpec

    data = DataSpec(str(tracks_csv(tmp_path / "tracks.csv", 150, seed=2)))
    models = (ModelChoice("best", None, {"n_estimators": 20}), ModelChoice("logreg"))
    by_artist = SplitSpec.of("group", "artist", test=0.3, seed=0)
    outcome = experiments.run(TrainSpec(data, by_artist, models, log=False))
    best, logreg = (r.result.config.profile for r in outcome.result.runs)
    assert (best, logreg) == ("track_artist", None)  # logreg only when asked
    assert outcome.summary["runs"][0]["artist_profile"] == "track_artist"
    assert [r.result.config.inputs for r in outcome.result.runs] == [
        "numeric + artist profile",
        "numeric",
    ]
    assert outcome.result.runs[0].result.pipeline.n_features_in_ == 2 * 3 + 1  # 3 + 3 + songs
    by_track = TrainSpec(data, SplitSpec.of("group", "track", test=0.3, seed=0), models, log=False)
    assert all(r.result.config.profile is None for r in experiments.run(by_track).result.runs)


def test_a_stored_profile_run_names_the_profile_in_its_features_and_recipe(tmp_path, store):
    from conftest import tracks_csv
    from genre_core import experiments
    from genre_core.experiments.recipe import DataSpec
    from genre_core.experiments.train import ModelChoice, TrainSpec
    from genre_core.runs import history
    from genre_core.runs.records import run_facets

    data = DataSpec(str(tracks_csv(tmp_path / "tracks.csv", 150, seed=2)))
    by_artist = SplitSpec.of("group", "artist", test=0.3, seed=0)
    spec = TrainSpec(data, by_artist, (ModelChoice("logreg"),), artist_profile=True)
    (run_id,) = experiments.run(spec).run_ids
    (plain_id,) = experiments.run(spec.with_changes(artist_profile=False)).run_ids
    stored = history.list_runs().set_index("run_id")["features"]
    assert stored[run_id] == "numeric + artist profile" and stored[plain_id] == "numeric"
    details = history.load_run(run_id)
    assert run_facets(details.params)["features"] == "numeric + artist profile"  # no recipe
    from genre_core.runs.bundle import _train_recipes

    (rebuilt, *_) = _train_recipes(details, data)  # the recipe from the params alone
    assert rebuilt.artist_profile and rebuilt.split.group_column == "track_artist"
