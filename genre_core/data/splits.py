"""Honest splits: stratified at random, or grouped so no track or artist sits on both sides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from genre_core.errors import DataError

Method = Literal["stratified", "group"]


@dataclass(frozen=True)
class SplitSpec:
    """Fractions of rows for training, validation and test, and how rows are assigned.

    With ``method="group"`` every value of ``group_column`` (a track id, an artist, or a title
    and an artist written ``"<title> + <artist>"``) goes whole to one side; ``"track"`` and
    ``"artist"`` name the columns a dataset has for them (see
    :func:`genre_core.experiments.recipe.resolve_split`). "The Genre Factor" uses
    0.49 / 0.30 / 0.21.
    """

    method: Method = "stratified"
    group_column: str | None = None
    train: float = 0.7
    validation: float = 0.0
    test: float = 0.3
    seed: int = 0

    def __post_init__(self) -> None:
        parts = (self.train, self.validation, self.test)
        if any(p < 0 for p in parts) or self.train <= 0 or self.test <= 0:
            raise DataError("train and test fractions must be above 0 and none below 0.")
        if abs(sum(parts) - 1) > 1e-6:
            raise DataError(f"split fractions must add up to 1 (they add up to {sum(parts):.3f}).")
        if self.method not in ("stratified", "group"):
            raise DataError(f"unknown split method '{self.method}'; use 'stratified' or 'group'.")
        if self.method == "group" and not self.group_column:
            raise DataError("a grouped split needs a group column (a track id or an artist).")

    @classmethod
    def of(
        cls,
        method: str = "stratified",
        group_column: str | None = None,
        *,
        test: float = 0.3,
        validation: float = 0.0,
        seed: int = 0,
    ) -> SplitSpec:
        """A split from the shares a user gives (test and validation); training gets the rest."""
        if not 0 < test < 1 or not 0 <= validation < 1 or test + validation >= 1:
            raise DataError(
                f"the test share ({test:g}) and validation share ({validation:g}) must each lie "
                "between 0 and 1 and leave rows for training."
            )
        train = round(1.0 - test - validation, 10)
        column = group_column if method == "group" else None
        return cls(method, column, train, validation, test, seed)

    @classmethod
    def by_track(cls, *, test: float = 0.3, validation: float = 0.0, seed: int = 0) -> SplitSpec:
        """The honest default: copies of a song (its id, or its title and artist) go whole to
        one side; stratified where no song repeats (resolved against the table)."""
        return cls.of("group", "track", test=test, validation=validation, seed=seed)

    @classmethod
    def parse(cls, text: str, **shares) -> SplitSpec:
        """``"stratified"`` (or ``"random"``) or ``"group:COLUMN"``, as the CLI writes it."""
        method, _, column = str(text).strip().partition(":")
        method = method.strip().lower()
        if method in ("stratified", "random") and not column:
            return cls.of("stratified", **shares)
        if method == "group" and column.strip():
            return cls.of("group", column.strip(), **shares)
        raise DataError(f"split '{text}' is not 'stratified' or 'group:COLUMN' (e.g. group:id).")

    @property
    def text(self) -> str:
        """The split in words: "stratified 70/0/30" or "grouped by id 60/20/20"."""
        shares = "/".join(f"{round(100 * p):d}" for p in (self.train, self.validation, self.test))
        how = f"grouped by {self.group_column}" if self.method == "group" else "stratified"
        return f"{how} {shares}"


@dataclass(frozen=True)
class Split:
    """Row positions (not index labels) of each part."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {
            "train": len(self.train),
            "validation": len(self.validation),
            "test": len(self.test),
        }


def split_rows(frame: pd.DataFrame, label: str, config: SplitSpec = SplitSpec()) -> Split:
    """Split the rows of ``frame`` as ``config`` says; reproducible for a given seed."""
    if config.method == "group":
        return _group_split(group_codes(group_values(frame, config.group_column)), config)
    if config.method != "stratified":
        raise DataError(f"unknown split method '{config.method}'; use 'stratified' or 'group'.")
    return _stratified_split(frame[label].to_numpy(), config)


def group_values(frame: pd.DataFrame, column: str | None) -> pd.Series:
    """The group of each row: a column's values, or for ``"<title> + <artist>"`` the two
    columns' texts together (case and outer spaces ignored; a row missing either is a song of
    its own)."""
    if column in frame.columns:
        return frame[column]
    parts = [p.strip() for p in str(column).split(" + ")]
    if len(parts) < 2 or any(p not in frame.columns for p in parts):
        raise DataError(f"group column '{column}' not found.")
    keys = normalised_text(frame[parts[0]])
    for part in parts[1:]:
        keys = keys + "\x1f" + normalised_text(frame[part])
    return keys


def normalised_text(values: pd.Series) -> pd.Series:
    """Texts compared as a person would: case and outer spaces ignored, empty as missing."""
    return values.astype("string").str.strip().str.casefold().replace("", pd.NA)


def group_codes(groups: pd.Series) -> np.ndarray:
    """Integer codes of a group column; each missing value is a group of its own."""
    codes = pd.factorize(groups)[0].astype(np.int64)
    missing = codes < 0
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(missing.sum())
    return codes


def _stratified_split(labels: np.ndarray, config: SplitSpec) -> Split:
    counts = pd.Series(labels).value_counts()
    if (counts < 2).any():
        raise DataError(
            f"genre '{counts.idxmin()}' has a single row; a stratified split needs at least two "
            "per genre. Merge or drop it."
        )
    rows = np.arange(len(labels))
    try:
        rest, test = train_test_split(
            rows, test_size=config.test, stratify=labels, random_state=config.seed
        )
        validation = np.array([], dtype=int)
        if config.validation > 0:
            share = config.validation / (config.train + config.validation)
            rest, validation = train_test_split(
                rest, test_size=share, stratify=labels[rest], random_state=config.seed + 1
            )
    except ValueError as error:
        raise DataError(f"the split is impossible with so few rows per genre: {error}") from None
    return Split(np.sort(rest), np.sort(validation), np.sort(test))


def _group_split(codes: np.ndarray, config: SplitSpec) -> Split:
    """Assign whole groups, in a seeded random order, to the part furthest below its share."""
    rng = np.random.default_rng(config.seed)
    n_groups = codes.max() + 1
    if n_groups < 2:
        raise DataError("a grouped split needs at least two groups.")
    sizes = np.bincount(codes, minlength=n_groups)
    order = rng.permutation(n_groups)
    targets = np.array([config.train, config.validation, config.test]) * len(codes)
    filled = np.zeros(3)
    part_of_group = np.empty(n_groups, dtype=np.int8)
    for group in order:
        part = int(np.argmax(targets - filled))
        part_of_group[group] = part
        filled[part] += sizes[group]
    parts = part_of_group[codes]
    train, validation, test = (np.flatnonzero(parts == p) for p in range(3))
    if len(train) == 0 or len(test) == 0:
        raise DataError("too few groups to give both training and test at least one.")
    return Split(train, validation, test)
