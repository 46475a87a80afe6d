"""Sequence models: shapes, a tiny training of each kind, Stop, checkpoints and the vocabulary."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
from sklearn.base import clone

from conftest import make_tracks
from genre_core.errors import DataError
from genre_core.experiments.net import NetConfig, predict_frame
from genre_core.experiments.net import train_network as train
from genre_core.models.networks import NetClassifier, configure_threads
from genre_core.models.presets import preset_params
from genre_core.models.sequences import TitleVocabulary, words
from genre_core.runs.checkpoints import load_network_bytes, network_bytes
from genre_core.runs.progress import TaskState

NUMERIC = ("danceability", "energy", "tempo")
TITLES = ("track_name", "track_album_name")
configure_threads(1)


def titled(n: int = 240, seed: int = 0):
    """Tracks whose album name holds a genre word half of the time, a constant otherwise."""
    frame = make_tracks(n, seed=seed)
    frame["track_album_name"] = [
        f"best of {g}" if i % 2 else "greatest hits" for i, g in enumerate(frame["genre"])
    ]
    return frame


def fit_preset(name: str, frame, epochs: int = 4, **config):
    params = preset_params(name) | {"max_epochs": epochs, "batch_size": 32}
    return train(
        frame,
        "genre",
        NetConfig(params, features=NUMERIC, text=TITLES, **config),
        TaskState(n_boot=20),
    )


@pytest.mark.parametrize(
    ("kind", "extra", "width"),
    [
        ("feature_sequence", {"step_units": 250, "rnn_units": (80,), "hidden": ()}, 13),
        ("feature_sequence", {"rnn_units": (80, 150), "hidden": ()}, 13),
        ("input_sequence", {"rnn_units": (64,), "hidden": (32, 10, 32)}, 397),
        ("title", {"rnn_units": (16,), "title_length": 6, "vocab_size": 50}, 13 + 6),
    ],
)
def test_each_kind_maps_a_batch_to_one_logit_per_genre(kind, extra, width):
    net = NetClassifier(kind=kind, rnn_cell="gru" if kind == "title" else "lstm", **extra)
    module = net.build_module(width, 5)
    X = torch.zeros(7, width)
    if kind == "title":
        X[:, 13:16] = torch.tensor([2.0, 3.0, 49.0])  # three words, then padding
        X[0, 13:] = 0  # an empty title still runs
    assert module(X).shape == (7, 5)


def test_the_seeds_architectures_have_the_reported_layers():
    text = str(NetClassifier(**preset_params("cas-mlp-modif-text")).build_module(397, 5))
    assert "LSTM(397, 64, batch_first=True)" in text
    for layer in ("Linear(in_features=64, out_features=32", "BatchNorm1d(10", "GELU"):
        assert layer in text
    assert "Dropout" not in text  # Fig. 5 has none
    text = str(NetClassifier(**preset_params("rnn-dense-lstm")).build_module(13, 114))
    assert "Linear(in_features=1, out_features=250" in text and "LSTM(250, 80" in text
    text = str(NetClassifier(**preset_params("rnn-lstm-lstm")).build_module(13, 114))
    assert "LSTM(1, 80" in text and "LSTM(80, 150" in text


@pytest.mark.parametrize("name", ["rnn-dense-lstm", "rnn-lstm-lstm"])
def test_feature_sequence_models_learn_the_fixture(name):
    result = fit_preset(name, make_tracks(240), epochs=25)
    assert len(result.history) == 25 and result.stop_reason == "completed"
    assert result.inputs is None
    # three separable genres; guessing scores a third
    assert result.evaluation.metrics["accuracy"] > 0.6
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]


def test_title_model_reads_the_words_that_carry_the_genre():
    frame = titled(300)
    frame[list(NUMERIC)] = np.random.default_rng(1).normal(size=(300, 3))  # audio says nothing
    result = fit_preset("title-lstm", frame, epochs=20)
    assert result.inputs["titles"] == "tokens" and "best" in result.inputs["words"]
    # half the titles name the genre: about 2/3 is reachable, a third is chance
    assert result.evaluation.metrics["accuracy"] > 0.5
    network = result.network
    assert network.vocab_size == len(result.inputs["words"]) + 2


def test_input_sequence_reads_numeric_and_title_embeddings(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path))
    result = fit_preset("cas-mlp-modif-text", titled(90), epochs=2, feature_set="numeric+text")
    assert result.inputs == {"titles": "embedding", "text": list(TITLES)}
    assert result.network.n_features_in_ == 3 + 384
    raw = network_bytes(result.pipeline, result.features, inputs=result.inputs)
    loaded = load_network_bytes(raw)
    frame = titled(90)
    ours = predict_frame(result.pipeline, frame, result.features, result.inputs)
    theirs = predict_frame(loaded.pipeline, frame, loaded.features, loaded.inputs)
    assert np.allclose(ours.iloc[:, 1:], theirs.iloc[:, 1:], atol=1e-6)


@pytest.mark.parametrize("name", ["rnn-lstm-lstm", "title-lstm"])
def test_checkpoint_round_trip_predicts_the_same(name):
    frame = titled(150)
    result = fit_preset(name, frame, epochs=2)
    raw = network_bytes(result.pipeline, result.features, {"dataset": "fixture"}, result.inputs)
    assert b"__pickle__" not in raw and b"genre-lab-network" in raw
    loaded = load_network_bytes(raw, "net.safetensors")
    assert loaded.config["architecture"]["kind"] == preset_params(name)["kind"]
    assert loaded.inputs == result.inputs
    ours = predict_frame(result.pipeline, frame, result.features, result.inputs)
    theirs = predict_frame(loaded.pipeline, frame, loaded.features, loaded.inputs)
    assert (ours["predicted_genre"] == theirs["predicted_genre"]).all()
    assert np.allclose(ours.iloc[:, 1:], theirs.iloc[:, 1:], atol=1e-6)
    if result.inputs:
        with pytest.raises(DataError, match="title column"):
            predict_frame(loaded.pipeline, frame.drop(columns="track_album_name"), loaded.features,
                          loaded.inputs)  # fmt: skip


def test_a_damaged_title_block_in_a_file_is_refused():
    result = fit_preset("title-lstm", titled(90), epochs=1)
    inputs = dict(result.inputs, length="many")
    raw = network_bytes(result.pipeline, result.features, inputs=inputs)
    with pytest.raises(DataError, match="invalid 'inputs'"):
        load_network_bytes(raw, "bad.safetensors")


def test_stop_ends_a_sequence_model_and_keeps_an_evaluated_result():
    cancel = threading.Event()
    seen = []

    def progress(event):
        if event.get("stage") == "epoch":
            seen.append(event)
            if len(seen) == 2:
                cancel.set()

    params = preset_params("rnn-dense-lstm") | {"max_epochs": 500, "batch_size": 16}
    config = NetConfig(params, features=NUMERIC)
    result = train(make_tracks(150), "genre", config, TaskState(progress, cancel, n_boot=10))
    assert result.stop_reason == "stopped" and len(result.history) == 2
    assert 1 <= result.kept_epoch <= 2 and 0 <= result.evaluation.metrics["accuracy"] <= 1


def test_same_seed_same_weights_and_clone_works():
    frame = make_tracks(120)
    first = fit_preset("title-lstm", titled(120), epochs=2).network.module_.state_dict()
    again = fit_preset("title-lstm", titled(120), epochs=2).network.module_.state_dict()
    assert all(torch.equal(first[k], again[k]) for k in first)
    net = NetClassifier(**preset_params("rnn-lstm-lstm"))
    assert clone(net).get_params()["rnn_units"] == (80, 150)
    X = frame[list(NUMERIC)].to_numpy()
    fitted = clone(net).set_params(max_epochs=1).fit((X - X.mean(0)) / X.std(0), frame["genre"])
    assert fitted.predict(X[:5]).shape == (5,)


def test_clear_messages_for_settings_and_missing_titles():
    frame = make_tracks(90)
    with pytest.raises(DataError, match="no title column"):
        train(frame, "genre", NetConfig(preset_params("title-lstm"), features=NUMERIC))
    with pytest.raises(DataError, match="lstm or gru"):
        NetClassifier(kind="feature_sequence", rnn_cell="rnn").check_settings()
    with pytest.raises(DataError, match="recurrent layer"):
        NetClassifier(kind="feature_sequence", rnn_units=()).check_settings()
    with pytest.raises(DataError, match="unknown network kind"):
        NetClassifier(kind="transformer").check_settings()


def test_vocabulary_from_training_titles_with_unknown_and_padding():
    vocab = TitleVocabulary.fit(["Love Song", "love me", "Rock On", "rock rock"], length=3)
    assert vocab.words == ("rock", "love") and vocab.size == 4  # once-seen words are unknown
    ids = vocab.encode(["LOVE rock song and more", ""])
    assert ids.tolist() == [[3, 2, 1], [0, 0, 0]]
    assert words("Don't Stop (feat. A.B.) - Remix_2") == [
        "don't",
        "stop",
        "feat",
        "a.b",
        "remix",
        "2",
    ]
