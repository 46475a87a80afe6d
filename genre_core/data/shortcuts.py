"""Shortcuts: features that give a genre away by their form rather than their value.

A column can tell a model the genre without saying anything about the music: durations written
in minutes for some genres and in milliseconds for the others (music-genre-11), values missing
for one genre only, a column constant within a genre, an id, a column that is the label under
another name, the same song filed under several genres. :func:`find_shortcuts` looks for each
and measures what the shortcut alone is worth: the out-of-fold accuracy of a lookup table (the
most frequent genre of each value of the shortcut, learnt on four fifths of the rows, scored on
the fifth left out) against always answering the most frequent genre, with a 95 % interval of
the difference (paired, normal approximation).

Finding changes nothing: a finding says what it is, which rows and genres it concerns, and the
fix a user may choose (convert, drop, flag, group the split). A recipe carries the fixes chosen
(``DataSpec.fixes``, applied by :func:`apply_fixes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from genre_core.data.dataset import Dataset
from genre_core.errors import DataError

FOLDS = 5
MIN_SIDE = 20  # rows on each side of a scale gap, at least (and MIN_SIDE_SHARE of the rows)
MIN_SIDE_SHARE = 0.005
SCALE_GAP = np.log10(30)  # two scales: no value between x and 30x, and rows on both sides
LABEL_COPY = 0.95  # a column whose lookup alone reaches this accuracy is the label renamed
ID_SHARE = 0.95  # distinct values among the filled ones, for an id-like feature
MIN_GENRE_ROWS = 20


@dataclass(frozen=True)
class Shortcut:
    """One finding.

    Attributes
    ----------
    feature
        The column (or "title + artist" for a song key).
    kind
        "scale" (values on two scales), "missing" (missing values tell the genre),
        "constant" (one value throughout a genre), "id-like", "label-copy" (the label under
        another name) or "same-song" (one song under several genres, across a random split).
    genres
        The genres it concerns most.
    rows
        The rows concerned (on the small scale, missing, in the constant genres...).
    accuracy, baseline
        Out-of-fold accuracy of the shortcut alone, and of always answering the most frequent
        genre; ``gain`` is their difference with its 95 % interval ``low``..``high``.
    detail
        What was found, in a sentence.
    fix
        What a user can do: "convert", "drop", "flag" or "group".
    """

    feature: str
    kind: str
    genres: tuple[str, ...]
    rows: int
    accuracy: float
    baseline: float
    gain: float
    low: float
    high: float
    detail: str
    fix: str

    def as_dict(self) -> dict:
        out = asdict(self)
        out["genres"] = list(self.genres)
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in out.items()}

    def sentence(self) -> str:
        """The finding and what the shortcut alone is worth, in words."""
        return (
            f"{self.detail} This alone predicts the genre with {self.accuracy:.1%} accuracy, "
            f"against {self.baseline:.1%} for always answering the most frequent genre "
            f"({_points(self.gain)}, 95% interval {_points(self.low)} to {_points(self.high)})."
        )


def _points(value: float) -> str:
    return f"{100 * value:+.1f} points"


def lookup_gain(key: pd.Series, labels: pd.Series, seed: int = 0) -> tuple[float, ...]:
    """(accuracy, baseline, gain, low, high): a lookup table from ``key`` to the most frequent
    genre, scored out of fold, against the most frequent genre of the training part."""
    key = key.astype("string").fillna("\x00missing").reset_index(drop=True)
    labels = labels.astype("string").reset_index(drop=True)
    folds = np.random.default_rng(seed).permutation(len(key)) % FOLDS
    hit = np.zeros(len(key), dtype=bool)
    base = np.zeros(len(key), dtype=bool)
    for fold in range(FOLDS):
        held = folds == fold
        train = pd.DataFrame({"key": key[~held], "label": labels[~held]})
        majority = train["label"].value_counts().index[0]
        counts = train.groupby(["key", "label"], sort=False).size().rename("n").reset_index()
        best = counts.sort_values("n", ascending=False).drop_duplicates("key")
        table = best.set_index("key")["label"]
        guess = key[held].map(table).fillna(majority)
        hit[held] = (guess == labels[held]).to_numpy()
        base[held] = (labels[held] == majority).to_numpy()
    difference = hit.astype(float) - base.astype(float)
    gain = float(difference.mean())
    spread = 1.96 * float(difference.std(ddof=1)) / np.sqrt(len(difference))
    return float(hit.mean()), float(base.mean()), gain, gain - spread, gain + spread


def _finding(feature, kind, key, labels, genres, rows, detail, fix) -> Shortcut:
    accuracy, baseline, gain, low, high = lookup_gain(key, labels)
    return Shortcut(
        str(feature), kind, tuple(map(str, genres)), int(rows), accuracy, baseline, gain, low,
        high, detail, fix,
    )  # fmt: skip


def _over_represented(flag: pd.Series, labels: pd.Series, ratio: float = 2.0) -> list[str]:
    """Genres whose share of flagged rows is at least ``ratio`` times the base rate (or, for
    a common flag, mostly flagged), then those holding a tenth of the flagged rows; most
    flagged first."""
    base = flag.mean()
    rates = flag.groupby(labels, observed=True).mean()
    held = flag.groupby(labels, observed=True).sum() / max(int(flag.sum()), 1)
    sizes = labels.value_counts().reindex(rates.index)
    chosen = rates[(rates >= min(ratio * base, 0.5)) & (sizes >= 5)]
    also = rates[(held >= 0.1) & ~rates.index.isin(chosen.index)]
    ordered = [*chosen.sort_values(ascending=False).index, *also.sort_values(ascending=False).index]
    return [str(g) for g in ordered]


def scale_split(values: pd.Series) -> float | None:
    """The threshold between two scales of a positive column (no value between x and 30x,
    rows on both sides), or ``None``."""
    positive = pd.to_numeric(values, errors="coerce")
    positive = positive[np.isfinite(positive) & (positive > 0)]
    side = max(MIN_SIDE, int(MIN_SIDE_SHARE * len(values)))
    if len(positive) < 2 * side:
        return None
    logs = np.sort(np.log10(positive.to_numpy(dtype=float)))
    gaps = np.diff(logs)[side - 1 : len(logs) - side]
    if not len(gaps) or gaps.max() < SCALE_GAP:
        return None
    at = int(np.argmax(gaps)) + side - 1
    return float(10 ** ((logs[at] + logs[at + 1]) / 2))


def _scales(frame, labels, columns, repaired) -> list[Shortcut]:
    found = []
    for column in columns:
        if column in repaired:
            small = repaired[column].reindex(frame.index, fill_value=False).astype(bool)
            how = "were written on another scale in the file (converted on loading)"
        else:
            threshold = scale_split(frame[column])
            if threshold is None:
                continue
            small = pd.to_numeric(frame[column], errors="coerce") < threshold
            how = f"are below {threshold:.3g} while the others are at least 30 times larger"
        if not small.any() or small.all():
            continue
        genres = _over_represented(small, labels)
        detail = f"{int(small.sum()):,} values of '{column}' {how}: the rows of "
        found.append(
            _finding(
                column,
                "scale",
                small,
                labels,
                genres,
                small.sum(),
                detail + _counts(small, labels, genres) + ".",
                "convert",
            )  # fmt: skip
        )
    return found


def _counts(flag: pd.Series, labels: pd.Series, genres: list[str], most: int = 6) -> str:
    """ "all 625 Acoustic/Folk, 407 of 2,587 Pop, ..." for the flagged rows of ``genres``."""
    flagged = labels[flag].value_counts()
    sizes = labels.value_counts()
    parts = []
    for genre in genres[:most]:
        k, n = int(flagged.get(genre, 0)), int(sizes[genre])
        parts.append(f"all {n:,} {genre}" if k == n else f"{k:,} of {n:,} {genre}")
    rest = len(genres) - most
    return ", ".join(parts) + (f" and {rest} more genres" if rest > 0 else "")


def _missing(frame, labels, columns) -> list[Shortcut]:
    found = []
    for column in columns:
        missing = frame[column].isna()
        if not missing.any() or missing.all() or missing.sum() < MIN_SIDE:
            continue
        shortcut = _finding(
            column, "missing", missing, labels, _over_represented(missing, labels),
            missing.sum(), f"{int(missing.sum()):,} values of '{column}' are missing, not "
            "evenly across genres.", "flag",
        )  # fmt: skip
        if shortcut.low > 0 and shortcut.genres:
            found.append(shortcut)
    return found


def _constant(frame, labels, columns) -> list[Shortcut]:
    found = []
    sizes = labels.value_counts()
    for column in columns:
        values = frame[column]
        if values.nunique() < 2:
            continue
        distinct = values.groupby(labels, observed=True).nunique()
        genres = [g for g, n in distinct.items() if n == 1 and sizes.get(g, 0) >= MIN_GENRE_ROWS]
        if not genres:
            continue
        in_genres = labels.isin(genres)
        constants = values[in_genres].groupby(labels[in_genres], observed=True).first()
        flag = values.isin(set(constants.dropna()))
        shown = ", ".join(f"{g}: {constants[g]}" for g in genres[:4])
        found.append(
            _finding(
                column,
                "constant",
                flag,
                labels,
                genres,
                in_genres.sum(),
                f"'{column}' has one value throughout {len(genres)} genre(s) ({shown}).",
                "drop",
            )  # fmt: skip
        )
    return found


def _ids_and_copies(frame, labels, dataset) -> list[Shortcut]:
    found = []
    roles = dataset.roles
    skip = {roles.label, roles.id_column, roles.artist_column, *roles.text}
    for column in frame.columns:
        if column in skip:
            continue
        values = frame[column]
        filled = values.dropna()
        if len(filled) < MIN_SIDE:
            continue
        distinct = filled.nunique()
        if column in roles.features and distinct >= ID_SHARE * len(filled) and _whole(filled):
            repeated = values.duplicated(keep=False) & values.notna()
            shortcut = _finding(
                column, "id-like", values, labels, [], repeated.sum(),
                f"'{column}' is a feature with a different value on almost every row (an id): "
                "a model can only memorise it.", "drop",
            )  # fmt: skip
            found.append(shortcut)
        elif distinct <= len(filled) / 2:
            accuracy, *_ = lookup_gain(values, labels)
            if accuracy >= LABEL_COPY:
                found.append(
                    _finding(
                        column,
                        "label-copy",
                        values,
                        labels,
                        [],
                        values.notna().sum(),
                        f"'{column}' ({distinct:,} values) names the genre by itself: it is "
                        "the label under another name and must not be a feature.",
                        "drop",
                    )  # fmt: skip
                )
    return found


def _whole(values: pd.Series) -> bool:
    """Whole numbers (or not numbers at all): what an id is written in, unlike a measurement."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any():
        return True
    return bool(np.all(np.mod(numbers.to_numpy(dtype=float), 1) == 0))


def _same_song(frame, labels, dataset) -> list[Shortcut]:
    from genre_core.data.audit import song_keys

    name, keys = song_keys(dataset)
    keys = pd.Series(keys.to_numpy(), index=frame.index)
    if name == "features":
        return []
    per_song = labels.groupby(keys, sort=False).nunique()
    several = keys.map(per_song).fillna(1) > 1
    repeated = keys.duplicated(keep=False) & keys.notna()
    if not repeated.any():
        return []
    shortcut = _finding(
        name, "same-song", keys, labels, _over_represented(several, labels), repeated.sum(),
        f"{int(repeated.sum()):,} rows repeat a song ({int((per_song > 1).sum()):,} songs under "
        "several genres): a random split puts copies of a test song in training.", "group",
    )  # fmt: skip
    # copies whose genres disagree are no shortcut (the duplicate audit still counts them)
    return [shortcut] if shortcut.low > 0 else []


def find_shortcuts(dataset: Dataset, repaired: Mapping[str, pd.Series] | None = None):
    """Every shortcut of ``dataset``, the strongest first (see the module).

    ``repaired`` maps a column to the rows a loader converted (the dataset's own record,
    :attr:`Dataset.repaired`, by default): those rows were on another scale in the file.
    """
    frame = dataset.frame
    labels = frame[dataset.roles.label].astype("string")
    keep = labels.notna()
    frame, labels = frame[keep], labels[keep]
    repaired = dict(dataset.repaired if repaired is None else repaired)
    features = [c for c in dataset.roles.features if c in frame.columns]
    found = [
        *_scales(frame, labels, features, repaired),
        *_missing(frame, labels, features),
        *_constant(frame, labels, features),
        *_ids_and_copies(frame, labels, dataset),
        *_same_song(frame, labels, dataset),
    ]
    copies = {s.feature for s in found if s.kind == "label-copy"}  # says all there is to say
    found = [s for s in found if s.kind == "label-copy" or s.feature not in copies]
    return sorted(found, key=lambda s: s.gain, reverse=True)


# ---- fixes a recipe carries -------------------------------------------------------------------

FIX_KINDS = ("drop", "flag")


def flag_column(column: str) -> str:
    """The name of the 0/1 column that flags ``column``'s shortcut rows."""
    return f"{column}_flag"


def shortcut_rows(dataset: Dataset, column: str) -> pd.Series:
    """The rows a "flag" fix marks in ``column``: its missing values where it has any, else
    the rows on its small scale (converted on loading, or below the gap between two scales).

    Raises
    ------
    DataError
        When the column has neither.
    """
    frame = dataset.frame
    values = frame[column]
    if values.isna().any():
        return values.isna()
    if column in dataset.repaired:
        return dataset.repaired[column].reindex(frame.index, fill_value=False).astype(bool)
    threshold = scale_split(values)
    if threshold is None:
        raise DataError(
            f"data.fixes: 'flag:{column}' flags missing values or a second scale, and "
            f"'{column}' has neither in {dataset.name}."
        )
    return pd.to_numeric(values, errors="coerce") < threshold


def apply_fixes(dataset: Dataset, fixes: Sequence[str]) -> Dataset:
    """``dataset`` with a recipe's fixes: ``"drop:COLUMN"`` takes the column out of the
    features; ``"flag:COLUMN"`` adds :func:`flag_column` (1 on :func:`shortcut_rows`) as a
    feature, so a run can measure what the shortcut is worth when said out loud.

    Raises
    ------
    DataError
        Naming ``data.fixes`` and the fix at fault.
    """
    roles, frame = dataset.roles, dataset.frame
    features = list(roles.features)
    added = {}
    for fix in fixes:
        kind, _, column = str(fix).partition(":")
        if kind not in FIX_KINDS or not column:
            raise DataError(f"data.fixes: '{fix}' is not a fix; write drop:COLUMN or flag:COLUMN.")
        if column not in frame.columns:
            raise DataError(f"data.fixes: '{fix}' names no column of {dataset.name}.")
        if kind == "drop":
            features = [f for f in features if f != column]
        else:
            added[flag_column(column)] = shortcut_rows(dataset, column).astype(float)
            features.append(flag_column(column))
    if not features:
        raise DataError("data.fixes: the fixes leave no feature to learn from.")
    frame = frame.assign(**added) if added else frame
    roles = replace(roles, features=tuple(dict.fromkeys(features)))
    return replace(dataset, frame=frame, roles=roles)
