"""Networks: the seeds' layers, the training controls, faults, reproducibility, checkpoints."""

from __future__ import annotations

import json
import struct
import threading
import time

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from conftest import make_tracks
from genre_core.errors import DataError
from genre_core.experiments.net import NetConfig, train_network
from genre_core.models.layers import build_mlp, init_weights, load_matching
from genre_core.models.networks import NetClassifier
from genre_core.models.presets import NET_PARAMS, PRESETS, preset_params
from genre_core.runs.checkpoints import (
    load_network_bytes,
    network_bytes,
    network_state,
    read_config,
)
from genre_core.runs.progress import TaskState

FEATURES = ("danceability", "energy", "tempo")


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def blobs(n=300, k=3, d=4, seed=0, noise=1.0):
    """Separable-ish classes; with ``noise`` large the labels are mostly luck."""
    rng = np.random.default_rng(seed)
    codes = np.arange(n) % k
    X = rng.normal(size=(n, d)) * noise + codes[:, None] * 1.0
    return X.astype(np.float32), np.array(["pop", "rap", "rock", "jazz"])[codes]


def layers(module):
    """``(kind, shape)`` for every child: Linear (out, in), BatchNorm (n,), Dropout p, else kind."""
    out = []
    for child in module.children():
        kind = type(child).__name__
        if isinstance(child, torch.nn.Linear):
            out.append((kind, (child.out_features, child.in_features)))
        elif isinstance(child, torch.nn.BatchNorm1d):
            out.append((kind, child.num_features))
        elif isinstance(child, torch.nn.Dropout):
            out.append((kind, child.p))
        elif isinstance(child, torch.nn.LeakyReLU):
            out.append((kind, child.negative_slope))
        else:
            out.append((kind, None))
    return out


L, R, G, D, B = "Linear", ("ReLU", None), ("GELU", None), "Dropout", "BatchNorm1d"
EXPECTED = {
    # Cas d'étude Fig. 3 (the Softmax is applied at prediction, not as a layer)
    "cas-mlp-base": [(L, (32, 13)), R, (L, (5, 32))],
    # Cas d'étude Fig. 4, child for child
    "cas-mlp-modif": [
        (L, (32, 13)), (D, 0.2), G, (L, (10, 32)), (B, 10), G,
        (L, (32, 10)), (D, 0.2), G, (L, (5, 32)),
    ],
    "development": [
        (L, (64, 13)), (B, 64), R, (D, 0.5), (L, (32, 64)), (B, 32), R, (D, 0.5),
        (L, (16, 32)), (B, 16), R, (D, 0.5), (L, (5, 16)),
    ],
    "development-grid": [(L, (128, 13)), R, (D, 0.3), (L, (16, 128)), R, (D, 0.3), (L, (5, 16))],
    "genre-factor": [
        (L, (256, 13)), ("LeakyReLU", 0.3), (D, 0.4), (L, (512, 256)), ("LeakyReLU", 0.3),
        (D, 0.4), (L, (512, 512)), ("LeakyReLU", 0.3), (D, 0.4), (L, (5, 512)),
    ],
    "rnn-softmax": [(L, (5, 13))],
    "rnn-mlp": [
        (L, (100, 13)), R, (L, (150, 100)), R, (L, (150, 150)), R, (L, (150, 150)), R,
        (L, (5, 150)),
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", [n for n, p in PRESETS.items() if "kind" not in p.params])
def test_presets_build_the_seeds_layers(name):  # recurrent ones: tests/test_sequences.py
    module = NetClassifier(**preset_params(name)).build_module(13, 5)
    assert layers(module) == EXPECTED[name]


def test_presets_carry_the_seeds_training_settings():
    dev, grid, factor = (
        preset_params(n) for n in ("development", "development-grid", "genre-factor")
    )
    assert (dev["optimizer"], dev["lr"], dev["weight_decay"]) == ("adam", 1e-3, 1e-4)
    assert (dev["batch_size"], dev["max_epochs"], dev["clip_norm"]) == (32, 100, 1.0)
    assert (grid["batch_size"], grid["clip_norm"], grid["batch_norm"]) == (32, 1.5, False)
    assert (factor["optimizer"], factor["batch_size"], factor["max_epochs"]) == ("nadam", 512, 60)
    assert (factor["patience"], factor["lr_factor"], factor["lr_patience"]) == (20, 0.1, 5)
    modif = preset_params("cas-mlp-modif")
    assert (modif["lr"], modif["batch_size"], modif["clip_norm"]) == (1e-3, 64, 1.0)
    assert NetClassifier(**modif).build_module(13, 5)[0].in_features == 13  # names: fc1 ...
    assert [n for n, _ in NetClassifier(**modif).build_module(13, 5).named_children()][:3] == [
        "fc1",
        "dropout1",
        "act1",
    ]


def test_the_network_is_a_scikit_learn_estimator():
    X, y = blobs(240, noise=0.4)
    model = make_pipeline(StandardScaler(), NetClassifier(hidden=(16,), lr=1e-2, max_epochs=10))
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.mean() > 0.8
    search = GridSearchCV(NetClassifier(max_epochs=3, hidden=(8,)), {"lr": [1e-3, 1e-2]}, cv=2).fit(
        X, y
    )
    assert search.best_params_["lr"] in (1e-3, 1e-2)
    fitted = clone(model).fit(X, y)
    assert set(fitted.predict(X)) <= {"pop", "rap", "rock"}
    assert np.allclose(fitted.predict_proba(X).sum(axis=1), 1, atol=1e-5)


def test_early_stopping_ends_on_patience_and_restores_the_best_epoch():
    X, y = blobs(300, noise=6.0)  # mostly noise: a wide net overfits and validation worsens
    net = NetClassifier(hidden=(256, 256), lr=1e-2, max_epochs=80, patience=3).fit(X, y)
    valid = [h["valid_loss"] for h in net.history_]
    best = int(np.argmin(valid)) + 1
    assert net.stop_reason_ == "early stop" and len(valid) == best + 3 < 80
    assert net.kept_epoch_ == best
    # the kept weights are the best epoch's: their validation loss is the minimum of the curve
    valid_ds = net.net_.train_split(None)[1]
    with torch.no_grad():
        logits = net.module_.eval()(torch.as_tensor(valid_ds.X))
        loss = torch.nn.functional.cross_entropy(logits, torch.as_tensor(valid_ds.y)).item()
    assert loss == pytest.approx(min(valid), rel=1e-5)


def _weights(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


@pytest.mark.parametrize("kind", ["clip_value", "clip_norm"])
def test_gradient_clipping_bounds_every_step(kind):
    X, y = blobs(256, d=4)
    X = X * 50  # large inputs: large gradients
    settings = dict(
        hidden=(8,), optimizer="sgd", momentum=0.0, lr=1.0, batch_size=64, max_epochs=1,
        validation_fraction=0.0, random_state=3,
    )  # fmt: skip
    start = build_mlp(4, 3, hidden=(8,))
    init_weights(start, torch.Generator().manual_seed(3))
    before = _weights(start)
    clipped = NetClassifier(**settings, **{kind: 1e-3}).fit(X, y)
    free = NetClassifier(**settings).fit(X, y)
    steps = 4  # 256 rows / 64
    moved = _weights(clipped.module_) - before
    if kind == "clip_value":  # each element moves at most lr * clip per step
        assert moved.abs().max().item() <= steps * 1e-3 + 1e-6
    else:  # the whole step has norm at most lr * clip
        assert moved.norm().item() <= steps * 1e-3 + 1e-6
    assert (_weights(free.module_) - before).abs().max().item() > 100 * steps * 1e-3


def test_reduce_lr_on_plateau_lowers_the_rate_after_stalled_epochs():
    X, y = blobs(300, noise=6.0)
    net = NetClassifier(
        hidden=(128, 128), lr=1e-2, max_epochs=25, lr_factor=0.5, lr_patience=1, lr_min=1e-3
    ).fit(X, y)
    lrs = [h["lr"] for h in net.history_]
    valid = [h["valid_loss"] for h in net.history_]
    cuts = [e for e in range(1, len(lrs)) if lrs[e] < lrs[e - 1]]
    assert lrs[0] == 1e-2 and len(cuts) >= 2 and min(lrs) >= 1e-3
    for e in cuts:  # halved (down to the floor) after two epochs not beating the best before
        assert lrs[e] == pytest.approx(max(lrs[e - 1] * 0.5, 1e-3))
        assert e >= 3 and min(valid[e - 2 : e]) >= min(valid[: e - 2]) * (1 - 1e-4)
    fixed = NetClassifier(hidden=(128, 128), lr=1e-2, max_epochs=5).fit(X, y)
    assert {h["lr"] for h in fixed.history_} == {1e-2}


def test_a_nan_loss_stops_with_a_message_and_keeps_the_last_good_weights():
    X, y = blobs(300)
    settings = dict(hidden=(16,), max_epochs=10, restore_best=False, random_state=1)
    net = NetClassifier(**settings)

    def poison(event):  # after epoch 2, a learning rate that blows the weights up
        if event["epoch"] == 2:
            net.net_.optimizer_.param_groups[0]["lr"] = 1e30

    net.fit(X, y, progress=poison)
    assert net.stop_reason_ == "diverged"
    assert "in epoch 3" in net.stop_message_ and "weights of epoch 2 are kept" in net.stop_message_
    assert len(net.history_) == 2 and net.kept_epoch_ == 2
    reference = NetClassifier(**{**settings, "max_epochs": 2}).fit(X, y)
    assert torch.equal(_weights(net.module_), _weights(reference.module_))
    assert np.isfinite(net.predict_proba(X)).all()


def test_a_loss_that_is_never_finite_keeps_the_initial_weights():
    X, y = blobs(120)
    X[:, 0] *= 1e30  # the first steps of plain SGD overflow float32
    net = NetClassifier(hidden=(4,), optimizer="sgd", lr=1.0, max_epochs=3).fit(X, y)
    assert net.stop_reason_ == "diverged" and "No epoch finished" in net.stop_message_
    assert net.history_ == [] and torch.isfinite(_weights(net.module_)).all()


def test_stop_ends_training_before_the_next_batch_and_keeps_the_best_weights():
    X, y = blobs(600)
    cancel = threading.Event()
    seen = []

    def progress(event):
        seen.append(event)
        if event["epoch"] == 2:
            cancel.set()

    net = NetClassifier(hidden=(32,), max_epochs=50, batch_size=16).fit(
        X, y, progress=progress, cancel=cancel
    )
    assert net.stop_reason_ == "stopped" and len(net.history_) == 2 and len(seen) == 2
    valid = [h["valid_loss"] for h in net.history_]
    assert net.kept_epoch_ == int(np.argmin(valid)) + 1
    assert seen[0]["epochs"] == 50 and {"train_acc", "valid_acc", "lr", "seconds"} <= set(seen[0])


def test_same_seed_same_curves_even_in_two_threads_at_once():
    X, y = blobs(400)
    settings = dict(hidden=(32, 16), batch_norm=True, dropout=0.3, max_epochs=6)
    histories = {}

    def run(key, seed):
        histories[key] = NetClassifier(**settings, random_state=seed).fit(X, y).history_

    threads = [threading.Thread(target=run, args=(k, 5)) for k in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run("c", 5)
    run("d", 6)

    def curves(h):
        return [(e["train_loss"], e["valid_loss"], e["train_acc"], e["valid_acc"]) for e in h]

    assert curves(histories["a"]) == curves(histories["b"]) == curves(histories["c"])
    assert curves(histories["d"]) != curves(histories["a"])


def test_balanced_class_weights_reach_the_loss():
    X, y = blobs(300)
    y = np.where(np.arange(300) % 10 == 0, "rare", "common")
    net = NetClassifier(hidden=(4,), max_epochs=1, class_weight="balanced").fit(X, y)
    weight = net.net_.criterion_.weight.numpy()
    assert net.classes_.tolist() == ["common", "rare"] and weight[1] > 4 * weight[0]


def test_bad_settings_get_one_sentence():
    X, y = blobs(60)
    with pytest.raises(DataError, match="unknown optimizer 'lbfgs'"):
        NetClassifier(optimizer="lbfgs").fit(X, y)
    with pytest.raises(DataError, match="dropout has 2 values but the network has 3"):
        NetClassifier(dropout=(0.1, 0.2)).fit(X, y)
    with pytest.raises(DataError, match="below 1"):
        NetClassifier(dropout=1.0, hidden=(4,)).fit(X, y)
    with pytest.raises(DataError, match="missing or infinite"):
        NetClassifier().fit(np.where(X > 1, np.nan, X), y)
    assert NET_PARAMS.get("hidden").parse("64, 32;16") == (64, 32, 16)
    assert NET_PARAMS.get("batch_norm").parse("no, yes") == (False, True)
    with pytest.raises(DataError, match="'hidden' must be a number, not '3x'"):
        NET_PARAMS.get("hidden").parse("64, 3x")


def _trained(n=240, **params):
    frame = make_tracks(n)
    config = NetConfig({"hidden": (16, 8), "batch_norm": True, "max_epochs": 4, **params},
                       features=FEATURES)  # fmt: skip
    return frame, train_network(frame, "genre", config, TaskState(n_boot=50))


def test_train_network_splits_trains_and_evaluates():
    events = []
    frame = make_tracks(300)
    config = NetConfig({"hidden": (16,), "max_epochs": 5}, features=FEATURES)
    result = train_network(frame, "genre", config, TaskState(events.append, n_boot=50))
    assert (result.n_train, result.n_validation, result.n_test) == (180, 60, 60)
    assert events[0] == {"stage": "start", "epochs": 5, "train": 180, "validation": 60, "test": 60}
    assert [e["epoch"] for e in events[1:]] == [1, 2, 3, 4, 5]
    assert result.evaluation.n == 60 and result.evaluation.metrics["accuracy"] > 0.6
    assert result.stop_reason == "completed"


def test_checkpoint_round_trip_predicts_the_same():
    frame, result = _trained()
    raw = network_bytes(result.pipeline, result.features, {"dataset": "tracks"})
    assert raw[8 : 8 + struct.unpack("<Q", raw[:8])[0]].decode().count("genre_lab") == 1
    loaded = load_network_bytes(raw, "net.safetensors")
    X = frame[list(FEATURES)].to_numpy(float)
    assert np.array_equal(loaded.pipeline.predict_proba(X), result.pipeline.predict_proba(X))
    assert loaded.features == FEATURES and loaded.classes == ("pop", "rap", "rock")
    assert read_config(raw)["architecture"]["hidden"] == [16, 8]
    assert read_config(raw)["dataset"] == "tracks"


def test_pretrained_weights_skip_layers_whose_shapes_differ():
    _, result = _trained()
    state = network_state(network_bytes(result.pipeline, result.features))
    bigger = build_mlp(3, 4, hidden=(16, 8), batch_norm=True)  # one more genre
    before = bigger.fc3.weight.detach().clone()
    loaded, skipped = load_matching(bigger, state)
    assert "fc1.weight" in loaded and "norm2.running_mean" in loaded
    assert sorted(skipped) == ["fc3.bias (file 3, network 4)", "fc3.weight (file 3×8, network 4×8)"]
    assert torch.equal(bigger.fc1.weight, state["fc1.weight"])
    assert torch.equal(bigger.fc3.weight, before)
    X, y = blobs(200, k=4, d=3)
    net = NetClassifier(hidden=(16, 8), batch_norm=True, max_epochs=1)
    net.fit(X, y, initial_state=state)
    assert sorted(net.initial_skipped_) == sorted(skipped)
    with pytest.raises(DataError, match="none of the pretrained file's layers"):
        NetClassifier(hidden=(5,), max_epochs=1).fit(X, y, initial_state=state)


def test_malformed_or_foreign_files_get_a_clear_message():
    _, result = _trained()
    raw = network_bytes(result.pipeline, result.features)
    with pytest.raises(DataError, match="only 3 bytes"):
        load_network_bytes(b"abc", "x.safetensors")
    with pytest.raises(DataError, match="header length is impossible"):
        load_network_bytes(b"\xff" * 64, "x.safetensors")
    with pytest.raises(DataError, match="not a valid safetensors file"):
        load_network_bytes(raw[:-7], "x.safetensors")
    from safetensors.torch import save

    foreign = save({"w": torch.zeros(2)}, metadata={"author": "someone"})
    with pytest.raises(DataError, match="not a Genre Lab network"):
        load_network_bytes(foreign, "x.safetensors")
    # another architecture in the config than the weights hold
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + size])
    config = json.loads(header["__metadata__"]["genre_lab"])
    config["architecture"]["hidden"] = [32, 8]
    header["__metadata__"]["genre_lab"] = json.dumps(config)
    body = json.dumps(header).encode()
    body += b" " * (-len(body) % 8)
    tampered = struct.pack("<Q", len(body)) + body + raw[8 + size :]
    with pytest.raises(DataError, match="fc1.weight is 16×3 but its architecture needs 32×3"):
        load_network_bytes(tampered, "x.safetensors")


def test_stop_from_another_thread_ends_within_a_batch():
    X, y = blobs(8_000)
    cancel = threading.Event()
    first_epoch = threading.Event()
    net = NetClassifier(hidden=(64, 64), batch_size=4, max_epochs=100)
    done = {}

    def train():
        net.fit(X, y, progress=lambda event: first_epoch.set(), cancel=cancel)
        done["at"] = time.monotonic()

    worker = threading.Thread(target=train)
    worker.start()
    assert first_epoch.wait(120)
    time.sleep(0.2)  # well inside epoch 2 (1,600 batches)
    cancel.set()
    asked = time.monotonic()
    worker.join(30)
    assert done["at"] - asked < 0.5
    assert net.stop_reason_ == "stopped" and len(net.history_) == 1 and net.kept_epoch_ == 1
