"""The "best" model: boosting stacked on out-of-fold title probabilities, through the zoo."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from conftest import run_cli, tracks_csv
from genre_core import experiments
from genre_core.data import embeddings
from genre_core.data.features import Layout
from genre_core.data.splits import SplitSpec
from genre_core.experiments.recipe import DataSpec
from genre_core.experiments.train import ModelChoice, TrainSpec
from genre_core.models.best import StackedBoostClassifier, same_rows
from genre_core.models.classical import MODELS, make_model, resolve_params

FAST = {"n_estimators": 20, "max_depth": 3}


def noise_titles(n: int = 240, width: int = 200, copies: int = 1, seed: int = 0):
    """Numeric columns that say nothing, and a "title" block of random vectors: a linear
    model memorises each training row's genre from it but cannot guess a new row's."""
    rng = np.random.default_rng(seed)
    songs = n // copies
    genre = np.array(["pop", "rock", "rap"])[np.arange(songs) % 3]
    text = rng.normal(size=(songs, width))
    rows = np.repeat(np.arange(songs), copies)
    X = np.hstack([rng.normal(size=(len(rows), 2)), text[rows]])
    return X, genre[rows]


def test_it_is_a_scikit_learn_classifier_clone_keeps_every_parameter():
    model = StackedBoostClassifier(**FAST, text_C=0.3, n_numeric=2, random_state=5)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    assert twin.get_params()["text_C"] == 0.3 and twin.get_params()["n_numeric"] == 2
    X, y = noise_titles(90, width=8)
    fitted = model.fit(X, y)
    assert fitted is model and not hasattr(twin, "booster_")
    assert list(model.classes_) == ["pop", "rap", "rock"]
    proba = model.predict_proba(X[:7])
    assert proba.shape == (7, 3) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert model.predict(X[:7]).shape == (7,) and model.oof_proba_.shape == (90, 3)


def test_the_stacked_probabilities_are_out_of_fold():
    """In-sample, the linear model knows every training row's genre from its noise; out of
    fold it is at chance. Trees fed in-sample probabilities would copy them."""
    X, y = noise_titles()
    text = X[:, 2:]
    in_sample = LogisticRegression(max_iter=1000).fit(text, y).predict(text)
    assert (in_sample == y).mean() == 1.0  # the leak this test would see
    model = StackedBoostClassifier(**FAST, n_numeric=2).fit(X, y)
    oof = model.classes_[model.oof_proba_.argmax(axis=1)]
    assert (oof == y).mean() < 0.5  # three genres: chance is 1/3


def test_rows_with_the_same_title_share_a_fold():
    """Each title on three rows: folds that split them would let a copy give a row away."""
    X, y = noise_titles(240, copies=3)
    model = StackedBoostClassifier(**FAST, n_numeric=2).fit(X, y)
    oof = model.classes_[model.oof_proba_.argmax(axis=1)]
    assert (oof == y).mean() < 0.5
    assert len(np.unique(same_rows(X[:, 2:]))) == 80


def test_without_text_columns_it_is_plain_boosting():
    X, y = noise_titles(90, width=3)
    model = StackedBoostClassifier(**FAST).fit(X, y)
    assert model.text_model_ is None and model.oof_proba_ is None
    assert model.booster_.n_features_in_ == 5


def test_the_zoo_builds_it_with_the_layout_and_the_thread_budget():
    assert "best" in MODELS
    pipeline = make_model("best", FAST, layout=Layout(numeric=3, text=384))
    assert pipeline[-1].n_numeric == 3 and pipeline[-1].n_jobs is None  # None: threads()
    assert make_model("best", FAST)[-1].n_numeric is None
    assert resolve_params("best", {"text_C": "0.5"})["text_C"] == 0.5


def test_the_cli_offers_best():
    done = run_cli("train", "--help")
    assert done.returncode == 0 and "best" in done.stdout


def fake_embeddings(texts, **_):
    """Deterministic 384-d vectors from each text's hash (no sentence model in a unit test)."""
    vectors = [
        np.random.default_rng(int(hashlib.sha1(t.encode()).hexdigest()[:8], 16)).normal(size=384)
        for t in texts
    ]
    return np.asarray(vectors, dtype=np.float32)


@pytest.mark.parametrize("feature_set", ["numeric", "numeric+text"])
def test_a_recipe_with_model_best_runs_end_to_end(tmp_path, monkeypatch, feature_set):
    monkeypatch.setattr(embeddings, "embed_texts", fake_embeddings)
    source = DataSpec(str(tracks_csv(tmp_path / "tracks.csv", 150, seed=2)), text=("track_name",))
    spec = TrainSpec(
        source,
        SplitSpec.of("group", "track_artist", test=0.3, seed=4),
        (ModelChoice("best", None, FAST),),
        feature_set=feature_set,
        seed=4,
        log=False,
    )
    again = experiments.load_recipe(spec.to_json())
    assert again.models[0].name == "best"
    run = experiments.run(again).summary["runs"][0]
    assert run["model"] == "best" and run["accuracy"] > 0.6
    fitted = experiments.run(spec).result.runs[0].result.pipeline[-1]
    # the 3 numeric features and, under a split grouped by artist, their artist's profile
    assert fitted.n_numeric == 3 + 3 + 1
    assert (fitted.text_model_ is None) == (feature_set == "numeric")


def test_best_trains_from_the_command_line(tmp_path):
    csv = tracks_csv(tmp_path / "tracks.csv", 120)
    done = run_cli(
        "train", "--data", str(csv), "--model", "best", "--param", "n_estimators=20", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert '"model": "best"' in done.stdout


# ---- the title neighbours' genre shares (text_neighbours) ------------------------------------


def xor_titles(n: int = 360, seed: int = 0):
    """Titles in four tight clusters whose genre is the XOR of two embedding signs: no linear
    model separates them, the nearest titles do. The numeric columns say nothing."""
    rng = np.random.default_rng(seed)
    corner = rng.integers(0, 4, size=n)
    signs = np.stack([np.where(corner & 1, 1.0, -1.0), np.where(corner & 2, 1.0, -1.0)], axis=1)
    text = np.hstack([signs * 3, np.zeros((n, 6))]) + rng.normal(scale=0.3, size=(n, 8))
    genre = np.where((corner & 1) ^ (corner >> 1), "rock", "pop")
    return np.hstack([rng.normal(size=(n, 2)), text]), genre


def test_title_neighbours_give_the_nearest_titles_genre_shares():
    from genre_core.models.neighbours import TitleNeighbours

    train = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    genres = np.array(["pop", "pop", "rock", "rock"])
    classes = np.array(["jazz", "pop", "rock"])  # jazz absent from the rows: share 0
    shares = TitleNeighbours(2, classes).fit(train, genres).transform([[2.0, 0.0], [0.0, 3.0]])
    assert shares.shape == (2, 4)
    assert shares[0, 1] > 0.6 and shares[1, 2] > 0.6  # the nearest two share its genre
    assert np.allclose(shares[:, 0], 0) and np.allclose(shares[:, :3].sum(axis=1), 1)
    assert np.allclose(shares[:, 3], 1.0)  # cosine of the nearest: same direction


def test_neighbour_shares_are_stacked_out_of_fold():
    """Each noise title's nearest training title is itself in-sample; out of fold it is not."""
    X, y = noise_titles(240, copies=3)
    model = StackedBoostClassifier(**FAST, n_numeric=2, text_neighbours=5).fit(X, y)
    assert model.oof_proba_.shape == (240, 3 + 3 + 1)  # linear, neighbours, nearest similarity
    shares = model.oof_proba_[:, 3:6]
    assert (model.classes_[shares.argmax(axis=1)] == y).mean() < 0.5
    assert model.oof_proba_[:, 6].max() < 0.99  # never a row's own copy
    assert model.predict_proba(X[:4]).shape == (4, 3)


def test_neighbours_read_what_the_linear_model_cannot():
    X, y = xor_titles()
    train, test = slice(0, 240), slice(240, None)
    accuracy = {}
    for k in (0, 10):
        model = StackedBoostClassifier(**FAST, n_numeric=2, text_neighbours=k).fit(
            X[train], y[train]
        )
        accuracy[k] = (model.predict(X[test]) == y[test]).mean()
    assert accuracy[0] < 0.7 and accuracy[10] > 0.9
    assert resolve_params("best", {})["text_neighbours"] == 0


def test_rows_of_one_split_group_share_a_fold():
    """An artist's songs have near-copies of one title vector (not equal rows): folds by title
    alone let a mate give a row's genre away; with the split's groups they are held out
    together, and the stacked probabilities are as unsure as for a new artist."""
    from genre_core.models.best import joint_groups

    rng = np.random.default_rng(1)
    artists = np.repeat(np.arange(60), 4)
    genre = np.array(["pop", "rock", "rap"])[artists % 3]
    voice = rng.normal(size=(60, 100))[artists] + rng.normal(scale=0.05, size=(240, 100))
    X = np.hstack([rng.normal(size=(240, 2)), voice])
    model = StackedBoostClassifier(**FAST, n_numeric=2)
    by_title = model.fit(X, genre).classes_[model.oof_proba_.argmax(axis=1)]
    assert (by_title == genre).mean() > 0.9  # mates in other folds
    by_artist = model.fit(X, genre, groups=artists).oof_proba_.argmax(axis=1)
    assert (model.classes_[by_artist] == genre).mean() < 0.5
    linked = joint_groups(np.array([0, 0, 1, 2, 3, 3]), np.array(["a", "b", "b", "c", "d", "e"]))
    assert list(linked) == [0, 0, 0, 1, 2, 2]


def test_a_pipeline_passes_the_groups_to_the_model():
    """How the engine hands a grouped split's groups over: ``model__groups`` of the pipeline."""
    rng = np.random.default_rng(2)
    artists = np.repeat(np.arange(45), 4)
    genre = np.array(["pop", "rock", "rap"])[artists % 3]
    voice = rng.normal(size=(45, 50))[artists] + rng.normal(scale=0.05, size=(180, 50))
    X = np.hstack([rng.normal(size=(180, 2)), voice])
    pipeline = make_model("best", FAST, layout=Layout(numeric=2, text=50))
    assert getattr(pipeline[-1], "fits_groups", False)
    pipeline.fit(X, genre, model__groups=artists)
    oof = pipeline[-1].oof_proba_.argmax(axis=1)
    assert (pipeline[-1].classes_[oof] == genre).mean() < 0.5


@pytest.mark.parametrize("grouped", [True, False])
def test_training_hands_a_grouped_splits_groups_to_the_model(tmp_path, monkeypatch, grouped):
    """train_model gives the "best" model the groups of its training rows under a grouped split
    (an artist's songs then share an inner fold), and none under a stratified one."""
    monkeypatch.setattr(embeddings, "embed_texts", fake_embeddings)
    seen = {}
    fit = StackedBoostClassifier.fit

    def spy(self, X, y, report=None, groups=None):
        seen["groups"] = groups
        return fit(self, X, y, report=report, groups=groups)

    monkeypatch.setattr(StackedBoostClassifier, "fit", spy)
    source = DataSpec(str(tracks_csv(tmp_path / "tracks.csv", 150, seed=3)), text=("track_name",))
    split = (
        SplitSpec.of("group", "track_artist", test=0.3, seed=1)
        if grouped
        else SplitSpec.of(test=0.3, seed=1)
    )
    spec = TrainSpec(source, split, (ModelChoice("best", None, FAST),),
                     feature_set="numeric+text", seed=1, log=False)  # fmt: skip
    experiments.run(spec)
    if not grouped:
        assert seen["groups"] is None
        return
    groups = seen["groups"]
    assert 50 < len(groups) < 150  # the training rows' only
    assert len(np.unique(groups)) < len(groups)  # artists with several songs
