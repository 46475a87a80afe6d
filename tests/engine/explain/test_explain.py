"""Explanations on small synthetic frames: SHAP adds up, an ignored feature gets nothing,
permutation importance finds the informative feature, the what-if moves the right way and the
counterfactual is of the genre asked for."""

from __future__ import annotations

import numpy as np
import pytest

from genre_core.errors import DataError
from genre_core.explain import (
    TrackExplainer,
    explainer_kind,
    importance_table,
    nearest_of_genre,
    posterior_band,
    what_if,
)
from genre_core.models.classical import make_model

FEATURES = ("signal", "noise", "constant")


def frame(n: int = 300, genres=("pop", "rock", "rap"), seed: int = 0):
    """``signal`` sets the genre (three bands), ``noise`` is random, ``constant`` never moves
    (a model can only ignore it)."""
    rng = np.random.default_rng(seed)
    signal = rng.uniform(0, 3, n)
    y = np.array(genres)[np.minimum(signal.astype(int), len(genres) - 1)]
    X = np.column_stack([signal, rng.normal(size=n), np.full(n, 2.0)])
    return X, y


@pytest.fixture(scope="module")
def data():
    return frame()


@pytest.mark.parametrize(("model", "kind"), [("xgboost", "tree"), ("rf", "tree"),
                                             ("hgb", "tree"), ("logreg", "linear")])  # fmt: skip
def test_shap_adds_up_to_the_model_output(data, model, kind):
    X, y = data
    params = {"n_estimators": 40} if model in ("xgboost", "rf") else {}
    pipeline = make_model(model, params).fit(X, y)
    explainer = TrackExplainer(pipeline, FEATURES, X)
    assert explainer.kind == explainer_kind(pipeline) == kind
    # the outer genres: a linear model cannot single out the middle band by its signal
    for i in (*np.flatnonzero(y == "pop")[:2], *np.flatnonzero(y == "rap")[:2]):
        explanation = explainer.explain(X[i])
        Xt = pipeline[:-1].transform(X[i : i + 1])
        model_step = pipeline[-1]
        if model == "rf":
            expected = model_step.predict_proba(Xt)[0]
            assert explanation.scale == "probability"
        elif model == "xgboost":
            expected = model_step.booster_.predict(Xt, output_margin=True)[0]
        else:  # the margin: logistic regression's and histogram boosting's decision function
            expected = model_step.decision_function(Xt)[0]
        assert explanation.output == pytest.approx(expected, abs=1e-4)
        assert explanation.base + explanation.shap.sum(axis=0) == pytest.approx(expected, abs=1e-4)
        table = explanation.table()
        assert list(table.columns) == ["feature", "value", "shap"]
        assert table["feature"].iloc[0] == "signal"  # the feature that decides comes first
        constant = table.set_index("feature").loc["constant", "shap"]
        assert abs(constant) < 1e-6


@pytest.mark.parametrize("model", ["knn", "svm"])
def test_permutation_explainer_adds_up_to_the_probability(data, model):
    X, y = data
    pipeline = make_model(model).fit(X, y)
    explainer = TrackExplainer(pipeline, FEATURES, X, background_rows=20)
    explanation = explainer.explain(X[3])
    proba = pipeline.predict_proba(X[3:4])[0]
    assert explanation.kind == "permutation" and explanation.scale == "probability"
    assert explanation.output == pytest.approx(proba, abs=1e-6)
    table = explanation.table(explanation.predicted)
    assert table["feature"].iloc[0] == "signal"
    assert abs(table.set_index("feature").loc["constant", "shap"]) < 1e-9


def test_the_permutation_explainer_stops_between_model_calls(data):
    """A job's Stop reaches a slow explainer (a KNN's, an SVM's) between its calls of the
    model, and a few background rows give the values the whole reference gives (what a job is
    sent)."""
    from genre_core.explain.shapley import background
    from genre_core.runs.progress import Cancelled

    X, y = data
    pipeline = make_model("knn").fit(X, y)

    class StopAfter:
        def __init__(self, calls: int) -> None:
            self.calls = calls

        def is_set(self) -> bool:
            self.calls -= 1
            return self.calls < 0

    with pytest.raises(Cancelled):
        TrackExplainer(pipeline, FEATURES, X, cancel=StopAfter(2)).explain(X[3])
    whole = TrackExplainer(pipeline, FEATURES, X, seed=4).explain(X[3])
    few = TrackExplainer(pipeline, FEATURES, background(X, seed=4), seed=4).explain(X[3])
    np.testing.assert_array_equal(few.shap, whole.shap)


def test_a_binary_margin_model_explains_both_genres():
    X, y = frame(genres=("pop", "rock"))
    pipeline = make_model("logreg").fit(X, y)
    explanation = TrackExplainer(pipeline, FEATURES, X).explain(X[0])
    margin = pipeline.decision_function(X[:1])[0]  # log-odds of the second genre
    assert explanation.output == pytest.approx([-margin, margin], abs=1e-6)
    assert explanation.table("pop")["shap"].sum() == pytest.approx(
        -explanation.table("rock")["shap"].sum()
    )
    with pytest.raises(DataError, match="jazz"):
        explanation.table("jazz")


def test_permutation_importance_ranks_the_informative_feature_first(data):
    X, y = data
    pipeline = make_model("rf", {"n_estimators": 30}).fit(X, y)
    table = importance_table(pipeline, X, y, FEATURES, rows=200, repeats=2)
    assert table["feature"].tolist()[0] == "signal"
    assert table.loc[0, "importance"] > 0.3
    assert table.set_index("feature").loc["constant", "importance"] == 0
    assert (table["rows"] == 200).all()


def test_what_if_moves_the_probability_the_expected_way(data):
    X, y = data
    pipeline = make_model("logreg").fit(X, y)
    track = X[np.flatnonzero(y == "pop")[0]]  # a low signal: pop
    moved = what_if(pipeline, FEATURES, track, {"signal": 2.9}).set_index("genre")
    assert moved.loc["rap", "after"] > moved.loc["rap", "before"] + 0.3
    assert moved.loc["pop", "after"] < moved.loc["pop", "before"]
    assert moved["after"].sum() == pytest.approx(1.0)
    unchanged = what_if(pipeline, FEATURES, track, {})
    assert np.allclose(unchanged["change"], 0)
    with pytest.raises(DataError, match="loudness"):
        what_if(pipeline, FEATURES, track, {"loudness": 1.0})


def test_nearest_track_is_of_the_genre_asked_for(data):
    X, y = data
    track = X[np.flatnonzero(y == "pop")[0]]
    for genre in ("rock", "rap"):
        found = nearest_of_genre(X, y, track, genre, FEATURES)
        assert y[found.position] == genre
        others = np.flatnonzero(y == genre)
        z = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), np.inf)
        best = others[
            np.argmin(np.linalg.norm(z[others] - z[np.flatnonzero(y == "pop")[0]], axis=1))
        ]
        assert found.position == best
        assert found.table["feature"].iloc[0] == "signal"  # what differs most
    same = nearest_of_genre(X, y, track, "pop", FEATURES, exclude=np.all(X == track, axis=1))
    assert not np.all(X[same.position] == track)
    with pytest.raises(DataError, match="jazz"):
        nearest_of_genre(X, y, track, "jazz", FEATURES)


def test_posterior_band_brackets_the_mean():
    from types import SimpleNamespace

    rng = np.random.default_rng(0)
    draws = {"alpha": rng.normal(size=(200, 3)), "beta": rng.normal(1.0, 0.5, size=(200, 2, 3))}
    fitted = SimpleNamespace(
        features=("a", "b"),
        classes=("pop", "rock", "rap"),
        draws={k: v.astype(np.float32) for k, v in draws.items()},
        config=SimpleNamespace(model="logreg"),
    )
    band = posterior_band(fitted, np.array([0.5, -1.0]))
    assert band["mean"].sum() == pytest.approx(1.0, abs=1e-5)
    assert (band["low"] <= band["mean"]).all() and (band["mean"] <= band["high"]).all()
    assert (band["high"] - band["low"] > 0.01).all()  # the draws disagree: a real band


def test_a_network_is_explained_by_permutation(data):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from genre_core.models.networks import NetClassifier

    X, y = data
    pipeline = make_pipeline(
        StandardScaler(), NetClassifier(hidden=(16,), lr=1e-2, max_epochs=30)
    ).fit(X, y)
    explainer = TrackExplainer(pipeline, FEATURES, X, background_rows=15, permutations=2)
    assert explainer.kind == "permutation"
    track = np.flatnonzero(y == "rap")[0]
    explanation = explainer.explain(X[track])
    assert explanation.output == pytest.approx(pipeline.predict_proba(X[track : track + 1])[0],
                                               abs=1e-5)  # fmt: skip
    assert explanation.table()["feature"].iloc[0] == "signal"


def test_a_posterior_is_explained_like_any_model_with_its_band(data):
    from genre_core.explain import PosteriorClassifier
    from genre_core.models.bayes import BayesConfig, fit

    X, y = data
    classes = sorted(set(y))
    scaler = make_model("logreg")[0].fit(X)  # the zoo's imputer and scaler
    config = BayesConfig(model="logreg", steps=300, draws=100)
    fitted = fit(scaler.transform(X), np.searchsorted(classes, y), config, classes=classes,
                 features=FEATURES)  # fmt: skip
    model = PosteriorClassifier(fitted, scaler)
    track = X[np.flatnonzero(y == "pop")[0]]
    assert model.predict(track[None, :])[0] == "pop"
    moved = what_if(model, FEATURES, track, {"signal": 2.9}).set_index("genre")
    assert moved.loc["rap", "after"] > moved.loc["rap", "before"]
    band = model.band(track).set_index("genre")
    assert (band["low"] <= band["mean"]).all() and (band["mean"] <= band["high"]).all()
    assert band["mean"].to_numpy() == pytest.approx(
        model.predict_proba(track[None, :])[0], abs=1e-5
    )
    explanation = TrackExplainer(model, FEATURES, X, background_rows=10, permutations=1).explain(
        track
    )
    assert explanation.kind == "permutation"
    assert explanation.table()["feature"].iloc[0] == "signal"
    table = importance_table(model, X, y, FEATURES, rows=100, repeats=1)
    assert table["feature"].iloc[0] == "signal"
