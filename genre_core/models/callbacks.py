"""skorch callbacks of a network's training, one concern each (as skorch's ``callbacks/``).

:class:`EpochRecorder` keeps one dict per epoch and reports it; :class:`CancelCheck` ends
training when the user presses Stop; :class:`DivergenceGuard` ends it when the loss or the
weights stop being finite and keeps the last good weights; :class:`EarlyStopping` ends it when
the monitored loss stalls; :class:`BestWeights` ends with the best epoch's weights;
:class:`GradientValueClipping` clamps gradients. A callback that ends training calls
:func:`stop_training`, which records why on the net and raises :class:`StopTraining`.
"""

from __future__ import annotations

import math

import torch
from skorch.callbacks import Callback
from torch import nn

from genre_core.models.layers import snapshot
from genre_core.runs.progress import Progress


class StopTraining(KeyboardInterrupt):
    """skorch ends its loop quietly on a KeyboardInterrupt and still runs ``on_train_end``."""


def stop_training(net, reason: str, message: str = "") -> None:
    """End training now: ``reason`` is "stopped", "early stop" or "diverged"."""
    net.stop_reason, net.stop_message = reason, message
    raise StopTraining()


def watched_loss(row) -> float:
    """The loss an epoch is judged by: validation if there is one, else training."""
    return float(row["valid_loss"] if "valid_loss" in row else row["train_loss"])


class EpochRecorder(Callback):
    """One record per epoch (losses, accuracies, learning rate, seconds), sent to ``progress``.

    The accuracies are counted from the batches' predictions (no second pass) and written to
    skorch's history as ``train_acc`` and ``valid_acc``.

    Parameters
    ----------
    progress
        Called with ``{"stage": "epoch", "epoch", "epochs", "train_loss", "train_acc",
        "valid_loss", "valid_acc", "lr", "seconds"}`` after every epoch.
    epochs
        The planned epochs (passed on in every event).
    """

    def __init__(self, progress: Progress | None = None, epochs: int = 0):
        self.progress = progress
        self.epochs = epochs

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.records: list[dict] = []

    def on_epoch_begin(self, net, **kwargs):
        self.counts = {"train": [0, 0], "valid": [0, 0]}  # correct (a tensor), rows
        self.lr = net.optimizer_.param_groups[0]["lr"]

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        counts = self.counts["train" if training else "valid"]
        y = batch[1]
        counts[0] += (y_pred.argmax(dim=1) == y).sum()
        counts[1] += len(y)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        record = {"epoch": row["epoch"], "lr": float(self.lr)}
        record["seconds"] = float(row.get("dur", "nan"))
        for part in ("train", "valid"):
            correct, rows = self.counts[part]
            record[f"{part}_loss"] = float(row.get(f"{part}_loss", "nan"))
            record[f"{part}_acc"] = float(correct) / rows if rows else float("nan")
            net.history.record(f"{part}_acc", record[f"{part}_acc"])
        self.records.append(record)
        if self.progress is not None:
            self.progress({"stage": "epoch", "epochs": self.epochs, **record})


class CancelCheck(Callback):
    """Ends training before the next batch once ``cancel`` (anything with ``is_set()``) is set."""

    def __init__(self, cancel):
        self.cancel = cancel

    def on_batch_begin(self, net, **kwargs):
        if self.cancel is not None and self.cancel.is_set():
            stop_training(net, "stopped")


class DivergenceGuard(Callback):
    """Ends training when a loss or a weight becomes NaN or infinite, and then restores the
    weights of the last epoch that ended finite (sets ``net.kept_epoch``)."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.last_good = (0, snapshot(net.module_))

    def _diverged(self, net, what: str, advice: str = "lower the learning rate.") -> None:
        kept = self.last_good[0]
        keep = f"The weights of epoch {kept} are kept." if kept else "No epoch finished."
        stop_training(net, "diverged", f"{what}: {advice} {keep}")

    def on_batch_end(self, net, batch=None, training=False, loss=None, **kwargs):
        value = loss.item()
        if not math.isfinite(value):
            part = "training" if training else "validation"
            word = "NaN" if math.isnan(value) else "infinite"
            what = f"the {part} loss became {word} in epoch {len(net.history)}"
            self._diverged(net, what, "lower the learning rate or clip the gradients.")

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1]["epoch"]
        if not all(torch.isfinite(p).all() for p in net.module_.parameters()):
            self._diverged(net, f"the weights became NaN or infinite in epoch {epoch}")
        self.last_good = (epoch, snapshot(net.module_))

    def on_train_end(self, net, X=None, y=None, **kwargs):
        if getattr(net, "stop_reason", "") == "diverged":
            net.kept_epoch = self.last_good[0]
            net.module_.load_state_dict(self.last_good[1])


class EarlyStopping(Callback):
    """Ends training after ``patience`` epochs without a lower monitored loss."""

    def __init__(self, patience: int):
        self.patience = patience

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.best, self.bad_epochs = math.inf, 0

    def on_epoch_end(self, net, **kwargs):
        loss = watched_loss(net.history[-1])
        if loss < self.best:
            self.best, self.bad_epochs = loss, 0
            return
        self.bad_epochs += 1
        if self.bad_epochs >= self.patience:
            stop_training(net, "early stop")


class BestWeights(Callback):
    """Ends training with the weights of the epoch with the lowest monitored loss (unless the
    training diverged: :class:`DivergenceGuard` restores then); sets ``net.kept_epoch``."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.best = (math.inf, 0, None)  # loss, epoch, weights

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        loss = watched_loss(row)
        if loss < self.best[0]:
            self.best = (loss, row["epoch"], snapshot(net.module_))

    def on_train_end(self, net, X=None, y=None, **kwargs):
        if getattr(net, "stop_reason", "") != "diverged" and self.best[2] is not None:
            net.kept_epoch = self.best[1]
            net.module_.load_state_dict(self.best[2])


class GradientValueClipping(Callback):
    """Clamp every gradient element to ``[-clip_value, clip_value]``."""

    def __init__(self, clip_value: float):
        self.clip_value = clip_value

    def on_grad_computed(self, net, named_parameters, **kwargs):
        nn.utils.clip_grad_value_((p for _, p in named_parameters), self.clip_value)
