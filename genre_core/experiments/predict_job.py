"""Unlabelled tracks predicted by a fitted model on a worker: the recipe of kind "predict".

A page holds a fitted model (one its session trained, which came back from a worker) and a CSV
of tracks without genres (an upload, or the dataset's own unlabelled test file). Reading the
file and predicting every row runs here, on a worker, never in the web server.

The page hands the job its model and file in its ``inputs``
(:class:`~genre_core.runs.progress.TaskState`, pickled by Dask from the web server):
``pipeline`` and ``features`` (the fitted model), and ``raw`` and ``filename`` (the file's
bytes, as uploaded). The file is never unpickled: it is parsed as text by the safe CSV reader
(:func:`~genre_core.experiments.predict.read_unlabeled`), within the upload limit. Without
inputs, as from the CLI, the recipe alone says it all: ``run_id`` names a stored run whose
model predicts, and ``input`` the file (a CSV path, or ``"test"``: the known dataset's own
unlabelled test file). The page sends ``input="test"`` for that file too: the worker finds it.

The recipe's ``data.source`` names the dataset the model was trained on; when it is a known
dataset its header fixes apply to the file, and with its class names (music-genre-11) the
result also holds the Kaggle submission table. Nothing is trained or logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pandas as pd

from genre_core.data.dataset import Dataset
from genre_core.data.registry import DATASETS, DatasetSpec
from genre_core.errors import DataError
from genre_core.experiments import Outcome
from genre_core.experiments.predict import (
    dataset_test_file,
    predict_table,
    read_unlabeled,
    submission_table,
)
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import TaskState
from genre_core.settings import upload_limit_mb

TEST_FILE = "test"  # ``input``: the known dataset's own unlabelled test file
OPTIONS = ParamSet(
    (
        Param("run_id", "text", "", label="Stored run",
              help="the run history's classical run whose model predicts (genre-lab runs)"),
        Param("input", "text", "", label="Tracks",
              help="the CSV of tracks to predict: a path, or 'test' for the known dataset's "
              "unlabelled test file"),
    )
)  # fmt: skip


@dataclass(frozen=True)
class PredictSpec(Recipe):
    """Predict the genre of every track of an unlabelled CSV with a fitted model (see the
    module).

    Parameters
    ----------
    data
        The dataset the model was trained on: a known dataset's header fixes and class names
        apply to the file (its table is never read).
    run_id
        The stored run whose model predicts; empty when the job's inputs hold the model.
    input
        The file: a CSV path, or ``"test"``; empty when the job's inputs hold its bytes.
    """

    kind: ClassVar[str] = "predict"
    title: ClassVar[str] = "Predict unlabelled tracks"
    OPTIONS: ClassVar[ParamSet] = OPTIONS

    data: DataSpec = DataSpec()
    run_id: str = ""
    input: str = ""

    def check(self) -> None:
        super().check()
        self.check_options()

    @property
    def known(self) -> DatasetSpec | None:
        """The known dataset of ``data.source``, or ``None``."""
        return DATASETS.get(self.data.source)


Spec = PredictSpec


@dataclass(frozen=True)
class Predictions:
    """A predicted file: its name, the table (``predicted_genre`` and one ``p_<genre>`` column
    per genre, a row per track) and the Kaggle submission table (``None`` when the dataset has
    no class names, or the model does not know all of them: ``submission_error`` says why)."""

    file: str
    table: pd.DataFrame
    submission: pd.DataFrame | None = None
    submission_error: str = ""


def run(spec: PredictSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None):
    """Read the file and predict it with the model (``dataset`` is not used: nothing is read
    from the table). Emits ``start`` and ``done``.

    Raises
    ------
    DataError
        For a model or file that cannot be found or read, or a file without the model's
        feature columns (the message says which).
    """
    inputs = dict(task.inputs or {})
    pipeline, features = _model(spec, inputs)
    raw, filename = _file(spec, inputs)
    task.emit(stage="start", file=filename, total=1)
    known = spec.known
    tracks = read_unlabeled(raw, filename, known, limit_mb=upload_limit_mb())
    task.check_cancel()
    table = predict_table(pipeline, tracks, features)
    submission, why = None, ""
    if known is not None and known.class_names:
        try:
            submission = submission_table(table, known.class_names)
        except DataError as error:
            why = str(error)
    result = Predictions(filename, table, submission, why)
    task.emit(stage="done", file=filename, rows=len(table), total=1)
    return Outcome(spec, summary(spec, result), result)


def _model(spec: PredictSpec, inputs: dict):
    pipeline, features = inputs.get("pipeline"), inputs.get("features")
    if pipeline is not None:
        if features is None:
            raise RecipeError("inputs: a model handed to the job comes with its features.")
        return pipeline, tuple(str(f) for f in features)
    if not spec.run_id:
        raise RecipeError("run_id: name the stored run whose model predicts (`genre-lab runs`).")
    from genre_core.runs import history

    pipeline, _, features = history.load_fitted(spec.run_id)
    return pipeline, features


def _file(spec: PredictSpec, inputs: dict) -> tuple[bytes, str]:
    if inputs.get("raw") is not None:
        return bytes(inputs["raw"]), str(inputs.get("filename") or "the file")
    if not spec.input:
        raise RecipeError("input: name the CSV of tracks to predict (a path, or 'test').")
    if spec.input == TEST_FILE:
        known = spec.known
        if known is None or TEST_FILE not in known.extra_files:
            raise RecipeError(
                f"input: '{spec.data.name}' has no unlabelled test file; give a CSV path."
            )
        return dataset_test_file(known)
    from genre_core.data.csvio import read_file_bytes

    path = Path(spec.input)
    if not path.is_file():
        raise RecipeError(f"input: {spec.input} is not a file.")
    return read_file_bytes(path, limit_mb=upload_limit_mb()), path.name


def summary(spec: PredictSpec, result: Predictions) -> dict:
    """The result as JSON: the file, its rows, the tracks per predicted genre, and whether the
    Kaggle submission was made (or why not)."""
    counts = result.table["predicted_genre"].value_counts()
    out: dict = {
        "kind": PredictSpec.kind,
        "file": result.file,
        "rows": len(result.table),
        "predicted": {str(k): int(v) for k, v in counts.items()},
        "submission": result.submission is not None,
    }
    if spec.run_id:
        out["run_id"] = spec.run_id
    if result.submission_error:
        out["submission_error"] = result.submission_error
    return out


__all__ = ["PredictSpec", "Predictions", "Spec", "TEST_FILE", "run", "summary"]
