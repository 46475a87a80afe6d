"""Bayesian models on small synthetic data with known coefficients."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from genre_core.errors import DataError
from genre_core.experiments.bayes_tables import Experiment, run_table2, size_curve
from genre_core.models import bayes, posterior
from genre_core.plots import bayes as bayes_plots
from genre_core.runs.progress import Cancelled

CLASSES = ("a", "b", "c")
FEATURES = ("x1", "x2", "noise")
# Centred over genres (each row sums to 0): the part of β the data can identify.
TRUE_BETA = np.array([[2.0, -1.0, -1.0], [0.0, 1.5, -1.5], [0.0, 0.0, 0.0]])


def synthetic(n: int = 600, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    logits = X @ TRUE_BETA
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    return X, y


def fit(X, y, **config) -> bayes.BayesFit:
    return bayes.fit(X, y, bayes.BayesConfig(**config), classes=CLASSES, features=FEATURES)


def centred(fitted: bayes.BayesFit) -> np.ndarray:
    beta = fitted.draws["beta"]
    return beta - beta.mean(axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def data():
    return synthetic()


@pytest.fixture(scope="module")
def svi_fit(data):
    X, y = data
    return fit(X, y, model="logreg", learning_rate=0.05)


def test_svi_posterior_mean_recovers_known_coefficients(svi_fit):
    draws = centred(svi_fit)
    mean = draws.mean(axis=0)
    low, high = np.quantile(draws, [0.005, 0.995], axis=0)
    assert ((low <= TRUE_BETA) & (TRUE_BETA <= high)).all(), (mean, low, high)
    assert np.abs(mean - TRUE_BETA).max() < 0.4
    assert svi_fit.converged and len(svi_fit.elbo) < svi_fit.config.steps
    assert svi_fit.elbo[-1] < svi_fit.elbo[0]


def test_nuts_posterior_recovers_known_coefficients_with_diagnostics():
    X, y = synthetic(400, seed=2)
    fitted = fit(X, y, model="logreg", inference="mcmc", warmup=50, samples=50, chains=2)
    draws = centred(fitted)
    low, high = np.quantile(draws, [0.005, 0.995], axis=0)
    assert ((low <= TRUE_BETA) & (TRUE_BETA <= high)).all()
    assert np.abs(draws.mean(0) - TRUE_BETA).max() < 0.5
    table = fitted.diagnostics.set_index("site")
    assert set(table.index) == {"alpha", "beta"}
    assert (table["r_hat_max"] < 1.2).all() and (table["ess_min"] > 10).all()
    assert fitted.draws["beta"].shape == (100, 3, 3)


def test_ard_shrinks_the_irrelevant_feature(data):
    X, y = data
    fitted = fit(X, y, model="ard", learning_rate=0.05)
    table = posterior.relevance_table(fitted).set_index("feature")
    assert table["relevance"].idxmin() == "noise"
    assert table.loc["noise", "relevance"] < 0.3 * table.loc[["x1", "x2"], "relevance"].min()
    assert bayes_plots.relevance_figure(table.reset_index()).data[0].x[0] == pytest.approx(
        table.loc["noise", "relevance"]
    )


@pytest.mark.parametrize(
    ("model", "shapes"),
    [
        ("logreg", {"alpha": (7, 3), "beta": (7, 2, 3)}),
        ("hier-t", {"alpha": (7, 3), "mu_beta": (7, 2), "sigma_beta": (7,), "z_beta": (7, 2, 3)}),
        ("ard", {"sigma_beta": (7, 2)}),
        ("bnn", {"w1": (7, 2, 4), "b1": (7, 4), "w2": (7, 4, 3), "b2": (7, 3)}),
    ],
)
def test_prior_sampling_shapes(model, shapes):
    X = np.random.default_rng(0).normal(size=(5, 2))
    drawn = bayes.sample_prior(bayes.BayesConfig(model, hidden=4), X, 3, num_samples=7)
    for site, shape in shapes.items():
        assert drawn[site].shape == shape
    assert drawn["y"].shape == (7, 5)
    assert set(np.unique(drawn["y"])) <= {0, 1, 2}


def test_prior_draws_predict_at_chance():
    X, y = synthetic(300, seed=3)
    drawn = bayes.sample_prior(bayes.BayesConfig("logreg"), X, 3, num_samples=60)
    for guesses in (drawn["y"], drawn["predicted"]):
        assert abs((guesses == y).mean(axis=1).mean() - 1 / 3) < 0.08


def test_same_seed_same_posterior_and_other_seed_differs(data):
    X, y = data
    one = fit(X[:200], y[:200], model="hier-t", steps=60, seed=3)
    two = fit(X[:200], y[:200], model="hier-t", steps=60, seed=3)
    other = fit(X[:200], y[:200], model="hier-t", steps=60, seed=4)
    np.testing.assert_array_equal(one.draws["beta"], two.draws["beta"])
    assert not np.allclose(one.draws["beta"], other.draws["beta"])


def test_cancel_stops_svi_at_the_next_step(data):
    X, y = data
    cancel = threading.Event()
    seen = []

    def progress(event):
        seen.append(event["step"])
        if event["step"] >= 20:
            cancel.set()

    with pytest.raises(Cancelled):
        bayes.fit(
            X,
            y,
            bayes.BayesConfig("logreg", tol=0),
            classes=CLASSES,
            features=FEATURES,
            progress=progress,
            cancel=cancel,
        )
    assert seen[-1] == 20


def test_cancel_stops_nuts(data):
    X, y = data
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        fit_config = bayes.BayesConfig("logreg", inference="mcmc", warmup=50, samples=50)
        bayes.fit(X[:50], y[:50], fit_config, classes=CLASSES, features=FEATURES, cancel=cancel)


def test_predictions_uncertainty_and_comparison(svi_fit, data):
    X, y = data
    predictions = bayes.predict(svi_fit, X)
    assert predictions.proba.shape == (len(y), 3)
    np.testing.assert_allclose(predictions.proba.sum(1), 1, rtol=1e-6)
    assert (predictions.entropy <= np.log(3) + 1e-9).all()
    assert (predictions.mutual_information >= 0).all()
    found = bayes.metrics(y, predictions, CLASSES)
    assert 0.6 < found["accuracy"] < 0.95 and 0.3 < found["log_loss"] < 1.0
    # wrong predictions are, on average, the uncertain ones
    wrong = predictions.proba.argmax(1) != y
    assert predictions.entropy[wrong].mean() > predictions.entropy[~wrong].mean()
    forest = posterior.forest_table(svi_fit, "a")
    assert list(forest["feature"]) == list(FEATURES)
    assert (forest["low"] <= forest["mean"]).all() and (forest["mean"] <= forest["high"]).all()
    assert forest.loc[0, "mean"] == pytest.approx(TRUE_BETA[0, 0], abs=0.4)
    assert len(bayes_plots.forest_figure(forest, "a").data[0].x) == 3


def frame_of(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(X, columns=FEATURES)
    frame["genre"] = np.asarray(CLASSES)[y]
    frame["title"] = [f"song {i}" for i in range(len(y))]
    return frame


def test_prepare_scales_on_training_rows_and_checks_sizes(data):
    frame = frame_of(*data)
    frame.loc[::7, "x1"] = np.nan
    prepared = bayes.prepare(frame, "genre", FEATURES, n_train=300, n_test=100, seed=0)
    assert prepared.X_train.shape == (300, 3) and prepared.X_test.shape == (100, 3)
    assert not np.isnan(prepared.X_train).any()
    np.testing.assert_allclose(prepared.X_train.mean(0), 0, atol=1e-5)
    assert not set(prepared.train_rows) & set(prepared.test_rows)
    with pytest.raises(DataError, match="the table has 600"):
        bayes.prepare(frame, "genre", FEATURES, n_train=550, n_test=100)
    with pytest.raises(DataError, match="at least 3 rows"):
        bayes.prepare(frame, "genre", FEATURES, n_train=2, n_test=100)
    with pytest.raises(DataError, match="not in the table"):
        bayes.prepare(frame, "genre", ("x1", "tempo"), n_train=100, n_test=100)


def test_uncertain_tracks_and_point_estimate_side_by_side(data):
    frame = frame_of(*data)
    prepared = bayes.prepare(frame, "genre", FEATURES, n_train=400, n_test=150, seed=0)
    fitted = bayes.fit(
        prepared.X_train,
        prepared.y_train,
        bayes.BayesConfig("logreg", learning_rate=0.05),
        classes=prepared.classes,
        features=prepared.features,
    )
    predictions = bayes.predict(fitted, prepared.X_test)
    top = posterior.uncertain_tracks(frame, prepared, predictions, columns=["title"], top=5)
    assert len(top) == 5 and top["entropy"].is_monotonic_decreasing
    assert top["entropy"].iloc[0] == pytest.approx(predictions.entropy.max())
    assert set(top["title"]) <= set(frame["title"].iloc[prepared.test_rows])
    table = posterior.comparison_table(prepared, fitted, predictions)
    assert len(table) == 2
    # the same model and prior: the posterior predictive and the MAP estimate agree closely
    assert abs(table["accuracy"].iloc[0] - table["accuracy"].iloc[1]) < 0.05
    point = posterior.point_coefficients(prepared)
    mean = centred(fitted).mean(0)
    assert np.corrcoef(point.ravel(), mean.ravel())[0, 1] > 0.95
    np.testing.assert_allclose(posterior.centred_coefficients(fitted).mean(0), mean)


def test_bad_configs_say_what_is_wrong(data):
    X, y = data
    with pytest.raises(DataError, match="'model' must be one of logreg, hier-t"):
        bayes.BayesConfig("svm")
    with pytest.raises(DataError, match="'tau' must be between 0.01 and 100"):
        bayes.BayesConfig(tau=0)
    with pytest.raises(DataError, match="missing or infinite"):
        bad = X.copy()
        bad[0, 0] = np.nan
        fit(bad, y)
    with pytest.raises(DataError, match="network has no per-feature coefficients"):
        posterior.forest_table(fit(X[:60], y[:60], model="bnn", steps=20, hidden=3), "a")


def test_table2_runner_and_size_curve_on_small_data(data):
    frame = frame_of(*data)
    quick = bayes.BayesConfig("logreg", learning_rate=0.05, steps=400)
    experiments = [Experiment(1, quick, 100, 50, 63.0, 32.0)]
    table = run_table2(frame, "genre", FEATURES, experiments=experiments, held_out=200)
    row = table.iloc[0]
    assert row["report_test"] == 32.0 and row["n_train"] == 100
    assert 50 < row["test_held_out"] < 100 and 0 < row["log_loss"] < 1.1
    curve = size_curve(frame, "genre", FEATURES, {"SVI": quick}, sizes=(30, 300), held_out=200)
    assert list(curve["method"].unique()) == ["SVI", "point-estimate LR"]
    assert len(curve) == 4
    figure = bayes_plots.size_curve_figure(curve)
    assert len(figure.data) == 2


def test_the_schema_declares_every_config_field_and_refuses_its_invalid_values():
    fields = list(bayes.BayesConfig.__dataclass_fields__)
    assert bayes.BAYES_PARAMS.names == fields
    assert bayes.BayesConfig() == bayes.BayesConfig(**bayes.BAYES_PARAMS.defaults)
    for param in bayes.BAYES_PARAMS:
        for bad in param.invalid_values():
            with pytest.raises(DataError, match=f"'{param.name}'"):
                bayes.BayesConfig(**{param.name: bad})
    # texts, as the CLI and a recipe give them, are parsed by the same schema
    config = bayes.BayesConfig.of({"steps": "500", "model": "ARD", "learning_rate": "0.05"})
    assert (config.steps, config.model, config.learning_rate) == (500, "ard", 0.05)
    with pytest.raises(DataError, match="no parameter 'depth'"):
        bayes.BayesConfig.of({"depth": "3"})


def test_prepare_from_a_grouped_split_keeps_every_group_on_one_side(data):
    from genre_core.data.splits import SplitSpec

    frame = frame_of(*data).assign(artist=[f"a{i % 40}" for i in range(len(data[1]))])
    split = SplitSpec.of("group", "artist", test=0.3, seed=1)
    prepared = bayes.prepare(frame, "genre", FEATURES, n_train=200, n_test=80, split=split)
    assert len(prepared.train_rows) == 200 and len(prepared.test_rows) == 80
    train_artists = set(frame["artist"].iloc[prepared.train_rows])
    assert not train_artists & set(frame["artist"].iloc[prepared.test_rows])
    with pytest.raises(DataError, match="the split's test part holds"):
        bayes.prepare(frame, "genre", FEATURES, n_train=100, n_test=300, split=split)
