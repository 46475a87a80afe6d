"""The tracks behind a number: a confusion cell's tracks, a genre's mistakes, the evaluated rows
kept by an evaluation, and their names looked up in a table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from genre_core.errors import DataError
from genre_core.metrics.evaluation import evaluate
from genre_core.metrics.tracks import (
    cell_tracks,
    genre_mistakes,
    predictions_table,
    track_columns,
    track_names,
    with_names,
    worst_genres,
)

CLASSES = ("pop", "rap", "rock")
TRUE = ["pop", "pop", "pop", "rock", "rock", "rap", "rap", "rock"]
PROBA = np.array(
    [
        [0.7, 0.1, 0.2],  # pop, right
        [0.3, 0.1, 0.6],  # pop taken for rock
        [0.1, 0.1, 0.8],  # pop taken for rock, surer
        [0.2, 0.1, 0.7],  # rock, right
        [0.5, 0.1, 0.4],  # rock taken for pop
        [0.1, 0.8, 0.1],  # rap, right
        [0.2, 0.3, 0.5],  # rap taken for rock
        [0.1, 0.2, 0.7],  # rock, right
    ]
)
PRED = [CLASSES[i] for i in PROBA.argmax(1)]
ROWS = [10, 11, 12, 13, 14, 15, 16, 17]
NAMES = pd.DataFrame({"title": [f"Song {i}" for i in ROWS], "artist": ["A", "B"] * 4})


def table() -> pd.DataFrame:
    return predictions_table(TRUE, PRED, PROBA, CLASSES, rows=ROWS, names=NAMES)


def test_a_cell_lists_exactly_its_rows_surest_first():
    found = cell_tracks(table(), "pop", "rock")
    assert list(found["row"]) == [12, 11]  # the 0.8 answer before the 0.6 one
    assert list(found["title"]) == ["Song 12", "Song 11"]
    assert list(found["artist"]) == ["A", "B"]
    assert set(found["true genre"]) == {"pop"} and set(found["predicted genre"]) == {"rock"}
    assert found["p(predicted)"].tolist() == [0.8, 0.6]
    assert found["p(true)"].tolist() == [0.1, 0.3]


def test_every_cell_together_holds_every_row_once_as_the_confusion_counts():
    ev = evaluate(TRUE, PROBA, CLASSES, rows=ROWS, names=NAMES, n_boot=10)
    seen = []
    for i, true in enumerate(CLASSES):
        for j, pred in enumerate(CLASSES):
            rows = cell_tracks(ev.predictions, true, pred)["row"].tolist()
            assert len(rows) == ev.confusion[i, j]
            seen += rows
    assert sorted(seen) == ROWS


def test_an_empty_cell_lists_nothing():
    found = cell_tracks(table(), "rap", "pop")
    assert found.empty
    assert "p(true)" in found.columns


def test_a_genres_mistakes_are_its_misses_and_the_tracks_taken_for_it_surest_first():
    found = genre_mistakes(table(), "rock")
    assert list(found["row"]) == [12, 11, 16, 14]
    assert list(found["mistake"]) == ["taken for rock"] * 3 + ["missed"]
    assert (found["true genre"] != found["predicted genre"]).all()


def test_the_hardest_genre_comes_first():
    per_genre = pd.DataFrame({"genre": ["pop", "rap", "rock"], "pr_auc": [0.9, np.nan, 0.4]})
    assert worst_genres(per_genre) == ["rock", "pop", "rap"]
    no_proba = pd.DataFrame({"genre": ["pop", "rap"], "f1": [0.2, 0.1]})
    assert worst_genres(no_proba) == ["rap", "pop"]


def test_an_evaluation_keeps_its_rows_with_their_names_and_probabilities():
    ev = evaluate(TRUE, PROBA, CLASSES, rows=ROWS, names=NAMES, n_boot=10)
    kept = ev.predictions
    assert list(kept.columns) == ["row", "title", "artist", "true", "pred", *(
        f"proba.{g}" for g in CLASSES
    )]  # fmt: skip
    assert kept["row"].tolist() == ROWS and kept["pred"].tolist() == PRED
    assert np.allclose(kept[[f"proba.{g}" for g in CLASSES]].to_numpy(), PROBA)
    assert ev.correct.tolist() == [t == p for t, p in zip(TRUE, PRED, strict=True)]


def test_an_evaluation_without_rows_numbers_them_and_refuses_a_wrong_count():
    ev = evaluate(TRUE, PROBA, CLASSES, n_boot=10)
    assert ev.predictions["row"].tolist() == list(range(len(TRUE)))
    assert "title" not in ev.predictions.columns
    with pytest.raises(DataError, match="3 row labels for 8"):
        evaluate(TRUE, PROBA, CLASSES, rows=[1, 2, 3], n_boot=10)


def test_without_probabilities_the_cell_still_lists_its_tracks():
    found = cell_tracks(predictions_table(TRUE, PRED, None, CLASSES), "pop", "rock")
    assert list(found["row"]) == [1, 2]
    assert found["p(predicted)"].isna().all()


def test_names_come_from_the_first_title_column_and_the_artist():
    frame = pd.DataFrame(
        {"track_name": ["a", "b"], "album": ["x", "y"], "track_artist": ["p", "q"]},
        index=[5, 7],
    )
    columns = track_columns(("track_name", "album"), "track_artist")
    assert columns == {"title": "track_name", "artist": "track_artist"}
    assert track_columns((), None) == {}
    names = track_names(frame, columns)
    assert names.to_dict("list") == {"title": ["a", "b"], "artist": ["p", "q"]}


def test_stored_predictions_are_named_from_their_own_table_only():
    frame = pd.DataFrame(
        {"track_name": ["a", "b", "c"], "track_artist": ["p", "q", "r"]}, index=[5, 7, 9]
    )
    columns = track_columns(("track_name",), "track_artist")
    stored = pd.DataFrame({"row": [9, 5], "true": ["pop", "rap"], "pred": ["pop", "pop"]})
    named = with_names(stored, frame, columns)
    assert named[["row", "title", "artist"]].to_dict("list") == {
        "row": [9, 5], "title": ["c", "a"], "artist": ["r", "p"]
    }  # fmt: skip
    as_text = stored.assign(row=stored["row"].astype(str))  # labels read back as text
    assert with_names(as_text, frame, columns)["title"].tolist() == ["c", "a"]
    other_table = stored.assign(row=[9, 11])
    assert "title" not in with_names(other_table, frame, columns).columns
