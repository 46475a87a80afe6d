"""Tracks to predict get the columns training derived (a page's "predict on a file")."""

from genre_core.experiments.predict import read_unlabeled


def test_tracks_to_predict_get_the_release_year_training_derived():
    raw = b"title,track_album_release_date,energy\nA,2019-05-01,0.5\nB,1998,0.7\n"
    frame = read_unlabeled(raw, "mine.csv")
    assert list(frame["release_year"]) == [2019.0, 1998.0]
    assert list(frame["energy"]) == [0.5, 0.7]
