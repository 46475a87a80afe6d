"""A network file is read from a user: its config is bounded and checked against the weights'
shapes before any layer is built, so a small file cannot make the server allocate gigabytes."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from safetensors.torch import save

from conftest import ROOT
from genre_core.errors import DataError
from genre_core.models.networks import NetClassifier
from genre_core.runs.checkpoints import FORMAT, load_network_bytes, read_config

FEATURES = ["a", "b", "c"]
CLASSES = ["pop", "rap", "rock"]


def crafted(architecture: dict, tensors: dict | None = None, **config) -> bytes:
    """A small safetensors file whose config claims ``architecture`` (weights: a 2-unit MLP)."""
    tensors = tensors or {
        "net.fc1.weight": torch.zeros(2, 3),
        "net.fc1.bias": torch.zeros(2),
        "net.fc2.weight": torch.zeros(3, 2),
        "net.fc2.bias": torch.zeros(3),
    }
    for part in ("fill", "shift", "mult"):
        tensors.setdefault(f"prep.{part}", torch.zeros(3, dtype=torch.float64))
    body = {"format": FORMAT, "architecture": architecture, "features": FEATURES}
    body |= {"classes": CLASSES, **config}
    return save(tensors, metadata={"genre_lab": json.dumps(body)})


@pytest.fixture
def memory_cap():
    """At most 2 GB more address space during the test: a regression that builds the claimed
    layers fails with a MemoryError here instead of pushing the machine out of memory."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as handle:
        used = int(handle.read().split()[0]) * resource.getpagesize()
    cap = used + 2 * 2**30
    resource.setrlimit(
        resource.RLIMIT_AS, (cap if hard == resource.RLIM_INFINITY else min(cap, hard), hard)
    )
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def test_a_well_formed_small_file_loads():
    loaded = load_network_bytes(crafted({"hidden": [2]}), "ok.safetensors")
    assert loaded.pipeline.predict_proba(np.zeros((2, 3))).shape == (2, 3)


@pytest.mark.parametrize(
    ("architecture", "message"),
    [
        ({"hidden": [10**9]}, "'hidden' must be between 1 and 4096"),
        ({"hidden": [1e30]}, "'hidden' must be between 1 and 4096"),
        ({"hidden": [2] * 65}, "'hidden' lists 65 layers; at most 64"),
        ({"kind": "feature_sequence", "rnn_units": [10**9]}, "'rnn_units' must be between"),
        ({"kind": "feature_sequence", "rnn_units": [2] * 17}, "at most 16"),
        (
            {"kind": "title", "vocab_size": 10**9, "title_length": 1},
            "'vocab_size' must be between",
        ),
        ({"kind": "title", "title_length": 10**6}, "'title_length' must be between"),
        ({"hidden": [2], "lstm_bomb": 1}, "unknown setting"),
    ],
)
def test_impossible_sizes_are_refused_in_words(architecture, message, memory_cap):
    started = time.perf_counter()
    with pytest.raises(DataError, match=message):
        load_network_bytes(crafted(architecture), "bomb.safetensors")
    assert time.perf_counter() - started < 5


def test_a_config_larger_than_its_weights_is_refused_before_anything_is_built():
    """3 × 4096 units would take ~140 MB to build; the weights say 2 units."""
    code = f"""
import resource, sys, json, torch
for folder in ({str(ROOT)!r}, {str(ROOT / "tests")!r}, {str(ROOT / "tests/engine/models")!r}):
    sys.path.insert(0, folder)
from test_checkpoint_bounds import crafted
from genre_core.runs.checkpoints import load_network_bytes
from genre_core.errors import DataError
raw = crafted({{"hidden": [4096, 4096, 4096]}})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_network_bytes(raw, "big.safetensors")
except DataError as error:
    print(json.dumps([str(error), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before]))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr[-2000:]
    message, grown_kb = json.loads(done.stdout.strip().splitlines()[-1])
    assert "lacks the weights fc3.bias, fc3.weight, fc4.bias" in message
    assert grown_kb < 40_000  # no layer of the claimed size was ever allocated


def test_deeply_nested_json_is_refused_not_a_recursion_error():
    deep = "[" * 100_000 + "]" * 100_000
    raw = save({"w": torch.zeros(1)}, metadata={"genre_lab": deep})
    with pytest.raises(DataError, match="nests deeper than 32 levels"):
        read_config(raw, "deep.safetensors")
    nested = crafted({"hidden": [2]}, extra=json.loads("[" * 40 + "]" * 40))
    with pytest.raises(DataError, match="nests deeper"):
        load_network_bytes(nested, "deep.safetensors")


def test_a_huge_hidden_size_in_settings_gets_our_sentence_not_torchs():
    X, y = np.zeros((20, 3), dtype=np.float32), np.array(["a", "b"] * 10)
    with pytest.raises(DataError, match="'hidden' must be between 1 and 4096") as caught:
        NetClassifier(hidden=[1e30], max_epochs=1).fit(X, y)
    assert "c10" not in str(caught.value) and "frame #" not in str(caught.value)
    with pytest.raises(DataError, match="at most 64"):
        NetClassifier(hidden=[1] * 100, max_epochs=1).fit(X, y)
