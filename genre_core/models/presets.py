"""Every network setting declared once (:data:`NET_PARAMS`), and the seed reports' networks.

:data:`NET_PARAMS` is the schema of :class:`~genre_core.models.networks.NetClassifier`'s
settings: the Networks and Transfer pages draw their widgets from it, the ``net`` recipe checks
its values with it, the CLI offers one option per parameter, and the presets below hold values
in the same (engine) form. It imports no torch, so reading it is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

from genre_core.errors import DataError
from genre_core.params import Param, ParamSet

ACTIVATIONS = ("relu", "gelu", "leaky_relu", "tanh")
OPTIMIZER_NAMES = ("adam", "adamw", "sgd", "nadam")
NET_KINDS = {
    "mlp": "MLP",
    "feature_sequence": "LSTM over the feature sequence (one feature per step)",
    "input_sequence": "LSTM over the whole input (one step)",
    "title": "Title RNN + numeric MLP",
}
RNN_CELLS = ("lstm", "gru")
FEATURE_SETS = ("numeric", "numeric+text")  # what an MLP or a sequence model reads
# The network's scalers are affine, so a checkpoint carries them as three vectors.
NET_SCALERS = ("standard", "minmax", "none")
NET_IMPUTERS = ("median", "mean")

NET_PARAMS = ParamSet(
    [
        # ---- the layers
        Param(
            "kind", "choice", "mlp", choices=tuple(NET_KINDS), label="Architecture",
            help="An MLP, or a recurrent network (over the features, the whole input, or the "
            "titles' words).",
        ),
        Param(
            "hidden", "ints", (64, 32, 16), 1, 4096, label="Hidden layers",
            help="Units per hidden layer, e.g. 64, 32, 16; empty: softmax regression. For a "
            "recurrent network, the layers after its summary (or the title model's numeric body).",
        ),
        Param("activation", "choice", "relu", choices=ACTIVATIONS, label="Activation"),
        Param(
            "batch_norm", "bool", False, per_layer=True, label="Batch norm",
            help="yes or no for every hidden layer, or one per layer.",
        ),
        Param(
            "dropout", "float", 0.0, 0.0, 0.95, per_layer=True, label="Dropout",
            help="One rate for every hidden layer, or one per layer (0.2, 0, 0.2).",
        ),
        Param(
            "dropout_first", "bool", False, label="Dropout right after each Linear",
            help="As in MLP_MODIF (Fig. 4); otherwise after the activation.",
        ),
        Param(
            "leaky_slope", "float", 0.01, 0.0, 1.0, label="LeakyReLU slope",
            help="The negative slope of leaky_relu.",
        ),
        # ---- recurrent networks
        Param(
            "rnn_cell", "choice", "lstm", choices=RNN_CELLS, label="Recurrent cell",
            help="LSTM or GRU.",
        ),
        Param(
            "rnn_units", "ints", (64,), 1, 2048, label="Recurrent layers",
            help="Units per stacked recurrent layer, e.g. 80, 150.",
        ),
        Param(
            "step_units", "int", 0, 0, 2048, label="Dense units on every step",
            help="A Dense layer applied to each timestep before the recurrent layers; 0: none.",
        ),
        Param(
            "embed_dim", "int", 32, 1, 512, label="Word vector size",
            help="The title model's word vectors.",
        ),
        Param(
            "vocab_size", "int", 5002, 3, 100_002, label="Vocabulary size",
            help="The title model's vocabulary: the most frequent training words plus two ids "
            "(padding and unknown); set to the real size when trained.",
        ),
        Param(
            "title_length", "int", 16, 1, 128, label="Words read per title",
            help="Longer titles are cut.",
        ),
        # ---- training
        Param("optimizer", "choice", "adam", choices=OPTIMIZER_NAMES, label="Optimizer"),
        Param("lr", "float", 1e-3, 1e-6, 10.0, log=True, label="Learning rate"),
        Param(
            "weight_decay", "float", 0.0, 0.0, 1.0, label="Weight decay",
            help="L2 penalty of the optimizer.",
        ),
        Param(
            "momentum", "float", 0.9, 0.0, 0.999, label="Momentum (SGD)",
            help="Used by the sgd optimizer only.",
        ),
        Param("batch_size", "int", 32, 1, 8192, label="Batch size"),
        Param(
            "max_epochs", "int", 20, 1, 2000, label="Epochs", flag="epochs",
            help="The most epochs to train.",
        ),
        Param(
            "clip_value", "float", None, 1e-6, 1000.0, optional=True,
            label="Clip gradients by value", help="Clamp every gradient element.",
        ),
        Param(
            "clip_norm", "float", None, 1e-6, 1000.0, optional=True,
            label="Clip gradient norm", help="Scale the gradients down to this global L2 norm.",
        ),
        Param(
            "patience", "int", None, 1, 1000, optional=True, label="Early-stopping patience",
            help="Epochs without a lower validation loss before stopping.",
        ),
        Param(
            "restore_best", "bool", True, label="Keep best weights",
            help="End with the weights of the epoch with the lowest validation loss.",
        ),
        Param(
            "lr_factor", "float", None, 0.01, 0.99, optional=True,
            label="Reduce LR on plateau: factor",
            help="Multiply the learning rate by this when the validation loss stalls.",
        ),
        Param(
            "lr_patience", "int", 5, 0, 1000, label="… after epochs",
            help="Epochs of a stalled validation loss before the learning rate drops.",
        ),
        Param(
            "lr_min", "float", 0.0, 0.0, 1.0, label="… down to",
            help="The lowest learning rate the plateau schedule reaches.",
        ),
        Param(
            "class_weight", "choice", None, choices=("balanced",), optional=True,
            label="Class weights", help="balanced: rare genres weigh more in the loss.",
        ),
    ]
)  # fmt: skip

RECURRENT = ("rnn_cell", "rnn_units", "step_units", "embed_dim", "vocab_size", "title_length")


def net_params(values=None, owner: str = "network") -> dict:
    """The network settings: the defaults with ``values`` (texts or engine values) parsed over
    them by :data:`NET_PARAMS`.

    Raises
    ------
    DataError
        Naming the setting that is unknown or wrong.
    """
    return NET_PARAMS.resolve(values, owner)


# ---- the seeds' networks ----------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    """A network from a seed report: its settings and what the report left open."""

    title: str
    source: str
    params: dict
    note: str = ""
    feature_set: str = "numeric"  # "numeric+text": the preset reads title embeddings too


PRESETS: dict[str, Preset] = {
    "cas-mlp-base": Preset(
        "MLP_BASE",
        "Deep Learning - Cas d'étude, Fig. 3",
        dict(hidden=(32,), activation="relu", batch_size=64, lr=1e-3, clip_norm=1.0, max_epochs=50),
        "Linear(13, 32), ReLU, Linear(32, 5) then Softmax. The report feeds that softmax to "
        "CrossEntropyLoss (a softmax applied twice); here it is applied once. It names gradient "
        "clipping without a value: 1.0 by norm, and 50 epochs, are ours.",
    ),
    "cas-mlp-modif": Preset(
        "MLP_MODIF",
        "Deep Learning - Cas d'étude, Fig. 4",
        dict(
            hidden=(32, 10, 32),
            activation="gelu",
            batch_norm=(False, True, False),
            dropout=(0.2, 0.0, 0.2),
            dropout_first=True,
            batch_size=64,
            lr=1e-3,
            clip_norm=1.0,
            max_epochs=50,
        ),
        "fc1 32, Dropout(0.2), GELU; fc2 10, BatchNorm1d(10), GELU; fc3 32, Dropout(0.2), GELU; "
        "fc4. Clip value and epochs are ours (1.0 by norm, 50).",
    ),
    "development": Preset(
        "Development: [64, 32, 16]",
        "Development of a Neural Network-Based Music Genre Classification Tool, Table 3",
        dict(
            hidden=(64, 32, 16),
            batch_norm=True,
            dropout=0.5,
            lr=1e-3,
            weight_decay=1e-4,
            batch_size=32,
            max_epochs=100,
            clip_norm=1.0,
        ),
        "Linear, BatchNorm1d, ReLU, Dropout(0.5) per hidden layer; clipping 'normalizes the "
        "gradients to a maximum value', so by norm.",
    ),
    "development-grid": Preset(
        "Development: grid winner [128, 16]",
        "Development of a Neural Network-Based Music Genre Classification Tool, Table 4",
        dict(
            hidden=(128, 16),
            dropout=0.3,
            lr=1e-3,
            batch_size=32,
            max_epochs=20,
            clip_norm=1.5,
        ),
        "No batch norm, dropout 0.3, Adam 1e-3, batch 32, 20 epochs, clip 1.5.",
    ),
    "genre-factor": Preset(
        "The Genre Factor: 256-512-512",
        "The Genre Factor, Fig. 2",
        dict(
            hidden=(256, 512, 512),
            activation="leaky_relu",
            leaky_slope=0.3,
            dropout=0.4,
            optimizer="nadam",
            lr=1e-3,
            batch_size=512,
            max_epochs=60,
            patience=20,
            lr_factor=0.1,
            lr_patience=5,
            lr_min=0.0,
        ),
        "Dense + LeakyReLU then Dropout(0.4) per layer, softmax output, Nadam. Keras defaults "
        "the report relies on: LeakyReLU slope 0.3, Nadam learning rate 1e-3.",
    ),
    "rnn-softmax": Preset(
        "Softmax regression",
        "Using RNN To Predict Music Track Genre (previous exercise)",
        dict(hidden=(), lr=1e-2, batch_size=64, max_epochs=50),
        "One Linear layer and a softmax. Learning rate, batch and epochs are ours.",
    ),
    "rnn-mlp": Preset(
        "MLP 100-150-150-150",
        "Using RNN To Predict Music Track Genre (previous exercise)",
        dict(hidden=(100, 150, 150, 150), lr=1e-3, batch_size=64, max_epochs=50),
        "Four hidden layers of 100, 150, 150, 150 units. Activation (ReLU), optimizer, batch "
        "and epochs are ours: the report does not give them.",
    ),
    "cas-mlp-modif-text": Preset(
        "MLP_MODIF_TEXT (LSTM)",
        "Deep Learning - Cas d'étude, Fig. 5",
        dict(
            kind="input_sequence",
            rnn_cell="lstm",
            rnn_units=(64,),
            hidden=(32, 10, 32),
            activation="gelu",
            batch_norm=(False, True, False),
            batch_size=64,
            lr=1e-3,
            clip_norm=1.0,
            max_epochs=50,
        ),
        "LSTM(397, 64, batch_first=True) over the 13 numeric features + the 384-d title "
        "embedding as a single timestep (397 = 13 + 384), then fc1 32, GELU; fc2 10, "
        "BatchNorm1d, GELU; fc3 32, GELU; fc4. No dropout (Fig. 5 has none). Clipping value "
        "and epochs are ours (1.0 by norm, 50).",
        feature_set="numeric+text",
    ),
    "rnn-dense-lstm": Preset(
        "Dense(250) → LSTM(80)",
        "Using RNN To Predict Music Track Genre (first model)",
        dict(
            kind="feature_sequence",
            step_units=250,
            rnn_units=(80,),
            hidden=(),
            activation="relu",
            lr=1e-3,
            batch_size=64,
            max_epochs=50,
        ),
        "Each prepared feature is one timestep; Dense(250) on every step, then LSTM(80), its "
        "last state to the softmax layer. The report gives neither the input shape, the Dense "
        "activation (ReLU here), the optimizer (Adam 1e-3), the batch (64) nor the 1000 "
        "epochs' budget we can afford (50).",
    ),
    "rnn-lstm-lstm": Preset(
        "LSTM(80) → LSTM(150)",
        "Using RNN To Predict Music Track Genre (second model)",
        dict(
            kind="feature_sequence",
            rnn_units=(80, 150),
            hidden=(),
            lr=1e-3,
            batch_size=64,
            max_epochs=50,
        ),
        "Each prepared feature is one timestep; LSTM(80) returning its sequence, LSTM(150), "
        "its last state to the softmax layer. Optimizer, batch and epochs are ours.",
    ),
    "title-lstm": Preset(
        "Title LSTM + numeric MLP",
        "Genre Lab (issue 5): the titles as words",
        dict(
            kind="title",
            rnn_cell="lstm",
            rnn_units=(64,),
            embed_dim=32,
            vocab_size=5002,
            title_length=16,
            hidden=(64, 32),
            dropout=0.2,
            lr=1e-3,
            batch_size=64,
            max_epochs=30,
            patience=5,
        ),
        "Track and album name as words (the training titles' 5,000 commonest, the others "
        "unknown), an LSTM(64) over their 32-d vectors; the numeric features through 64-32 "
        "ReLU layers; both concatenated before the output layer.",
    ),
}


def preset_params(name: str) -> dict:
    """A preset's settings over the schema's defaults (a new dict, engine values)."""
    if name not in PRESETS:
        raise DataError(f"unknown network preset '{name}'; choose one of: {', '.join(PRESETS)}.")
    return {**NET_PARAMS.defaults, **PRESETS[name].params}


# ---- the "best" model's tuned settings -------------------------------------------------------


@dataclass(frozen=True)
class TunedPreset:
    """Hyperparameters a search chose, and how: when, on which rows, by which protocol, with
    what cross-validated score. Only training rows were searched; the test part never was."""

    params: dict
    date: str
    data: str
    protocol: str
    cv_score: str


# Each searched with `python -m genre_core search --model best` (Optuna TPE, median pruner, its
# seed 0) on a CSV of the training rows of the dataset's first protocol in bench/seeds.py, folds
# grouped by artist; numeric features only (the search reads no titles), reg_lambda fixed at 1.
# text_C: 3-fold CV grouped by track id of the title model alone on spotify-30k's training rows
# (track-grouped 80/20, seed 0); C in 0.03, 0.1, 0.3, 1 gave log-loss 1.586, 1.590, 1.592, and
# the smallest was kept for every dataset. Budgets were bounded (2 shared cores): few trials.
# text_neighbours (2026-12-02): 0 or 20, by 3-fold CV on the training rows only, folds grouped
# by artist and handed to the model as its groups, track + album + artist names (the split is
# grouped by artist); mean accuracy 0 -> 20: spotify-30k 0.6296 -> 0.6328 (26,272 training rows
# of the artist-grouped 80/20, seed 0; each fold better), spotify-youtube 0.6707 -> 0.6725
# (4,516 training rows of the artist-grouped 70/30, seed 42). music-genre-11 not searched: 0.
BEST_TUNED: dict[str, TunedPreset] = {
    "spotify-30k": TunedPreset(
        dict(
            n_estimators=541,
            max_depth=10,
            learning_rate=0.0231,
            subsample=0.635,
            colsample_bytree=0.510,
            min_child_weight=12.1,
            reg_lambda=1.0,
            text_C=0.03,
            text_neighbours=20,
        ),
        date="2026-12-02",
        data="spotify-30k, all 6 genres; the 26,272 training rows of the artist-grouped 80/20 "
        "split (seed 0); 13 registry features + release_year",
        protocol="4 trials (25-minute budget) of n_estimators 200-800, max_depth 3-10, "
        "learning_rate 0.02-0.15 (log), subsample 0.6-1, colsample_bytree 0.5-1, "
        "min_child_weight 1-20 (log); 3 folds grouped by track_artist",
        cv_score="accuracy 0.5905 (3-fold artist-grouped CV on the training rows); "
        "text_neighbours 20: 0.6328 against 0.6296 without, with track, album and artist names",
    ),
    "music-genre-11": TunedPreset(
        dict(
            n_estimators=232,
            max_depth=7,
            learning_rate=0.0501,
            subsample=0.827,
            colsample_bytree=0.509,
            min_child_weight=6.36,
            reg_lambda=1.0,
            text_C=0.03,
        ),
        date="2026-12-02",
        data="music-genre-11, durations converted; a stratified 6,000 of the 14,396 training "
        "rows of the random 80/20 split (seed 0); its 14 features",
        protocol="10 trials (8 complete, 2 pruned) of n_estimators 100-600, max_depth 2-8, "
        "learning_rate 0.02-0.15 (log), subsample 0.6-1, colsample_bytree 0.5-1, "
        "min_child_weight 1-20 (log); 3 folds grouped by Artist Name",
        cv_score="accuracy 0.482 (3-fold artist-grouped CV on the 6,000 training rows)",
    ),
    "spotify-youtube": TunedPreset(
        dict(
            n_estimators=421,
            max_depth=3,
            learning_rate=0.0335,
            subsample=0.619,
            colsample_bytree=0.962,
            min_child_weight=11.5,
            reg_lambda=1.0,
            text_C=0.03,
            text_neighbours=20,
        ),
        date="2026-12-02",
        data="spotify-youtube, The Genre Factor's 6 genres; the 4,512 training rows of the "
        "random 70/30 split (seed 42); its 15 features then (the three codes of the album's "
        "type, licence and official video were added on 2026-12-03, not retuned)",
        protocol="12 trials (8 complete, 4 pruned) of n_estimators 100-600, max_depth 2-8, "
        "learning_rate 0.02-0.15 (log), subsample 0.6-1, colsample_bytree 0.5-1, "
        "min_child_weight 1-20 (log); 3 folds grouped by Artist_encoded",
        cv_score="accuracy 0.6447 (3-fold artist-grouped CV on the training rows); "
        "text_neighbours 20: 0.6725 against 0.6707 without, with track, album and artist names",
    ),
}

BEST_PRESETS: dict[str, dict] = {name: dict(p.params) for name, p in BEST_TUNED.items()}


__all__ = [
    "BEST_PRESETS",
    "BEST_TUNED",
    "TunedPreset",
    "ACTIVATIONS",
    "FEATURE_SETS",
    "NET_IMPUTERS",
    "NET_KINDS",
    "NET_PARAMS",
    "NET_SCALERS",
    "OPTIMIZER_NAMES",
    "PRESETS",
    "RECURRENT",
    "RNN_CELLS",
    "Preset",
    "net_params",
    "preset_params",
]
