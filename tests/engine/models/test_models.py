"""The model zoo, training, cross-validation, grid search and predictions on small tables."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from conftest import make_tracks
from genre_core.data.preprocess import PrepConfig
from genre_core.data.splits import SplitSpec, group_codes
from genre_core.errors import DataError
from genre_core.experiments.fitting import (
    TrainConfig,
    cross_validate,
    cv_folds,
    train_model,
    training_table,
)
from genre_core.experiments.grid import BASELINE_GRIDS, grid_search
from genre_core.experiments.predict import predict_table, submission_table
from genre_core.models.classical import MODELS, make_model, resolve_params
from genre_core.params import parse_assignments
from genre_core.runs.progress import TaskState

FEATURES = ("danceability", "energy", "tempo")
FAST = {
    "rf": {"n_estimators": 20},
    "xgboost": {"n_estimators": 20, "max_depth": 3},
    "hgb": {"max_iter": 20},
    "best": {"n_estimators": 20, "max_depth": 3},
}


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_is_a_pipeline_that_learns_string_genres(name, tracks):
    _, X, y = training_table(tracks, "genre", FEATURES)
    model = make_model(name, FAST.get(name), seed=0)
    fitted = clone(model).fit(X[::2], y[::2])
    assert set(fitted.classes_) == {"pop", "rock", "rap"}
    predicted = fitted.predict(X[1::2])
    assert predicted.dtype.kind in "UO" and (predicted == y[1::2]).mean() > 0.6
    proba = fitted.predict_proba(X[1::2])
    assert np.allclose(proba.sum(axis=1), 1, atol=1e-4)


def test_the_zoo_works_with_scikit_learn_cross_validation(tracks):
    _, X, y = training_table(tracks, "genre", FEATURES)
    accuracy = cross_val_score(make_model("xgboost", FAST["xgboost"]), X, y, cv=3)
    assert accuracy.mean() > 0.6


def test_presets_and_params_are_checked():
    assert resolve_params("xgboost", preset="development") == {
        **MODELS["xgboost"].defaults,
        "colsample_bytree": 0.9,
        "learning_rate": 0.1,
        "max_depth": 10,
        "n_estimators": 300,
        "subsample": 0.9,
    }
    assert resolve_params("knn", preset="genre-factor")["n_neighbors"] == 12
    assert resolve_params("rf", {"max_depth": "none", "bootstrap": "false"})["max_depth"] is None
    assert resolve_params("logreg", {"class_weight": "balanced", "C": "0.5"})["C"] == 0.5
    for values, message in (
        ({"n_neighbors": "2.5"}, "whole number"),
        ({"n_neighbors": "0"}, "between 1 and 200"),
        ({"weights": "far"}, "one of uniform, distance"),
        ({"depth": "3"}, "no parameter 'depth'"),
    ):
        with pytest.raises(DataError, match=message):
            resolve_params("knn", values)
    with pytest.raises(DataError, match="unknown model 'tree'"):
        make_model("tree")
    with pytest.raises(DataError, match="no preset"):
        resolve_params("hgb", preset="development")
    assert parse_assignments(["C=2", " gamma = auto "]) == {"C": "2", "gamma": "auto"}
    with pytest.raises(DataError, match="KEY=VALUE"):
        parse_assignments(["C"])


def test_train_model_reports_scores_sizes_and_train_gap(tracks):
    events = []
    config = TrainConfig("logreg", features=FEATURES, split=SplitSpec(train=0.7, test=0.3))
    result = train_model(tracks, "genre", config, TaskState(events.append, n_boot=100))
    assert (result.n_train, result.n_test) == (84, 36)
    assert [e["stage"] for e in events] == ["split", "evaluate", "done"]
    summary = result.summary()
    assert summary["accuracy"] > 0.6
    low, high = summary["accuracy_ci95"]
    assert low <= summary["accuracy"] <= high
    assert result.evaluation.gap is not None


def test_grouped_training_keeps_each_group_on_one_side(tracks):
    config = TrainConfig(
        "knn", features=FEATURES, split=SplitSpec("group", "track_artist", train=0.7, test=0.3)
    )
    result = train_model(tracks, "genre", config, TaskState(n_boot=50))
    assert result.n_train + result.n_test == len(tracks)


def test_grouped_cv_never_shares_a_group_between_folds():
    frame = make_tracks(n=300, seed=4)
    groups = group_codes(frame["track_artist"])
    y = frame["genre"].to_numpy()
    folds = cv_folds(y, groups, k=5, seed=1)
    assert len(folds) == 5
    seen = np.concatenate([test for _, test in folds])
    assert sorted(seen) == list(range(len(frame)))  # every row tested exactly once
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])


def test_cross_validate_gives_mean_and_std_and_honours_cancel(tracks):
    _, X, y = training_table(tracks, "genre", FEATURES)
    cv = cross_validate(make_model("logreg"), X, y, k=4)
    s = cv.summary()
    assert s["folds"] == 4 and 0.6 < s["accuracy_mean"] <= 1 and s["accuracy_std"] >= 0
    stop = threading.Event()
    stop.set()
    from genre_core.runs.progress import Cancelled

    with pytest.raises(Cancelled):
        cross_validate(make_model("logreg"), X, y, TaskState(cancel=stop), k=4)


def test_grid_search_ranks_combinations_reports_progress_and_stops(tracks):
    _, X, y = training_table(tracks, "genre", FEATURES)
    events = []
    table = grid_search(
        "knn", {"n_neighbors": [1, 15], "weights": ["uniform"]}, X, y, TaskState(events.append), k=3
    )
    assert len(table) == 2 and table["rank"].tolist() == [1, 2]
    assert table["accuracy_mean"].is_monotonic_decreasing
    assert [e["done"] for e in events] == list(range(1, 7)) and events[-1]["total"] == 6

    stop = threading.Event()

    def stop_after_four(event):
        if event.get("done") == 4:
            stop.set()

    partial = grid_search(
        "knn", {"n_neighbors": [1, 5, 15]}, X, y, TaskState(stop_after_four, stop), k=3
    )
    assert len(partial) == 1  # the first combination finished, the second was cut short
    with pytest.raises(DataError, match="between 1 and 200"):
        grid_search("knn", {"n_neighbors": [0]}, X, y, k=3)
    assert set(BASELINE_GRIDS) == {"xgboost", "rf"}
    for model, grid in BASELINE_GRIDS.items():
        for combo_value in grid.items():
            resolve_params(model, {combo_value[0]: combo_value[1][0]})


def test_predict_table_and_the_kaggle_submission(tracks):
    _, X, y = training_table(tracks, "genre", FEATURES)
    model = make_model("logreg", prep=PrepConfig("median", "standard")).fit(X, y)
    new = tracks[list(FEATURES)].head(4).astype(object)
    new.loc[1, "energy"] = None
    out = predict_table(model, new, FEATURES)
    assert list(out.columns) == ["predicted_genre", "p_pop", "p_rap", "p_rock"]
    assert np.allclose(out.filter(like="p_").sum(axis=1), 1)
    names = {0: "pop", 1: "rap", 2: "rock"}
    sub = submission_table(out, names)
    assert list(sub.columns) == ["pop_0", "rap_1", "rock_2"]
    assert sub["rock_2"].tolist() == out["p_rock"].tolist()
    with pytest.raises(DataError, match="needs a model trained on all"):
        submission_table(out, {**names, 3: "jazz"})
    with pytest.raises(DataError, match="tempo"):
        predict_table(model, new.drop(columns="tempo"), FEATURES)
    bad = new.copy()
    bad.loc[2, "tempo"] = "fast"
    with pytest.raises(DataError, match="line 4 holds 'fast'"):
        predict_table(model, bad, FEATURES)


def test_training_table_rejects_bad_choices(tracks):
    with pytest.raises(DataError, match="at least one feature"):
        training_table(tracks, "genre", ())
    with pytest.raises(DataError, match="'jazz'"):
        training_table(tracks, "genre", FEATURES, ("pop", "jazz"))
    with pytest.raises(DataError, match="loudness"):
        training_table(tracks, "genre", ("loudness",))
    assert len(training_table(pd.concat([tracks]), "genre", FEATURES, ("pop", "rock"))[2]) == 80


def test_a_validation_part_gives_the_train_validation_gap(tracks):
    split = SplitSpec(train=0.5, validation=0.2, test=0.3, seed=1)
    result = train_model(
        tracks,
        "genre",
        TrainConfig("knn", {"n_neighbors": 1}, None, FEATURES, split=split),
        TaskState(n_boot=50),
    )
    ev = result.evaluation
    assert result.n_test == 36 and result.n_train + result.n_validation == 84
    assert 23 <= result.n_validation <= 25
    assert ev.train_accuracy == 1.0  # one neighbour: each training row is its own neighbour
    assert ev.gap == pytest.approx(1.0 - ev.validation_accuracy)


@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_svm_pairs_vote_like_libsvm_and_calibrate_probabilities(class_weight):
    from sklearn.svm import SVC

    from genre_core.models.classical import SVMClassifier

    rng = np.random.default_rng(3)
    sizes = {"pop": 160, "rock": 90, "rap": 50}  # unbalanced, so the weights matter
    X = np.vstack([rng.normal(i, 1.2, size=(n, 4)) for i, n in enumerate(sizes.values())])
    y = np.repeat(list(sizes), list(sizes.values()))
    ours = SVMClassifier(C=2.0, class_weight=class_weight).fit(X, y)
    libsvm = SVC(C=2.0, class_weight=class_weight).fit(X, y)
    grid = rng.normal(1, 2, size=(400, 4))
    # the same binary problems as libsvm's own one-vs-one: the same genre calls
    assert np.mean(ours.predict(grid) == libsvm.predict(grid)) >= 0.99
    proba = ours.predict_proba(grid)
    assert proba.shape == (400, 3) and np.allclose(proba.sum(axis=1), 1)
    assert list(ours.classes_) == sorted(sizes)
    # calibrated: confident where the votes are clear, and better than a constant guess
    confident = proba.max(axis=1)
    assert confident.max() > 0.9 and confident.min() < 0.9


@pytest.mark.filterwarnings("ignore:The `probability` parameter:FutureWarning")
def test_svm_five_fold_calibration_is_libsvm_probability():
    from sklearn.svm import SVC

    from genre_core.models.classical import SVMClassifier

    rng = np.random.default_rng(4)
    X = np.vstack([rng.normal(i, 1.0, size=(40, 3)) for i in range(3)])
    y = np.repeat(["a", "b", "c"], 40)
    ours = SVMClassifier(calibration="5-fold", random_state=1).fit(X, y)
    libsvm = SVC(probability=True, random_state=1).fit(X, y)
    assert np.allclose(ours.predict_proba(X), libsvm.predict_proba(X))
    assert np.array_equal(ours.predict(X), libsvm.predict(X))
