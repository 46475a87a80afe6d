"""The test set a lesson holds back: drawn on the server, scored on the server, never shown.

:func:`hold_out` splits a lesson's table into the part students get (``public``) and the
hidden rows, by whole groups (a track id, an artist), with a seed derived from the server's
secret so the rows cannot be recomputed from the lesson file. The hidden rows are split again,
by group, into the public half of the board and the private half the teacher reveals.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from genre_core.classroom.lessons import Lesson
from genre_core.data.dataset import Dataset
from genre_core.data.splits import SplitSpec, split_rows
from genre_core.errors import DataError
from genre_core.experiments.recipe import keep_genres

HALVES = ("public", "private")


@dataclass(frozen=True)
class HiddenSet:
    """A lesson's table cut in two.

    Attributes
    ----------
    public
        The rows students see, train on and download (the lesson's genres only).
    frame
        The hidden rows (never sent to a browser or a worker).
    half
        ``"public"`` or ``"private"`` per hidden row: which half of the board it scores.
    """

    public: Dataset
    frame: pd.DataFrame
    half: np.ndarray

    @property
    def label(self) -> str:
        return self.public.roles.label

    def rows(self, half: str) -> pd.DataFrame:
        """The hidden rows of one half of the board."""
        return self.frame[self.half == half]


def lesson_seed(secret: bytes, lesson: str) -> int:
    """The seed of a lesson's hidden rows: the server's secret keyed by the lesson's name."""
    digest = hmac.new(secret, f"hidden:{lesson}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def lesson_table(dataset: Dataset, lesson: Lesson) -> Dataset:
    """The lesson's dataset reduced to its genres (all when it names none)."""
    if lesson.genres:
        missing = [g for g in lesson.genres if g not in set(map(str, dataset.labels.unique()))]
        if missing:
            raise DataError(f"genres: {', '.join(missing)} not in {dataset.name}.")
    table = keep_genres(dataset, lesson.genres)
    return replace(table, frame=table.frame.reset_index(drop=True))


def hold_out(dataset: Dataset, lesson: Lesson, secret: bytes) -> HiddenSet:
    """Cut ``dataset`` (the lesson's, already reduced by :func:`lesson_table`) into the part
    students get and the hidden rows of the lesson's ``[hidden]`` table.

    Raises
    ------
    DataError
        When the lesson holds nothing back, or its group column is not in the table.
    """
    if lesson.hidden is None:
        raise DataError(f"lesson {lesson.name} holds back no test set.")
    column = lesson.hidden.group_column
    if column not in dataset.frame.columns:
        raise DataError(f"hidden.group_column: '{column}' is not a column of {dataset.name}.")
    seed = lesson_seed(secret, lesson.name)
    share = lesson.hidden.share
    spec = SplitSpec("group", column, train=1 - share, validation=0.0, test=share, seed=seed)
    parts = split_rows(dataset.frame, dataset.roles.label, spec)
    frame = dataset.frame
    hidden = frame.iloc[parts.test].reset_index(drop=True)
    halves = SplitSpec("group", column, train=0.5, validation=0.0, test=0.5, seed=seed + 1)
    half = np.full(len(hidden), "public", dtype=object)
    half[split_rows(hidden, dataset.roles.label, halves).test] = "private"
    public = replace(dataset, frame=frame.iloc[parts.train].reset_index(drop=True))
    return HiddenSet(public, hidden, half)


def public_csv(hidden: HiddenSet) -> bytes:
    """The rows students get, as the CSV file the lab keeps for their jobs (an upload).

    Read back by the CSV reader, so the worker trains on exactly these rows; never a hidden
    row.
    """
    return hidden.public.frame.to_csv(index=False).encode()


__all__ = ["HALVES", "HiddenSet", "hold_out", "lesson_seed", "lesson_table", "public_csv"]
