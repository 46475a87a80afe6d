"""Training one network on a loaded table (the step under the kind "net"), its result, and
predicting new tracks with a saved network.

:func:`train_network` splits, prepares on the training part, trains while validating each
epoch, and evaluates once on the test part; :class:`NetResult` is what it returns, and tells
the run history what to store (``record()``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from genre_core.data.preprocess import PrepConfig, make_preprocessor
from genre_core.data.splits import SplitSpec, split_rows
from genre_core.errors import DataError
from genre_core.experiments.fitting import kept_positions, training_table
from genre_core.experiments.predict import predict_table
from genre_core.experiments.sampling import rows_title
from genre_core.metrics.evaluation import Evaluation, HeldOut, evaluate
from genre_core.runs.progress import TaskState
from genre_core.runs.records import Record, evaluation_metrics, flat_params, held_out_arrays

if TYPE_CHECKING:  # torch is imported when a network trains, not when this module is read
    from sklearn.pipeline import Pipeline

    from genre_core.models.networks import NetClassifier

DEFAULT_SPLIT = SplitSpec(train=0.6, validation=0.2, test=0.2)  # a config's split is concrete


@dataclass(frozen=True)
class NetConfig:
    """One network to train: its settings, preparation, features, genres and split."""

    params: Mapping[str, Any] = field(default_factory=dict)
    prep: PrepConfig = PrepConfig()
    features: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    split: SplitSpec = DEFAULT_SPLIT
    seed: int = 0
    feature_set: str = "numeric"  # or "numeric+text": title embeddings after the features
    text: tuple[str, ...] = ()  # title columns (embedded, or word ids for kind "title")
    rows: int | None = None  # the rows of a sample of the table (None: the whole table)


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

    @property
    def model(self) -> str:
        """A short name: "mlp 64-32-16", or the recurrent kind."""
        kind = str(self.config.params.get("kind", "mlp"))
        hidden = self.config.params.get("hidden", ())
        return f"{kind} {'-'.join(map(str, hidden))}".strip() if kind == "mlp" else kind

    @property
    def status(self) -> str:
        """How training ended and which weights were kept, in a sentence (a divergence: why)."""
        if self.stop_reason == "diverged":
            return self.stop_message
        epochs, seconds = len(self.history), self.seconds
        kept = (
            f"the weights of epoch {self.kept_epoch}"
            if self.kept_epoch
            else "the weights as they were (no epoch had finished)"
        )
        return {
            "completed": f"Trained all {epochs} epochs in {seconds:.1f} s; kept {kept}.",
            "early stop": f"Early stopping after {epochs} epochs ({seconds:.1f} s); kept {kept}.",
            "stopped": f"Stopped by you after {epochs} full epochs ({seconds:.1f} s); kept {kept}.",
        }[self.stop_reason]

    def record(self) -> Record:
        """What the run history stores: the safetensors network, curves and evaluation."""
        from genre_core.runs.checkpoints import network_bytes

        rows, true, pred = held_out_arrays(self)
        metrics = evaluation_metrics(self.evaluation)
        metrics |= {"fit_seconds": self.seconds, "epochs": len(self.history)}
        metrics["kept_epoch"] = self.kept_epoch
        files = {
            "network.safetensors": network_bytes(
                self.pipeline, self.features, {"stop_reason": self.stop_reason}, self.inputs
            )
        }
        return Record(
            "network",
            self.model,
            flat_params(dataclasses.asdict(self.config)),
            metrics,
            [dict(row) for row in self.history],
            tuple(self.evaluation.classes),
            np.asarray(self.evaluation.confusion),
            rows,
            true,
            pred.astype(str),
            files,
            self.model + rows_title(self.config.rows),
            self.held_out.proba if self.held_out is not None else None,
        )


def train_network(
    frame: pd.DataFrame,
    label: str,
    config: NetConfig,
    task: TaskState = TaskState(),
    *,
    initial_state: Mapping[str, Any] | None = None,
) -> NetResult:
    """Split, prepare on the training part, train (validating each epoch), evaluate on test.

    Stopping (the task's ``cancel``), early stopping and a divergence all end in an evaluated
    result of the weights kept; ``stop_reason`` and ``stop_message`` say which.

    Raises
    ------
    DataError
        For bad settings, features or genres, or a split impossible with these rows.
    """
    from sklearn.pipeline import Pipeline

    from genre_core.models.networks import NetClassifier

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
            text=config.text, params=params, prep=prep, progress=task.progress,
        )  # fmt: skip
    net = NetClassifier(**params)
    task.emit(stage="start", epochs=int(net.max_epochs), **split.sizes())
    started = time.perf_counter()
    X_train = prep.fit_transform(X[split.train])
    net.fit(
        X_train,
        y[split.train],
        prep.transform(X[split.validation]),
        y[split.validation],
        progress=task.progress,
        cancel=task.cancel,
        initial_state=initial_state,
    )
    seconds = time.perf_counter() - started
    pipeline = Pipeline([("prep", prep), ("model", net)])
    classes = [str(c) for c in net.classes_]
    missing = sorted(set(y[split.test]) - set(classes))
    if missing:
        raise DataError(f"genre(s) {', '.join(missing)} are in the test part but not in training.")
    X_test = X[split.test]
    test_proba = pipeline.predict_proba(X_test)
    evaluation = evaluate(
        y[split.test],
        test_proba,
        classes,
        y_train=y[split.train],
        train_pred=net.predict(X_train),
        validation=(y[split.validation], pipeline.predict(X[split.validation])),
        n_boot=task.n_boot,
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
            test_proba,
        ),
    )


def predict_frame(pipeline, frame: pd.DataFrame, features, inputs=None) -> pd.DataFrame:
    """:func:`~genre_core.experiments.predict.predict_table` for any network, titles included.

    Raises
    ------
    DataError
        When a numeric feature or a title column the network reads is missing.
    """
    if inputs:
        missing = [c for c in inputs["text"] if c not in frame.columns]
        if missing:
            raise DataError(
                f"the network reads the title column(s) {', '.join(missing)}; the file lacks them."
            )
        from genre_core.models.sequences import WithTitles

        pipeline = WithTitles(pipeline, frame, inputs)
    return predict_table(pipeline, frame, features)


def predict_tracks(
    raw: bytes, name: str, tracks: pd.DataFrame, label: str | None = None
) -> tuple[pd.DataFrame, float | None]:
    """Predict ``tracks`` with a saved network file (``raw`` bytes called ``name``).

    Returns
    -------
    tuple
        The prediction table, and the share of tracks whose ``label`` column matches the
        predicted genre (``None`` when the tracks have no such column).

    Raises
    ------
    DataError
        For a file that is not a Genre Lab network, or tracks lacking a column it reads.
    """
    from genre_core.runs.checkpoints import load_network_bytes

    loaded = load_network_bytes(raw, name)
    table = predict_frame(loaded.pipeline, tracks, loaded.features, loaded.inputs)
    if not label or label not in tracks.columns:
        return table, None
    return table, float((table["predicted_genre"] == tracks[label].astype(str)).mean())


__all__ = [
    "DEFAULT_SPLIT",
    "NetConfig",
    "NetResult",
    "predict_frame",
    "predict_tracks",
    "train_network",
]
