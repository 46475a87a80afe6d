"""Neural networks for genre classification: a configurable network trained by skorch.

:class:`NetClassifier` is a scikit-learn estimator (``clone``, Pipelines, ``GridSearchCV`` and
``cross_val_score`` work): its ``__init__`` stores plain settings (declared once in
:data:`~genre_core.models.presets.NET_PARAMS`); ``fit`` builds the ``torch.nn.Sequential`` (an
MLP from :mod:`~genre_core.models.layers`, or a recurrent network from
:mod:`~genre_core.models.sequences`) and a skorch ``NeuralNetClassifier`` whose callbacks
(:mod:`~genre_core.models.callbacks`) report each epoch to a ``progress`` callable, check a
``threading.Event`` before each batch, stop early, reduce the learning rate on a plateau, clip
gradients, and keep the best weights.

Every random draw (weights, shuffling, dropout masks) comes from the estimator's own
``torch.Generator``, so two networks training in two threads at once each stay reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from skorch import NeuralNetClassifier
from skorch.callbacks import GradientNormClipping, LRScheduler
from skorch.dataset import Dataset as SkorchDataset
from skorch.helper import predefined_split
from torch import nn

from genre_core.errors import DataError
from genre_core.models.callbacks import (
    BestWeights,
    CancelCheck,
    DivergenceGuard,
    EarlyStopping,
    EpochRecorder,
    GradientValueClipping,
)
from genre_core.models.layers import build_mlp, freeze_body, init_weights, load_matching
from genre_core.models.presets import NET_PARAMS, RECURRENT
from genre_core.models.sequences import build_sequence_net
from genre_core.runs.budget import torch_device
from genre_core.runs.progress import CancelFlag, Progress

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "nadam": torch.optim.NAdam,
}


# The most layers a network may have: each size is bounded by NET_PARAMS, the count here, so a
# setting (or a checkpoint's config) can never ask for more than a few million weights a layer.
MAX_HIDDEN_LAYERS = 64
MAX_RNN_LAYERS = 16
ARCHITECTURE = (
    "kind",
    "hidden",
    "activation",
    "batch_norm",
    "dropout",
    "dropout_first",
    "leaky_slope",
    *RECURRENT,
)
SIZES = ("hidden", "rnn_units", "step_units", "embed_dim", "vocab_size", "title_length")


def check_architecture(values: Mapping, owner: str = "the network") -> dict:
    """The layer settings of ``values`` parsed by :data:`NET_PARAMS` (so a size outside its
    bounds is refused in words, before any layer is built) and the layer counts checked.

    Raises
    ------
    DataError
        Naming the setting that is unknown, of the wrong kind, too large or too many.
    """
    if not isinstance(values, Mapping):
        raise DataError(f"{owner}'s architecture is not a set of named settings.")
    unknown = sorted(str(k) for k in values if k not in ARCHITECTURE)
    if unknown:
        raise DataError(f"{owner}'s architecture has unknown setting(s): {', '.join(unknown)}.")
    parsed = {k: NET_PARAMS.get(k).parse(v, owner) for k, v in values.items()}
    for name, most in (("hidden", MAX_HIDDEN_LAYERS), ("rnn_units", MAX_RNN_LAYERS)):
        if len(parsed.get(name) or ()) > most:
            raise DataError(
                f"{owner} parameter '{name}' lists {len(parsed[name])} layers; at most {most}."
            )
    return parsed


def configure_threads(threads: int = 1) -> None:
    """Set torch's intra-op threads (process-wide).

    A small MLP gains nothing from a second thread, and on a two-core server one thread per
    job leaves the other core to the web server and a second job.
    """
    torch.set_num_threads(max(1, int(threads)))


# ---- skorch plumbing --------------------------------------------------------------------------


class _Batches:
    """Mini-batches sliced from two tensors; reshuffled by ``generator`` on every pass.

    Slicing whole tensors avoids the per-row ``__getitem__`` and collate of a DataLoader. A
    last batch of one row joins the previous one (batch norm cannot train on a single row).
    """

    def __init__(self, dataset, batch_size: int, generator: torch.Generator | None):
        self.X = torch.as_tensor(np.asarray(dataset.X, dtype=np.float32))
        y = dataset.y
        self.y = torch.as_tensor(np.asarray(y, dtype=np.int64)) if y is not None else None
        self.batch_size = max(1, int(batch_size))
        self.generator = generator

    def __iter__(self):
        n = len(self.X)
        order = None if self.generator is None else torch.randperm(n, generator=self.generator)
        starts = list(range(0, n, self.batch_size))
        if len(starts) > 1 and n - starts[-1] == 1:
            starts.pop()
        for i, start in enumerate(starts):
            stop = starts[i + 1] if i + 1 < len(starts) else n
            rows = slice(start, stop) if order is None else order[start:stop]
            yield self.X[rows], (None if self.y is None else self.y[rows])


class _SkorchNet(NeuralNetClassifier):
    """skorch's classifier with sliced batches, a per-fit generator and less per-batch work.

    skorch switches every module to train or eval mode and lists the learnable parameters
    anew on every batch; here a switch happens only when the mode changes, and the list is
    made once (the module never changes during a fit).
    """

    generator_: torch.Generator | None = None
    stop_reason: str = "completed"  # or what a callback's stop_training says
    stop_message: str = ""
    kept_epoch: int | None = None  # set by the callback that restores weights
    learnable_cache: list | None = None
    frozen_norms: Sequence[nn.Module] = ()

    def get_iterator(self, dataset, training=False):
        return _Batches(dataset, self.batch_size, self.generator_ if training else None)

    def _set_training(self, training=True):
        if self.module_.training != training or self.criterion_.training != training:
            super()._set_training(training)
        for norm in self.frozen_norms:  # a frozen body keeps its running statistics
            norm.eval()

    def get_all_learnable_params(self):
        if self.learnable_cache is None:
            self.learnable_cache = list(super().get_all_learnable_params())
        return iter(self.learnable_cache)


# ---- the estimator ----------------------------------------------------------------------------


class NetClassifier(ClassifierMixin, BaseEstimator):
    """A configurable MLP as a scikit-learn classifier (genre names as labels).

    Parameters
    ----------
    hidden
        Hidden layer sizes, e.g. ``(64, 32, 16)``; ``()`` is softmax regression.
    activation
        "relu", "gelu", "leaky_relu" (slope ``leaky_slope``) or "tanh".
    batch_norm, dropout
        For every hidden layer, or a tuple with one value per layer.
    dropout_first
        Dropout right after each ``Linear`` instead of after the activation.
    optimizer
        "adam", "adamw", "sgd" (with ``momentum``) or "nadam"; ``lr`` and ``weight_decay``.
    batch_size, max_epochs
        Mini-batch size and the most epochs to train.
    clip_value, clip_norm
        Clip each gradient element, or the gradients' global L2 norm; ``None``: off.
    patience
        Early stopping after this many epochs without a lower validation loss; ``None``: off.
    restore_best
        End with the weights of the epoch with the lowest validation loss.
    lr_factor, lr_patience, lr_min
        ReduceLROnPlateau on the validation loss; ``lr_factor=None``: off.
    class_weight
        ``"balanced"`` weighs the loss of rare genres up.
    validation_fraction
        Share of the training rows held out (stratified) when ``fit`` gets no ``X_valid``;
        0: no validation, the training loss is monitored instead.
    random_state
        Seed of the weights, the shuffling, the dropout masks and the validation split.
    kind
        "mlp", or a recurrent network of :mod:`genre_core.models.sequences`: "feature_sequence",
        "input_sequence" or "title" (``hidden`` is then the layers after the recurrent
        summary, or the numeric body of the title model).
    rnn_cell, rnn_units, step_units
        "lstm" or "gru"; units of each stacked recurrent layer; a Dense layer of this many
        units on every timestep before them (0: none).
    embed_dim, vocab_size, title_length
        The title model's word vectors, vocabulary (at most this many words, padding and
        unknown included; set to the real size when trained) and words read per title.
    freeze_body
        Train only the output layer (see :func:`freeze_body`): with ``fit(initial_state=...)``
        this is transfer learning with a frozen body.

    Attributes
    ----------
    classes_, module_, net_
        The genres, the trained ``torch.nn.Sequential`` and the skorch net.
    history_
        One dict per epoch: epoch, train/valid loss and accuracy, lr, seconds.
    stop_reason_, stop_message_, kept_epoch_
        "completed", "early stop", "stopped" or "diverged"; a sentence for a divergence;
        the epoch whose weights were kept.
    """

    # the settings of NET_PARAMS with their defaults, and three that are not the network's
    __init__ = NET_PARAMS.estimator_init(validation_fraction=0.2, random_state=0, freeze_body=False)

    def architecture(self) -> dict:
        """The settings that fix the layers' shapes and kinds (what a checkpoint stores)."""
        return {
            "hidden": [int(h) for h in self.hidden],
            "activation": self.activation,
            "batch_norm": self.batch_norm
            if isinstance(self.batch_norm, bool)
            else [bool(b) for b in self.batch_norm],
            "dropout": float(self.dropout)
            if isinstance(self.dropout, (int, float))
            else [float(p) for p in self.dropout],
            "dropout_first": bool(self.dropout_first),
            "leaky_slope": float(self.leaky_slope),
            **self._sequence_architecture(),
        }

    def _sequence_architecture(self) -> dict:
        if self.kind == "mlp":
            return {}  # an MLP's checkpoint reads as before sequence models existed
        out = {"kind": self.kind, "rnn_cell": self.rnn_cell}
        out |= {"rnn_units": [int(u) for u in self.rnn_units], "step_units": int(self.step_units)}
        if self.kind == "title":
            out |= {"embed_dim": int(self.embed_dim), "vocab_size": int(self.vocab_size)}
            out |= {"title_length": int(self.title_length)}
        return out

    def build_module(self, n_features: int, n_classes: int) -> nn.Sequential:
        """The untrained network for ``n_features`` inputs and ``n_classes`` genres."""
        if self.kind != "mlp":
            return build_sequence_net(self.get_params(), n_features, n_classes)
        return build_mlp(n_features, n_classes, **self.architecture())

    def check_settings(self) -> None:
        """Raise a :class:`DataError` for a setting no network can train with."""
        check_architecture({k: getattr(self, k) for k in SIZES})  # before torch sees them
        self.build_module(1 + (int(self.title_length) if self.kind == "title" else 0), 2)
        if self.optimizer not in OPTIMIZERS:
            raise DataError(
                f"unknown optimizer '{self.optimizer}'; choose one of {', '.join(OPTIMIZERS)}."
            )
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise DataError("the learning rate must be a positive number.")
        if int(self.batch_size) < 1 or int(self.max_epochs) < 1:
            raise DataError("batch size and epochs must be at least 1.")
        for name in ("clip_value", "clip_norm"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise DataError(f"{name.replace('_', ' by ')} must be above 0 (or off).")
        if self.lr_factor is not None and not 0 < self.lr_factor < 1:
            raise DataError("the learning-rate factor must be between 0 and 1 (or off).")
        if self.class_weight not in (None, "balanced"):
            raise DataError("class weight must be none or 'balanced'.")

    def fit(
        self,
        X,
        y,
        X_valid=None,
        y_valid=None,
        *,
        progress: Progress | None = None,
        cancel: CancelFlag | None = None,
        initial_state: Mapping[str, torch.Tensor] | None = None,
    ):
        """Train on ``X, y``, validating on ``X_valid, y_valid`` (or a held-out share).

        Parameters
        ----------
        progress
            Receives one event dict per epoch (see
            :class:`~genre_core.models.callbacks.EpochRecorder`).
        cancel
            Set it from another thread to end training before the next batch.
        initial_state
            Pretrained tensors; those whose name and shape match are loaded, the rest skipped
            (named in ``initial_skipped_``).
        """
        self.check_settings()
        X = np.asarray(X, dtype=np.float32)
        self.encoder_ = LabelEncoder().fit(np.asarray(y))
        self.classes_ = self.encoder_.classes_
        codes = self.encoder_.transform(np.asarray(y))
        if X_valid is None and self.validation_fraction:
            X, X_valid, codes, valid_codes = train_test_split(
                X,
                codes,
                test_size=self.validation_fraction,
                stratify=codes,
                random_state=self.random_state,
            )
        elif X_valid is not None:
            unknown = sorted(set(map(str, y_valid)) - set(map(str, self.classes_)))
            if unknown:
                raise DataError(f"validation genre(s) {', '.join(unknown)} not in training.")
            valid_codes = self.encoder_.transform(np.asarray(y_valid))
        if X_valid is not None:
            X_valid = np.asarray(X_valid, dtype=np.float32)
        if not np.isfinite(X).all() or (X_valid is not None and not np.isfinite(X_valid).all()):
            raise DataError("the features hold missing or infinite values: impute them first.")
        self.n_features_in_ = X.shape[1]
        generator = torch.Generator().manual_seed(int(self.random_state))
        module = self.build_module(X.shape[1], len(self.classes_))
        init_weights(module, generator)
        self.initial_loaded_, self.initial_skipped_ = [], []
        if initial_state is not None:
            self.initial_loaded_, self.initial_skipped_ = load_matching(module, initial_state)
            if not self.initial_loaded_:
                raise DataError("none of the pretrained file's layers fits this network.")
        self.frozen_, frozen_norms = freeze_body(module) if self.freeze_body else ([], [])
        recorder = EpochRecorder(progress, int(self.max_epochs))
        callbacks: list = [
            ("recorder", recorder),
            ("cancel", CancelCheck(cancel)),
            ("divergence", DivergenceGuard()),
        ]
        if self.restore_best:
            callbacks.append(("best_weights", BestWeights()))
        if self.patience is not None:
            callbacks.append(("early_stopping", EarlyStopping(int(self.patience))))
        if self.clip_value is not None:
            callbacks.append(("clip_value", GradientValueClipping(self.clip_value)))
        if self.clip_norm is not None:
            callbacks.append(("clip_norm", GradientNormClipping(self.clip_norm)))
        if self.lr_factor is not None:
            callbacks.append(
                (
                    "plateau",
                    LRScheduler(
                        torch.optim.lr_scheduler.ReduceLROnPlateau,
                        monitor="valid_loss" if X_valid is not None else "train_loss",
                        factor=self.lr_factor,
                        patience=int(self.lr_patience),
                        min_lr=self.lr_min,
                    ),
                )
            )
        weight = None
        if self.class_weight == "balanced":
            present = np.unique(codes)
            weight = np.ones(len(self.classes_), dtype=np.float32)
            weight[present] = compute_class_weight("balanced", classes=present, y=codes)
        optimizer_args = {"optimizer__weight_decay": self.weight_decay}
        if self.optimizer == "sgd":
            optimizer_args["optimizer__momentum"] = self.momentum
        self.net_ = _SkorchNet(
            module,
            criterion=nn.CrossEntropyLoss,
            criterion__weight=None if weight is None else torch.as_tensor(weight),
            optimizer=OPTIMIZERS[self.optimizer],
            lr=self.lr,
            batch_size=int(self.batch_size),
            max_epochs=int(self.max_epochs),
            train_split=None
            if X_valid is None
            else predefined_split(SkorchDataset(X_valid, valid_codes.astype(np.int64))),
            callbacks=callbacks,
            callbacks__print_log=None,
            classes=np.arange(len(self.classes_)),
            device=torch_device(),
            verbose=0,
            **optimizer_args,
        )
        self.net_.generator_ = generator
        self.net_.frozen_norms = frozen_norms
        self.net_.initialize()
        self.net_.partial_fit(X, codes.astype(np.int64))
        self.net_.device = "cpu"  # trained on a GPU or not, the kept network lives on the CPU
        self.module_ = self.net_.module_.to("cpu")
        self.history_ = recorder.records
        self.stop_reason_, self.stop_message_ = self.net_.stop_reason, self.net_.stop_message
        last = self.history_[-1]["epoch"] if self.history_ else 0
        self.kept_epoch_ = self.net_.kept_epoch if self.net_.kept_epoch is not None else last
        return self

    def predict_proba(self, X) -> np.ndarray:
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        self.module_.eval()
        with torch.no_grad():
            return torch.softmax(self.module_(X), dim=1).numpy().astype(np.float64)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


__all__ = [
    "ARCHITECTURE",
    "MAX_HIDDEN_LAYERS",
    "MAX_RNN_LAYERS",
    "OPTIMIZERS",
    "SIZES",
    "NetClassifier",
    "check_architecture",
    "configure_threads",
]
