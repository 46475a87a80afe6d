"""The seeds' recurrent networks and the title model against a plain MLP, on real data.

    GENRE_DATA_DIR=/path/to/shared/datasets nice python bench/bench_sequences.py [--epochs 20]

Two protocols, every network trained by genre_core.experiments.net.train_network (the Networks
page's
trainer: median imputation, standard scaling, the weights of the epoch with the lowest
validation loss), on a seeded stratified 64/16/20 train/validation/test split:

A. "Deep Learning - Cas d'étude": spotify-30k without edm, a seeded stratified 21,428-row
   excerpt (as bench/seeds.py), 5 genres, the 13 numeric features; MLP_MODIF (Fig. 4) and
   MLP_MODIF_TEXT (Fig. 5: LSTM over the 13 features + the 384-d MiniLM title embedding),
   the same MLP_MODIF fed the embedding too (is the LSTM the gain, or the titles?), and the
   title model (an LSTM over the title's words fused with a numeric MLP).
B. "Using RNN To Predict Music Track Genre" used the 114-genre spotify-114k dataset, which is
   not in the datasets folder. The nearest stand-in here: spotify-30k's 24 subgenres
   (``playlist_subgenre``, all 32,833 rows, the 13 features); the seed's figures are on 114
   genres, so they are printed for reference, not as a like-for-like target. Their MLP
   (100-150-150-150), Dense(250)->LSTM(80) and LSTM(80)->LSTM(150).

The reports trained 1000 epochs (B) or an unstated number (A); here every network gets
``--epochs`` (default 20) to stay within about 15 minutes on two shared cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genre_core.data.dataset import load_dataset  # noqa: E402
from genre_core.data.splits import SplitSpec  # noqa: E402
from genre_core.experiments.net import NetConfig, train_network  # noqa: E402
from genre_core.models.networks import configure_threads  # noqa: E402
from genre_core.models.presets import preset_params  # noqa: E402
from genre_core.runs.progress import TaskState  # noqa: E402

SPLIT = SplitSpec(train=0.64, validation=0.16, test=0.2, seed=0)


def run(frame, label, preset, features, text, epochs, feature_set="numeric", **override):
    params = preset_params(preset) | {"max_epochs": epochs} | override
    config = NetConfig(
        params, features=features, split=SPLIT, feature_set=feature_set, text=text, seed=0
    )
    started = time.perf_counter()
    result = train_network(frame, label, config, TaskState(n_boot=200))
    return result, time.perf_counter() - started


def line(protocol, name, theirs, result, seconds):
    m = result.evaluation.metrics
    low, high = result.evaluation.intervals["accuracy"]
    per_epoch = np.median([h["seconds"] for h in result.history])
    theirs_text = "   —  " if theirs is None else f"{theirs:6.3f}"
    print(
        f"{protocol:<3} {name:<34} {theirs_text}  {m['accuracy']:.3f} [{low:.3f}, {high:.3f}]"
        f"  {m['f1_macro']:.3f}  {len(result.history):>3}/{result.kept_epoch:<3}"
        f" {per_epoch:6.2f} {seconds:7.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    configure_threads(1)
    data = load_dataset("spotify-30k", allow_download=False)
    label, features, text = data.roles.label, data.roles.features, data.roles.text
    print(f"spotify-30k, {len(features)} features, titles {' + '.join(text)}; {args.epochs} "
          f"epochs each; load before: {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(
        "    network                             theirs  ours: test acc [95% CI]  F1 mac"
        "  ep/kept s/epoch  total s"
    )
    five = data.frame[data.frame[label] != "edm"].reset_index(drop=True)
    keep, _ = train_test_split(
        np.arange(len(five)), train_size=21_428, stratify=five[label], random_state=0
    )
    five = five.iloc[np.sort(keep)].reset_index(drop=True)
    for name, preset, theirs, feature_set in (
        ("MLP_MODIF (numeric)", "cas-mlp-modif", 0.221, "numeric"),
        ("MLP_MODIF_TEXT (LSTM, num+emb)", "cas-mlp-modif-text", 0.214, "numeric+text"),
        ("MLP_MODIF on num+emb (no LSTM)", "cas-mlp-modif", None, "numeric+text"),
        ("title LSTM + numeric MLP", "title-lstm", None, "numeric"),
    ):
        result, seconds = run(five, label, preset, features, text, args.epochs, feature_set)
        line("A", name, theirs, result, seconds)
    sub = "playlist_subgenre"
    for name, preset, theirs in (
        ("MLP 100-150-150-150", "rnn-mlp", 0.259),
        ("Dense(250) -> LSTM(80)", "rnn-dense-lstm", 0.300),
        ("LSTM(80) -> LSTM(150)", "rnn-lstm-lstm", 0.258),
    ):
        result, seconds = run(data.frame, sub, preset, features, text, args.epochs)
        line("B", name, theirs, result, seconds)
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
