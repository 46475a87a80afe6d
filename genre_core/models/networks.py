"""Neural networks for genre classification: a configurable MLP trained by skorch.

:class:`NetClassifier` is a scikit-learn estimator (``clone``, Pipelines, ``GridSearchCV`` and
``cross_val_score`` work): its ``__init__`` stores plain settings; ``fit`` builds the
``torch.nn.Sequential`` and a skorch ``NeuralNetClassifier`` whose callbacks report each epoch
to a ``sink`` callable, check a ``threading.Event`` before each batch, stop early, reduce the
learning rate on a plateau, clip gradients, and keep the best weights.

Every random draw (weights, shuffling, dropout masks) comes from the estimator's own
``torch.Generator``, so two networks training in two threads at once each stay reproducible.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from threading import Event
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback, GradientNormClipping, LRScheduler
from skorch.dataset import Dataset as SkorchDataset
from skorch.helper import predefined_split
from torch import nn

from genre_core.data.preprocess import PrepConfig, make_preprocessor
from genre_core.data.splits import SplitSpec, split_rows
from genre_core.errors import DataError
from genre_core.metrics.evaluation import Evaluation, HeldOut, evaluate

Sink = Callable[[dict], None]

ACTIVATIONS = ("relu", "gelu", "leaky_relu", "tanh")
OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "nadam": torch.optim.NAdam,
}
# The network page's scalers: affine ones, so a checkpoint carries them as three vectors.
NET_SCALERS = ("standard", "minmax", "none")
NET_IMPUTERS = ("median", "mean")


def configure_threads(threads: int = 1) -> None:
    """Set torch's intra-op threads (process-wide).

    A small MLP gains nothing from a second thread, and on a two-core server one thread per
    job leaves the other core to the web server and a second job.
    """
    torch.set_num_threads(max(1, int(threads)))


# ---- the module -------------------------------------------------------------------------------


class Dropout(nn.Dropout):
    """``nn.Dropout`` drawing its masks from a given generator (reproducible in threads).

    Without a generator it is plain ``nn.Dropout``, which draws from torch's global one.
    """

    generator: torch.Generator | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0 or self.generator is None:
            return super().forward(x)
        keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator)
        return x * keep / (1 - self.p)


def _per_layer(value, n: int, name: str, cast) -> list:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    if len(values) != n:
        raise DataError(f"{name} has {len(values)} values but the network has {n} hidden layers.")
    return [cast(v) for v in values]


def _activation(name: str, leaky_slope: float) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "gelu":
        return nn.GELU()
    if name == "leaky_relu":
        return nn.LeakyReLU(leaky_slope)
    if name == "tanh":
        return nn.Tanh()
    raise DataError(f"unknown activation '{name}'; choose one of {', '.join(ACTIVATIONS)}.")


def build_mlp(
    n_features: int,
    n_classes: int,
    hidden: Sequence[int] = (64, 32, 16),
    activation: str = "relu",
    batch_norm: bool | Sequence[bool] = False,
    dropout: float | Sequence[float] = 0.0,
    dropout_first: bool = False,
    leaky_slope: float = 0.01,
) -> nn.Sequential:
    """A multilayer perceptron whose children are named like the seeds' printouts.

    Each hidden layer ``i`` is ``fc{i}`` then, by default, ``norm{i}`` (batch norm),
    ``act{i}`` and ``dropout{i}``; with ``dropout_first`` the dropout comes right after
    ``fc{i}`` (the order of "Deep Learning - Cas d'étude", Fig. 4). The output layer is a
    plain ``Linear`` producing logits: the softmax is applied by the loss and at prediction.

    Parameters
    ----------
    hidden
        Sizes of the hidden layers; empty for softmax regression.
    batch_norm, dropout
        One value for every hidden layer, or one per layer.
    """
    hidden = [int(h) for h in hidden]
    if n_features < 1 or n_classes < 2:
        raise DataError("a network needs at least one feature and two genres.")
    if any(h < 1 for h in hidden):
        raise DataError("every hidden layer needs at least one unit.")
    norms = _per_layer(batch_norm, len(hidden), "batch norm", bool)
    drops = _per_layer(dropout, len(hidden), "dropout", float)
    if any(not 0 <= p < 1 for p in drops):
        raise DataError("dropout rates must be at least 0 and below 1.")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    width = n_features
    for i, (size, norm, p) in enumerate(zip(hidden, norms, drops, strict=True), start=1):
        layers[f"fc{i}"] = nn.Linear(width, size)
        if p and dropout_first:
            layers[f"dropout{i}"] = Dropout(p)
        if norm:
            layers[f"norm{i}"] = nn.BatchNorm1d(size)
        layers[f"act{i}"] = _activation(activation, leaky_slope)
        if p and not dropout_first:
            layers[f"dropout{i}"] = Dropout(p)
        width = size
    layers[f"fc{len(hidden) + 1}"] = nn.Linear(width, n_classes)
    return nn.Sequential(layers)


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default ``Linear`` initialisation, drawn from ``generator``."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            bound = 1 / math.sqrt(layer.in_features)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
        elif isinstance(layer, Dropout):
            layer.generator = generator
    from genre_core.models.sequences import init_recurrent

    init_recurrent(module, generator)


def load_matching(module: nn.Module, state: Mapping[str, torch.Tensor]) -> tuple[list, list]:
    """Copy the tensors of ``state`` whose name and shape match ``module``'s; skip the rest.

    This is how "Development of a Neural Network-Based..." starts a six-genre network from a
    five-genre one: every layer but the output one is reused.

    Returns
    -------
    tuple
        The names loaded and a sentence for each skipped one.
    """
    own = module.state_dict()
    loaded, skipped = [], []
    for name, tensor in state.items():
        if name not in own:
            skipped.append(f"{name} (not in this network)")
        elif tuple(own[name].shape) != tuple(tensor.shape):
            have = "×".join(map(str, own[name].shape)) or "scalar"
            got = "×".join(map(str, tensor.shape)) or "scalar"
            skipped.append(f"{name} (file {got}, network {have})")
        else:
            own[name] = tensor.detach().clone().to(own[name].dtype)
            loaded.append(name)
    module.load_state_dict(own)
    return loaded, skipped


def output_layer(module: nn.Module) -> str:
    """The name of the module's last child holding weights: the layer a new genre replaces."""
    names = [
        name
        for name, child in module.named_children()
        if next(child.parameters(), None) is not None
    ]
    if not names:
        raise DataError("this network has no layer with weights.")
    return names[-1]


def freeze_body(module: nn.Module) -> tuple[list[str], list[nn.Module]]:
    """Stop every weight outside the output layer from learning.

    The body's batch-norm layers must also keep their running statistics (they would drift
    in training mode even with frozen weights), so they are returned to be held in eval mode.

    Returns
    -------
    tuple
        The names of the frozen tensors and the body's batch-norm modules.
    """
    head = output_layer(module)
    frozen = []
    for name, parameter in module.named_parameters():
        if name.split(".", 1)[0] != head:
            parameter.requires_grad_(False)
            frozen.append(name)
    norms = [
        child
        for name, child in module.named_modules()
        if isinstance(child, nn.modules.batchnorm._BatchNorm) and name.split(".", 1)[0] != head
    ]
    return frozen, norms


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


class _StopTraining(KeyboardInterrupt):
    """skorch ends its loop quietly on a KeyboardInterrupt and still runs ``on_train_end``."""


class Monitor(Callback):
    """Per-epoch history, the sink, Stop, NaN guard, early stopping and the best weights.

    Parameters
    ----------
    sink
        Called with ``{"stage": "epoch", "epoch", "epochs", "train_loss", "train_acc",
        "valid_loss", "valid_acc", "lr", "seconds"}`` after every epoch.
    cancel
        Checked before every batch; once set, training ends and the best weights are kept.
    patience
        Epochs without improvement of the monitored loss before stopping; ``None``: never.
    restore_best
        End with the weights of the epoch with the lowest monitored loss.
    """

    def __init__(self, sink=None, cancel=None, patience=None, restore_best=True, epochs=0):
        self.sink = sink
        self.cancel = cancel
        self.patience = patience
        self.restore_best = restore_best
        self.epochs = epochs

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.records: list[dict] = []
        self.best = (math.inf, 0, None)  # loss, epoch, weights
        self.last_good = (0, _snapshot(net.module_))
        self.reason, self.message, self.bad_epochs = "completed", "", 0
        self._reset_counts()

    def _reset_counts(self):
        self.counts = {"train": [0, 0], "valid": [0, 0]}  # correct (a tensor), rows

    def on_epoch_begin(self, net, **kwargs):
        self._reset_counts()
        self.lr = net.optimizer_.param_groups[0]["lr"]

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if self.cancel is not None and self.cancel.is_set():
            self.reason = "stopped"
            raise _StopTraining()

    def on_batch_end(self, net, batch=None, training=False, loss=None, y_pred=None, **kwargs):
        part = "train" if training else "valid"
        y = batch[1]
        self.counts[part][0] += (y_pred.argmax(dim=1) == y).sum()
        self.counts[part][1] += len(y)
        if not math.isfinite(loss.item()):
            epoch = len(net.history)
            self.reason = "diverged"
            kept = self.last_good[0]
            value = "NaN" if math.isnan(loss.item()) else "infinite"
            self.message = (
                f"the {'training' if training else 'validation'} loss became {value} in epoch "
                f"{epoch}: lower the learning rate or clip the gradients. "
                + (f"The weights of epoch {kept} are kept." if kept else "No epoch finished.")
            )
            raise _StopTraining()

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        epoch = row["epoch"]
        record = {"epoch": epoch, "lr": float(self.lr), "seconds": float(row.get("dur", "nan"))}
        for part in ("train", "valid"):
            correct, rows = self.counts[part]
            record[f"{part}_loss"] = float(row.get(f"{part}_loss", "nan"))
            record[f"{part}_acc"] = float(correct) / rows if rows else float("nan")
            net.history.record(f"{part}_acc", record[f"{part}_acc"])
        self.records.append(record)
        if self.sink is not None:
            self.sink({"stage": "epoch", "epochs": self.epochs, **record})
        if not all(torch.isfinite(p).all() for p in net.module_.parameters()):
            kept = self.last_good[0]
            self.reason = "diverged"
            self.message = f"the weights became NaN or infinite in epoch {epoch}: lower the " + (
                f"learning rate. The weights of epoch {kept} are kept."
                if kept
                else "learning rate. No epoch finished."
            )
            raise _StopTraining()
        self.last_good = (epoch, _snapshot(net.module_))
        watched = record["valid_loss"] if "valid_loss" in row else record["train_loss"]
        if watched < self.best[0]:
            self.best = (watched, epoch, self.last_good[1])
            self.bad_epochs = 0
        else:
            self.bad_epochs += 1
            if self.patience is not None and self.bad_epochs >= self.patience:
                self.reason = "early stop"
                raise _StopTraining()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        if self.reason == "diverged":
            self.kept_epoch = self.last_good[0]
            net.module_.load_state_dict(self.last_good[1])
        elif self.restore_best and self.best[2] is not None:
            self.kept_epoch = self.best[1]
            net.module_.load_state_dict(self.best[2])
        else:
            self.kept_epoch = self.records[-1]["epoch"] if self.records else 0


def _snapshot(module: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


class GradientValueClipping(Callback):
    """Clamp every gradient element to ``[-clip_value, clip_value]``."""

    def __init__(self, clip_value: float):
        self.clip_value = clip_value

    def on_grad_computed(self, net, named_parameters, **kwargs):
        nn.utils.clip_grad_value_((p for _, p in named_parameters), self.clip_value)


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

    def __init__(
        self,
        hidden=(64, 32, 16),
        activation="relu",
        batch_norm=False,
        dropout=0.0,
        dropout_first=False,
        leaky_slope=0.01,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        momentum=0.9,
        batch_size=32,
        max_epochs=20,
        clip_value=None,
        clip_norm=None,
        patience=None,
        restore_best=True,
        lr_factor=None,
        lr_patience=5,
        lr_min=0.0,
        class_weight=None,
        validation_fraction=0.2,
        random_state=0,
        freeze_body=False,
        kind="mlp",
        rnn_cell="lstm",
        rnn_units=(64,),
        step_units=0,
        embed_dim=32,
        vocab_size=5002,
        title_length=16,
    ):
        self.hidden = hidden
        self.activation = activation
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.dropout_first = dropout_first
        self.leaky_slope = leaky_slope
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.clip_value = clip_value
        self.clip_norm = clip_norm
        self.patience = patience
        self.restore_best = restore_best
        self.lr_factor = lr_factor
        self.lr_patience = lr_patience
        self.lr_min = lr_min
        self.class_weight = class_weight
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.freeze_body = freeze_body
        self.kind = kind
        self.rnn_cell = rnn_cell
        self.rnn_units = rnn_units
        self.step_units = step_units
        self.embed_dim = embed_dim
        self.vocab_size = vocab_size
        self.title_length = title_length

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
            from genre_core.models.sequences import build_sequence_net

            return build_sequence_net(self.get_params(), n_features, n_classes)
        return build_mlp(n_features, n_classes, **self.architecture())

    def check_settings(self) -> None:
        """Raise a :class:`DataError` for a setting no network can train with."""
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
        sink: Sink | None = None,
        cancel: Event | None = None,
        initial_state: Mapping[str, torch.Tensor] | None = None,
    ):
        """Train on ``X, y``, validating on ``X_valid, y_valid`` (or a held-out share).

        Parameters
        ----------
        sink
            Receives one event dict per epoch (see :class:`Monitor`).
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
        monitor = Monitor(sink, cancel, self.patience, self.restore_best, int(self.max_epochs))
        callbacks: list = [("monitor", monitor)]
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
            device="cpu",
            verbose=0,
            **optimizer_args,
        )
        self.net_.generator_ = generator
        self.net_.frozen_norms = frozen_norms
        self.net_.initialize()
        self.net_.partial_fit(X, codes.astype(np.int64))
        self.module_ = self.net_.module_
        self.history_ = monitor.records
        self.stop_reason_, self.stop_message_ = monitor.reason, monitor.message
        self.kept_epoch_ = monitor.kept_epoch
        return self

    def predict_proba(self, X) -> np.ndarray:
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        self.module_.eval()
        with torch.no_grad():
            return torch.softmax(self.module_(X), dim=1).numpy().astype(np.float64)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


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
    """A preset's settings over the estimator's defaults (a new dict)."""
    if name not in PRESETS:
        raise DataError(f"unknown network preset '{name}'; choose one of: {', '.join(PRESETS)}.")
    return {**NetClassifier().get_params(), **PRESETS[name].params}


def parse_layer_values(text: str, kind: str = "int") -> tuple:
    """``"64, 32, 16"`` to ``(64, 32, 16)``; ``kind`` "int", "float" or "bool" (yes/no).

    Raises
    ------
    DataError
        Naming the item that is not of the kind.
    """
    items = [t.strip() for t in str(text).replace(";", ",").split(",") if t.strip()]
    out = []
    for item in items:
        try:
            if kind == "bool":
                value = {"yes": True, "true": True, "1": True, "no": False, "false": False}.get(
                    item.lower(), None
                )
                if value is None:
                    raise ValueError
            else:
                value = int(item) if kind == "int" else float(item)
        except ValueError:
            wanted = {"int": "a whole number", "float": "a number", "bool": "yes or no"}[kind]
            raise DataError(f"'{item}' is not {wanted}.") from None
        out.append(value)
    return tuple(out)


# ---- training on a table ----------------------------------------------------------------------


@dataclass(frozen=True)
class NetConfig:
    """One network to train: its settings, preparation, features, genres and split."""

    params: Mapping[str, Any] = field(default_factory=dict)
    prep: PrepConfig = PrepConfig()
    features: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    split: SplitSpec = SplitSpec(train=0.6, validation=0.2, test=0.2)
    seed: int = 0
    feature_set: str = "numeric"  # or "numeric+text": title embeddings after the features
    text: tuple[str, ...] = ()  # title columns (embedded, or word ids for kind "title")


@dataclass(frozen=True)
class NetResult:
    """A trained network (inside its Pipeline), its curves and its evaluation on the test part."""

    config: NetConfig
    pipeline: Pipeline
    history: list[dict]
    evaluation: Evaluation
    features: tuple[str, ...]
    stop_reason: str
    stop_message: str
    kept_epoch: int
    seconds: float
    n_train: int
    n_validation: int
    n_test: int
    initial_skipped: tuple[str, ...] = ()
    inputs: Mapping[str, Any] | None = None  # the title block after the features, if any
    held_out: HeldOut | None = None  # the test rows one by one (for pairing two runs)

    @property
    def network(self) -> NetClassifier:
        return self.pipeline.named_steps["model"]


def train_network(
    frame: pd.DataFrame,
    label: str,
    config: NetConfig,
    *,
    sink: Sink | None = None,
    cancel: Event | None = None,
    initial_state: Mapping[str, torch.Tensor] | None = None,
    n_boot: int = 1000,
) -> NetResult:
    """Split, prepare on the training part, train (validating each epoch), evaluate on test.

    Stopping (``cancel``), early stopping and a divergence all end in an evaluated result of
    the weights kept; ``stop_reason`` and ``stop_message`` say which.

    Raises
    ------
    DataError
        For bad settings, features or genres, or a split impossible with these rows.
    """
    from genre_core.experiments.train import kept_positions, training_table

    table, X, y = training_table(frame, label, config.features, config.genres)
    split = split_rows(table, label, config.split)
    if not len(split.validation):
        raise DataError("a network needs a validation share to watch its loss (above 0).")
    params = {**config.params, "random_state": config.seed}
    prep = make_preprocessor(config.prep)
    inputs = None
    if config.feature_set != "numeric" or params.get("kind") == "title":
        from genre_core.models.sequences import title_inputs

        X, prep, params, inputs = title_inputs(
            table, X, split.train, kind=params.get("kind", "mlp"), feature_set=config.feature_set,
            text=config.text, params=params, prep=prep, sink=sink,
        )  # fmt: skip
    net = NetClassifier(**params)
    if sink is not None:
        sink({"stage": "start", "epochs": int(net.max_epochs), **split.sizes()})
    started = time.perf_counter()
    X_train = prep.fit_transform(X[split.train])
    net.fit(
        X_train,
        y[split.train],
        prep.transform(X[split.validation]),
        y[split.validation],
        sink=sink,
        cancel=cancel,
        initial_state=initial_state,
    )
    seconds = time.perf_counter() - started
    pipeline = Pipeline([("prep", prep), ("model", net)])
    classes = [str(c) for c in net.classes_]
    missing = sorted(set(y[split.test]) - set(classes))
    if missing:
        raise DataError(f"genre(s) {', '.join(missing)} are in the test part but not in training.")
    X_test = X[split.test]
    evaluation = evaluate(
        y[split.test],
        pipeline.predict_proba(X_test),
        classes,
        y_train=y[split.train],
        train_pred=net.predict(X_train),
        validation=(y[split.validation], pipeline.predict(X[split.validation])),
        n_boot=n_boot,
        seed=config.seed,
    )
    return NetResult(
        config,
        pipeline,
        list(net.history_),
        evaluation,
        tuple(config.features),
        net.stop_reason_,
        net.stop_message_,
        net.kept_epoch_,
        seconds,
        len(split.train),
        len(split.validation),
        len(split.test),
        tuple(net.initial_skipped_),
        inputs=inputs,
        held_out=HeldOut(
            frame.index.to_numpy()[kept_positions(frame, label, config.genres)[split.test]],
            y[split.test],
            np.asarray(pipeline.predict(X_test)).astype(str),
        ),
    )
