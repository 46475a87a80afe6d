"""Imputers and scalers fit on training rows only; genre choice and merging."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from conftest import make_tracks
from genre_core.data.preprocess import PrepConfig, make_preprocessor, merge_genres, select_genres
from genre_core.errors import DataError


@pytest.mark.parametrize("imputer", ["mean", "median", "knn"])
@pytest.mark.parametrize("scaler", ["standard", "minmax", "quantile", "none"])
def test_every_combination_fills_gaps(imputer, scaler):
    train = np.array([[1.0, 10], [2, np.nan], [3, 30], [4, 40]])
    out = make_preprocessor(PrepConfig(imputer, scaler, knn_neighbors=2)).fit_transform(train)
    assert out.shape == (4, 2) and not np.isnan(out).any()


def test_statistics_come_from_training_rows_only():
    train = np.array([[0.0], [2.0], [np.nan]])
    test = np.array([[np.nan], [100.0]])
    prep = make_preprocessor(PrepConfig("mean", "standard")).fit(train)
    # The test's own 100 must not move the mean used to fill its gap.
    assert prep.named_steps["impute"].statistics_[0] == 1.0
    assert prep.transform(test)[0, 0] == pytest.approx(0.0)


def test_works_inside_cross_validation():
    frame = make_tracks(90)
    x = frame[["danceability", "energy", "tempo"]].to_numpy()
    model = make_pipeline(make_preprocessor(PrepConfig("knn", "quantile")), LogisticRegression())
    assert cross_val_score(model, x, frame["genre"], cv=3).mean() > 0.9


def test_select_and_merge_genres():
    frame = make_tracks(12, genres=("pop", "rock", "rap", "edm"))
    assert set(select_genres(frame, "genre", ["pop", "rap"])["genre"]) == {"pop", "rap"}
    assert len(select_genres(frame, "genre", None)) == 12
    merged = merge_genres(frame, "genre", {"edm": "pop", "rap": "hip hop"})
    assert sorted(merged["genre"].unique()) == ["hip hop", "pop", "rock"]
    with pytest.raises(DataError, match="'jazz' not in 'genre'"):
        select_genres(frame, "genre", ["pop", "jazz"])
    with pytest.raises(DataError, match="at least two genres"):
        select_genres(frame, "genre", ["pop"])


def test_unknown_choices_are_named():
    with pytest.raises(DataError, match="unknown scaler 'robust'"):
        make_preprocessor(PrepConfig(scaler="robust"))
    assert isinstance(merge_genres(pd.DataFrame({"g": ["a"]}), "g", {}), pd.DataFrame)
