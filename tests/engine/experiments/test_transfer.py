"""Transfer learning to one more genre: what is reused, frozen, trained, and how it is measured."""

from __future__ import annotations

import math
import threading
from dataclasses import replace

import numpy as np
import pytest
import torch

from conftest import make_tracks
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.transfer import (
    OPTIONS,
    TransferConfig,
    default_genres,
    epochs_to_target,
    run_transfer,
    seconds_to_epoch,
)
from genre_core.models.layers import freeze_body, output_layer
from genre_core.models.networks import NetClassifier, configure_threads
from genre_core.plots.networks import transfer_figure
from genre_core.runs.progress import TaskState

FEATURES = ("danceability", "energy", "tempo")
NET = dict(hidden=(12, 8), batch_norm=True, dropout=0.1, batch_size=32, max_epochs=4, lr=1e-2)
BODY = ("fc1.weight", "fc1.bias", "norm1.weight", "norm1.bias", "norm1.running_mean",
        "norm1.running_var", "fc2.weight", "fc2.bias", "norm2.running_mean",
        "norm2.running_var")  # fmt: skip


@pytest.fixture(scope="module")
def four_genres():
    return make_tracks(480, genres=("pop", "rock", "rap", "edm"), seed=3)


@pytest.fixture(scope="module")
def result(four_genres):
    configure_threads(1)
    config = TransferConfig(
        ("pop", "rock", "rap"), "edm", NET, features=FEATURES, target=0.6, seed=2
    )
    return run_transfer(four_genres, "genre", config, TaskState(n_boot=100))


def _state(run) -> dict[str, torch.Tensor]:
    return run.network.module_.state_dict()


def test_every_layer_but_the_output_one_is_reused(result):
    assert result.output_layer == "fc3"
    source = _state(result.source)
    assert source["fc3.weight"].shape == (3, 8)  # three source genres
    for name in ("freeze", "fine-tune"):
        run = result.runs[name]
        assert set(run.reused) == {k for k in source if not k.startswith("fc3.")}
        assert _state(run)["fc3.weight"].shape == (4, 8)  # the new output layer: four genres
        assert list(run.network.classes_) == ["edm", "pop", "rap", "rock"]
    assert list(result.source.network.classes_) == ["pop", "rap", "rock"]


def test_a_frozen_body_stays_bit_identical_and_only_the_output_layer_learns(result):
    source, frozen = _state(result.source), _state(result.runs["freeze"])
    for name in BODY:  # weights and the batch-norm running statistics
        assert torch.equal(source[name], frozen[name]), name
    run = result.runs["freeze"]
    assert set(run.frozen) == {
        k for k, _ in run.network.module_.named_parameters() if not k.startswith("fc3.")
    }
    assert run.trainable == 4 * 8 + 4 < run.total
    scratch_output = _state(result.runs["scratch"])["fc3.weight"]
    assert not torch.equal(frozen["fc3.weight"], scratch_output)  # the head did train


def test_fine_tuning_changes_the_body_and_scratch_reuses_nothing(result):
    source = _state(result.source)
    tuned, scratch = _state(result.runs["fine-tune"]), _state(result.runs["scratch"])
    for name in ("fc1.weight", "fc2.weight", "norm1.running_mean"):
        assert not torch.equal(source[name], tuned[name]), name
        assert not torch.equal(source[name], scratch[name]), name
    assert result.runs["fine-tune"].trainable == result.runs["fine-tune"].total
    assert result.runs["scratch"].reused == () and result.runs["scratch"].frozen == ()


def test_scratch_is_independent_of_the_source_and_fine_tuning_is_not(four_genres, result):
    """A source trained for 1 epoch instead of 4: scratch comes out bit-identical (it starts
    from the same fresh weights either way), fine-tuning does not."""
    config = replace(result.config, options=("fine-tune", "scratch"), source_epochs=1)
    other = run_transfer(four_genres, "genre", config, TaskState(n_boot=10))
    assert len(other.source.history) == 1 and len(result.source.history) == 4
    for name, tensor in _state(result.runs["scratch"]).items():
        assert torch.equal(tensor, _state(other.runs["scratch"])[name]), name
    assert other.runs["scratch"].history == [
        {**h, "seconds": o["seconds"]}
        for h, o in zip(result.runs["scratch"].history, other.runs["scratch"].history, strict=True)
    ]
    assert not torch.equal(
        _state(result.runs["fine-tune"])["fc1.weight"],
        _state(other.runs["fine-tune"])["fc1.weight"],
    )


def test_the_source_never_sees_a_test_row_even_of_a_shared_track(four_genres):
    config = TransferConfig(
        ("pop", "rock", "rap"), "edm", {**NET, "max_epochs": 1}, features=FEATURES,
        split=SplitSpec("group", "track_id", train=0.6, validation=0.2, test=0.2),
        options=("scratch",),
    )  # fmt: skip
    result = run_transfer(four_genres, "genre", config, TaskState(n_boot=10))
    rows = result.rows
    assert set(rows["source_train"]) <= set(rows["train"])
    assert set(rows["source_validation"]) <= set(rows["validation"])
    assert not set(rows["source_train"]) & set(rows["test"])
    table = four_genres[four_genres["genre"].isin(["pop", "rock", "rap", "edm"])]
    ids = table.reset_index(drop=True)["track_id"].to_numpy()
    assert not set(ids[rows["source_train"]]) & set(ids[rows["test"]])
    labels = table.reset_index(drop=True)["genre"].to_numpy()
    assert "edm" not in set(labels[rows["source_train"]])
    assert result.sizes["source_train"] == len(rows["source_train"])
    assert (labels[rows["train"]] == "edm").sum() + len(rows["source_train"]) == len(rows["train"])


def test_every_option_gets_the_same_epochs_seed_and_rows(result):
    lengths = {name: len(run.history) for name, run in result.runs.items()}
    assert lengths == {"freeze": 4, "fine-tune": 4, "scratch": 4}
    assert {run.evaluation.n for run in result.runs.values()} == {result.sizes["test"]}
    table = result.table()
    assert list(table["option"]) == list(OPTIONS.values())
    assert set(table.columns) >= {"epochs to target", "test accuracy", "95% interval", "seconds"}
    for run in result.runs.values():
        reached = run.epochs_to_target
        accuracies = [h["valid_acc"] for h in run.history]
        if reached is None:
            assert max(accuracies) < 0.6
        else:
            assert (
                accuracies[reached - 1] >= 0.6 and max(accuracies[: reached - 1], default=0) < 0.6
            )


def test_epochs_to_target_is_the_first_epoch_reaching_it():
    history = [
        {"epoch": 1, "valid_acc": 0.40, "seconds": 1.0},
        {"epoch": 2, "valid_acc": float("nan"), "seconds": 1.5},
        {"epoch": 3, "valid_acc": 0.55, "seconds": 2.0},
        {"epoch": 4, "valid_acc": 0.50, "seconds": 2.5},
        {"epoch": 5, "valid_acc": 0.60, "seconds": 3.0},
    ]
    assert epochs_to_target(history, 0.55) == 3
    assert epochs_to_target(history, 0.40) == 1
    assert epochs_to_target(history, 0.58) == 5
    assert epochs_to_target(history, 0.61) is None
    assert epochs_to_target([], 0.1) is None
    assert seconds_to_epoch(history, 3) == 4.5
    assert seconds_to_epoch(history, None) is None


def test_stop_ends_the_comparison_and_keeps_what_finished(four_genres):
    cancel = threading.Event()
    seen = []

    def progress(event):
        seen.append(event)
        if event.get("stage") == "epoch" and event["run"] == "freeze" and event["epoch"] == 2:
            cancel.set()

    config = TransferConfig(
        ("pop", "rock", "rap"), "edm", {**NET, "max_epochs": 5}, features=FEATURES
    )
    result = run_transfer(four_genres, "genre", config, TaskState(progress, cancel, n_boot=10))
    assert result.stopped
    assert list(result.runs) == ["freeze"] and len(result.runs["freeze"].history) == 2
    assert result.runs["freeze"].stop_reason == "stopped"
    assert [e["run"] for e in seen if e["stage"] == "run"] == ["source", "freeze"]
    assert seen[0]["stage"] == "start" and seen[0]["runs"] == ["source", *OPTIONS]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(new_genre="rock"), "already a source genre"),
        (dict(source_genres=("pop",)), "at least two source genres"),
        (dict(options=()), "at least one option"),
        (dict(options=("distill",)), "unknown option 'distill'"),
        (dict(target=1.5), "target accuracy"),
        (dict(split=SplitSpec(train=0.8, test=0.2)), "needs a validation share"),
        (dict(new_genre="jazz"), "'jazz'"),
    ],
)
def test_bad_settings_get_one_sentence(four_genres, changes, message):
    base = dict(source_genres=("pop", "rock", "rap"), new_genre="edm", params=NET,
                features=FEATURES)  # fmt: skip
    with pytest.raises(DataError, match=message):
        run_transfer(
            four_genres, "genre", TransferConfig(**{**base, **changes}), TaskState(n_boot=10)
        )


def test_default_genres_are_the_seeds_when_present():
    six = ["edm", "rap", "pop", "r&b", "latin", "rock"]
    assert default_genres(six) == (("pop", "rap", "rock", "latin", "r&b"), "edm")
    assert default_genres(["a", "b", "c", "d"]) == (("a", "b", "c"), "d")
    assert default_genres(["a", "b"]) == (("a", "b"), None)
    assert default_genres(list("abcdefgh")) == (tuple("abcde"), "f")


def test_freeze_body_names_the_body_and_keeps_the_head_learning():
    module = NetClassifier(hidden=(4,), batch_norm=True).build_module(3, 2)
    assert output_layer(module) == "fc2"
    frozen, norms = freeze_body(module)
    assert frozen == ["fc1.weight", "fc1.bias", "norm1.weight", "norm1.bias"]
    assert norms == [module.norm1]
    assert all(p.requires_grad for p in module.fc2.parameters())


def test_the_figure_overlays_the_runs_with_the_target_line(result):
    fig = transfer_figure(result.curves(), target=0.6)
    names = [t.name for t in fig.data if t.showlegend]
    assert names == [
        "source network (its own genres)",
        "frozen body, new output layer",
        "fine-tune all layers",
        "from scratch",
    ]
    assert len(fig.data) == 8  # accuracy and loss per run
    assert [s.y0 for s in fig.layout.shapes] == [0.6]
    assert math.isclose(fig.data[2].y[0], result.runs["freeze"].history[0]["valid_acc"])
    assert np.all(np.diff(fig.data[2].x) == 1)


def test_title_embeddings_join_the_numeric_inputs(four_genres, monkeypatch):
    """numeric+text (as §4.5 of the report): 3 features + 384 embedding dimensions, scaled on
    the source training rows; the embedder is replaced by a fixed random one here."""
    from genre_core.data import embeddings

    def fake_embed(texts, progress=None, **kwargs):
        if progress is not None:
            progress(len(texts), len(texts))
        rng = np.random.default_rng(len(texts))
        return rng.normal(size=(len(texts), embeddings.DIMENSIONS)).astype(np.float32)

    monkeypatch.setattr(embeddings, "embed_texts", fake_embed)
    events = []
    config = TransferConfig(
        ("pop", "rock", "rap"), "edm", {**NET, "max_epochs": 1}, features=FEATURES,
        options=("freeze",), feature_set="numeric+text", text=("track_name",),
    )  # fmt: skip
    result = run_transfer(four_genres, "genre", config, TaskState(events.append, n_boot=10))
    assert result.sizes["features"] == 3 + embeddings.DIMENSIONS
    assert _state(result.runs["freeze"])["fc1.weight"].shape == (12, 3 + embeddings.DIMENSIONS)
    assert {"stage": "embed", "done": 480, "total": 480} in events
    with pytest.raises(DataError, match="title column"):
        run_transfer(four_genres, "genre", replace(config, text=()), TaskState(n_boot=10))
