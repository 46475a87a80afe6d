"""Per-epoch time of the network trainer against a bare PyTorch loop, and the seed-001 run.

    GENRE_DATA_DIR=/path/to/shared/datasets python bench/bench_nets.py [--epochs 5] [--full]

On spotify-30k (its 13 features, median imputation and standard scaling, 60/20/20 stratified
split as the Networks page does) with the "development" preset of "Development of a Neural
Network-Based..." (64-32-16, batch norm, dropout 0.5, Adam 1e-3, weight decay 1e-4, batch 32,
clip norm 1.0):
  bare     a hand-written loop: the same module and initial weights, shuffled slices of one
           tensor, forward, loss, backward, clip, step, then a validation pass each epoch
  trainer  genre_core.models.networks.NetClassifier.fit (skorch, callbacks, history, best weights)
Runs alternate (bare, trainer, bare, trainer...) so a busy shared CPU slows both alike; the
ratio of the medians of the per-epoch times is the trainer's overhead (target at most 1.25).
The seed network's 100-epoch time is measured with --full, else extrapolated from the
trainer's median per-epoch time times 100.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from genre_core.data.dataset import load_dataset  # noqa: E402
from genre_core.data.preprocess import make_preprocessor  # noqa: E402
from genre_core.data.splits import split_rows  # noqa: E402
from genre_core.experiments.fitting import training_table  # noqa: E402
from genre_core.experiments.net import NetConfig  # noqa: E402
from genre_core.models.layers import build_mlp, init_weights  # noqa: E402
from genre_core.models.networks import NetClassifier  # noqa: E402
from genre_core.models.presets import preset_params  # noqa: E402


def data():
    dataset = load_dataset("spotify-30k")
    config = NetConfig(features=dataset.roles.features)
    table, X, y = training_table(dataset.frame, dataset.roles.label, config.features)
    split = split_rows(table, dataset.roles.label, config.split)
    prep = make_preprocessor(config.prep)
    X_train = prep.fit_transform(X[split.train]).astype(np.float32)
    X_valid = prep.transform(X[split.validation]).astype(np.float32)
    return X_train, y[split.train], X_valid, y[split.validation]


def bare_loop(X, y, Xv, yv, params: dict, epochs: int) -> list[float]:
    """Seconds per epoch of the plainest loop doing the same work."""
    classes, codes = np.unique(y, return_inverse=True)
    valid_codes = np.searchsorted(classes, yv)
    generator = torch.Generator().manual_seed(0)
    model = build_mlp(
        X.shape[1],
        len(classes),
        params["hidden"],
        batch_norm=params["batch_norm"],
        dropout=params["dropout"],
    )
    init_weights(model, generator)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=params["lr"], weight_decay=params["weight_decay"]
    )
    loss_fn = nn.CrossEntropyLoss()
    X, y = torch.as_tensor(X), torch.as_tensor(codes)
    Xv, yv = torch.as_tensor(Xv), torch.as_tensor(valid_codes)
    batch, times = params["batch_size"], []
    for _ in range(epochs):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(X), generator=generator)
        total, correct = 0.0, 0
        for start in range(0, len(X), batch):
            rows = order[start : start + batch]
            if len(rows) < 2:
                continue
            optimizer.zero_grad()
            out = model(X[rows])
            loss = loss_fn(out, y[rows])
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), params["clip_norm"])
            optimizer.step()
            total += loss.item() * len(rows)
            correct += (out.argmax(1) == y[rows]).sum().item()
        model.eval()
        with torch.no_grad():
            valid_total, valid_correct = 0.0, 0
            for start in range(0, len(Xv), batch):
                out = model(Xv[start : start + batch])
                valid_total += loss_fn(out, yv[start : start + batch]).item()
                valid_correct += (out.argmax(1) == yv[start : start + batch]).sum().item()
        times.append(time.perf_counter() - started)
    return times


def trainer(X, y, Xv, yv, params: dict, epochs: int) -> tuple[list[float], float]:
    """Per-epoch seconds (skorch's epoch timer) and the wall time of the whole fit."""
    started = time.perf_counter()
    net = NetClassifier(**{**params, "max_epochs": epochs}).fit(X, y, Xv, yv)
    return [h["seconds"] for h in net.history_], time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per timed run")
    parser.add_argument("--rounds", type=int, default=2, help="bare/trainer pairs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--full", action="store_true", help="also train all 100 epochs")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    X, y, Xv, yv = data()
    params = preset_params("development")
    print(
        f"spotify-30k: {len(X):,} training rows, {len(Xv):,} validation rows, "
        f"{X.shape[1]} features; batch {params['batch_size']}; torch threads {args.threads}; "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared CPU)"
    )
    bare_times, trainer_times, walls = [], [], []
    for _ in range(args.rounds):
        bare_times += bare_loop(X, y, Xv, yv, params, args.epochs)
        epoch_times, wall = trainer(X, y, Xv, yv, params, args.epochs)
        trainer_times += epoch_times
        walls.append(wall / args.epochs)
    bare, ours = statistics.median(bare_times), statistics.median(trainer_times)
    wall = statistics.median(walls)
    print(f"bare PyTorch loop : {bare:.3f} s per epoch (median of {len(bare_times)})")
    print(f"NetClassifier     : {ours:.3f} s per epoch (median of {len(trainer_times)})")
    print(f"NetClassifier wall: {wall:.3f} s per epoch including set-up")
    print(f"ratio trainer/bare: {ours / bare:.2f} (target <= 1.25); with set-up {wall / bare:.2f}")
    minutes = 100 * ours / 60
    print(f"seed-001 network, 100 epochs, extrapolated: {100 * ours:.0f} s ({minutes:.1f} min)")
    if args.full:
        epoch_times, wall = trainer(X, y, Xv, yv, params, 100)
        print(f"seed-001 network, 100 epochs, measured: {wall:.0f} s ({wall / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
