"""Datasets as the rest of Genre Lab sees them: a validated table and the role of each column."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from genre_core.data.csvio import check_width, read_csv_bytes, read_csv_path
from genre_core.data.fetch import Progress, locate, sha256_of
from genre_core.data.registry import DATASETS, DatasetSpec
from genre_core.errors import DataError
from genre_core.settings import MAX_CLASSES

YEAR_COLUMN = "release_year"
MINUTES_BELOW = 30  # a duration below 30 is in minutes: no song in these data lasts under 30 ms
_LABEL_NAMES = ("genre", "playlist_genre", "track_genre", "class", "label", "target", "y")
_DATE_HINTS = ("release_date", "date")
_MIN_ROWS_PER_CLASS = 2
_ID_PATTERNS = (r"^track_?id$", r"^id$", r"^uri$", r"_id$")
_INDEX_NAME = re.compile(r"unnamed: ?\d+|index|row|level_\d+", re.IGNORECASE)


@dataclass(frozen=True)
class Roles:
    """Which column is the label, which are features, titles and grouping keys.

    ``features`` are numeric columns a model may use; ``text`` holds titles for sentence
    embeddings; ``id_column`` and ``artist_column`` key grouped splits.
    """

    label: str
    features: tuple[str, ...]
    text: tuple[str, ...] = ()
    id_column: str | None = None
    artist_column: str | None = None

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(c for c in (self.id_column, self.artist_column) if c)


@dataclass(frozen=True)
class Dataset:
    """A loaded, validated table.

    Attributes
    ----------
    name
        The registry name, or the file name of a user's own CSV.
    frame
        The table after normalisation (renamed columns, class names, durations in ms).
    roles
        The column roles in use.
    spec
        The registry entry, or ``None`` for a user's file.
    origin
        How the file was found: "explicit", "data dir", "cache", "download" or "upload".
    verified
        Whether the file's sha256 matched the published one (``None`` if there is none).
    warnings
        What was repaired or should be known, one sentence each.
    repaired
        Column -> the rows a loader converted (durations written in minutes), by the frame's
        index: the shortcut detector reports what the file's form alone gave away.
    """

    name: str
    frame: pd.DataFrame
    roles: Roles
    spec: DatasetSpec | None = None
    origin: str = "explicit"
    path: str | None = None
    verified: bool | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    repaired: Mapping[str, pd.Series] = field(default_factory=dict, repr=False, compare=False)

    @property
    def labels(self) -> pd.Series:
        return self.frame[self.roles.label]

    @property
    def class_counts(self) -> pd.Series:
        return self.labels.value_counts()

    @property
    def numeric_columns(self) -> list[str]:
        """Every numeric column but the label: the features a user may choose from."""
        return [
            c
            for c in self.frame.columns
            if c != self.roles.label and pd.api.types.is_numeric_dtype(self.frame[c])
        ]

    def with_roles(self, roles: Roles) -> Dataset:
        """The same table with other column roles, validated again."""
        frame, warnings = validate(self.frame, roles)
        return replace(self, frame=frame, roles=roles, warnings=(*self.warnings, *warnings))


def load_dataset(
    source: str | Path,
    *,
    label: str | None = None,
    features: list[str] | None = None,
    allow_download: bool = True,
    progress: Progress | None = None,
) -> Dataset:
    """Load a known dataset by name, or a CSV file by path, and validate it.

    A name resolves to an explicit file, then ``$GENRE_DATA_DIR/<name>/``, then the cache
    ``data/<name>/``, then a checked download (see :mod:`genre_core.data.fetch`).

    Raises
    ------
    DataError
        For an unknown name that is not a file either, a missing file, or any failed check.
    """
    source_text = str(source)
    if source_text in DATASETS:
        dataset = _load_known(DATASETS[source_text], allow_download, progress)
    else:
        path = Path(source_text)
        if not path.suffix and not path.exists():
            known = ", ".join(DATASETS)
            raise DataError(f"'{source_text}' is neither a known dataset ({known}) nor a file.")
        frame, warnings = read_csv_path(path)
        spec = _known_by_hash(path)
        if spec is None:
            return from_user_frame(
                frame,
                path.name,
                label=label,
                features=features,
                origin="explicit",
                path=str(path),
                warnings=warnings,
            )
        # A known dataset's published file, wherever it lies: apply its fixes.
        dataset = from_known_frame(frame, spec, origin="explicit", path=str(path), verified=True)
    if label or features:
        dataset = dataset.with_roles(
            replace(
                dataset.roles,
                label=label or dataset.roles.label,
                features=tuple(features or dataset.roles.features),
            )
        )
    return dataset


_KNOWN_LOADED: dict[tuple, Dataset] = {}  # the last known tables read by this process
_KNOWN_KEPT = 3


def _load_known(spec: DatasetSpec, allow_download: bool, progress: Progress | None) -> Dataset:
    """Read a known dataset, or copy the one this process read last from the same unchanged
    file: a job worker runs many recipes on the same table, and reading and checking it again
    took a third of a second of every job."""
    found = locate(spec.directory, spec.file, allow_download=allow_download, progress=progress)
    stat = found.path.stat()
    key = (spec.name, str(found.path), stat.st_mtime_ns, stat.st_size, found.origin, found.verified)
    kept = _KNOWN_LOADED.get(key)
    if kept is None:
        kept = _read_known(spec, found)
        _KNOWN_LOADED[key] = kept
        while len(_KNOWN_LOADED) > _KNOWN_KEPT:
            _KNOWN_LOADED.pop(next(iter(_KNOWN_LOADED)))
    repaired = {column: rows.copy() for column, rows in kept.repaired.items()}
    return replace(kept, frame=kept.frame.copy(), repaired=repaired)


def _read_known(spec: DatasetSpec, found) -> Dataset:
    try:
        frame = pd.read_csv(found.path)
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise DataError(f"{found.path} could not be read as CSV: {error}") from None
    dataset = from_known_frame(
        frame, spec, origin=found.origin, path=str(found.path), verified=found.verified
    )
    if found.verified is False:
        note = f"{found.path.name} differs from the published file (its sha256 does not match)."
        dataset = replace(dataset, warnings=(note, *dataset.warnings))
    return dataset


def _known_by_hash(path: Path) -> DatasetSpec | None:
    sizes = {spec.file.size: spec for spec in DATASETS.values() if spec.file.size}
    spec = sizes.get(path.stat().st_size)
    if spec is not None and sha256_of(path) == spec.file.sha256:
        return spec
    return None


def load_upload(
    raw: bytes,
    filename: str,
    *,
    label: str | None = None,
    features: list[str] | None = None,
    limit_mb: float | None = None,
) -> Dataset:
    """A user's uploaded CSV (bytes), read, given roles and validated."""
    frame, warnings = read_csv_bytes(raw, filename, limit_mb=limit_mb)
    return from_user_frame(
        frame, filename, label=label, features=features, origin="upload", warnings=warnings
    )


def from_known_frame(frame: pd.DataFrame, spec: DatasetSpec, **info) -> Dataset:
    """Normalise a known dataset's table (column names, class names, units) and validate it."""
    repaired = minutes_rows(frame, spec)
    frame = normalise_known(frame, spec)
    roles = Roles(
        label=spec.label,
        features=known_features(frame, spec),
        text=tuple(c for c in spec.text_columns if c in frame.columns),
        id_column=(
            spec.id_column
            if spec.id_column in frame.columns and not is_index_like(frame[spec.id_column])
            else None
        ),
        artist_column=spec.artist_column if spec.artist_column in frame.columns else None,
    )
    frame, warnings = validate(frame, roles, strict_classes=False)
    return Dataset(
        spec.name, frame, roles, spec=spec, warnings=tuple(warnings), repaired=repaired, **info
    )


def known_features(frame: pd.DataFrame, spec: DatasetSpec) -> tuple[str, ...]:
    """A known dataset's default features: its numeric columns, and ``release_year`` where the
    table has a release date (the Development report learns from it; on spotify-30k it is worth
    about 3 points of accuracy)."""
    features = [c for c in spec.features if c in frame.columns]
    if YEAR_COLUMN in frame.columns and YEAR_COLUMN not in features:
        features.append(YEAR_COLUMN)
    return tuple(features)


def minutes_rows(frame: pd.DataFrame, spec: DatasetSpec) -> dict[str, pd.Series]:
    """``{"duration_ms": rows written in minutes}`` for a known dataset whose durations
    :func:`normalise_known` converts; else ``{}``."""
    names = {k: v for k, v in spec.rename.items() if k in frame.columns and v == "duration_ms"}
    if not names:
        return {}
    raw = pd.to_numeric(frame[next(iter(names))], errors="coerce")
    return {"duration_ms": raw < MINUTES_BELOW}


def normalise_known(frame: pd.DataFrame, spec: DatasetSpec) -> pd.DataFrame:
    """Apply a known dataset's fixes: header spellings, class ids to names, minutes to ms."""
    frame = frame.rename(columns={k: v for k, v in spec.rename.items() if k in frame.columns})
    if "duration_ms" in frame.columns and "duration_ms" in spec.rename.values():
        frame["duration_ms"] = minutes_to_ms(frame["duration_ms"])
    if spec.class_names and spec.label in frame.columns:
        ids = pd.to_numeric(frame[spec.label], errors="coerce")
        frame[spec.label] = ids.map(spec.class_names).astype("string")
    add_release_year(frame)
    return frame


def minutes_to_ms(duration: pd.Series) -> pd.Series:
    """Durations below 30 are minutes (no song in these data lasts under 30 ms): make them ms."""
    values = pd.to_numeric(duration, errors="coerce")
    return values.where(~(values < MINUTES_BELOW), values * 60_000)


def derive_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with the columns Genre Lab derives from a table's own
    (``release_year`` from a release date): the same for a training table and for the tracks
    a model is asked to predict, so a model trained on a derived column finds it there too."""
    frame = frame.copy()
    add_release_year(frame)
    return frame


def add_release_year(frame: pd.DataFrame) -> None:
    """Add ``release_year`` from the first release-date column (full dates and bare years)."""
    if YEAR_COLUMN in frame.columns:
        return
    for column in frame.columns:
        if any(
            hint in column.lower() for hint in _DATE_HINTS
        ) and not pd.api.types.is_numeric_dtype(frame[column]):
            years = frame[column].astype("string").str.extract(r"^\s*(\d{4})", expand=False)
            if years.notna().mean() > 0.5:
                frame[YEAR_COLUMN] = (
                    pd.to_numeric(years, errors="coerce").astype("Float64").astype(float)
                )
            return


def from_user_frame(
    frame: pd.DataFrame,
    name: str,
    *,
    label: str | None = None,
    features: list[str] | None = None,
    warnings: list[str] | tuple[str, ...] = (),
    **info,
) -> Dataset:
    """Detect the column roles of a user's table (the given label and features win), validate."""
    check_width(len(frame.columns), name)
    frame = derive_columns(frame)
    roles = infer_roles(frame, label=label, features=features)
    frame, found = validate(frame, roles, chosen_features=features is not None)
    return Dataset(name, frame, roles, warnings=(*warnings, *found), **info)


def infer_roles(
    frame: pd.DataFrame, *, label: str | None = None, features: list[str] | None = None
) -> Roles:
    """Guess the label, numeric features, title columns and grouping keys of a table."""
    columns = list(frame.columns)
    if label is None:
        label = _guess_label(frame)
    elif label not in frame.columns:
        raise DataError(f"label column '{label}' not found; the columns are: {_list(columns)}.")
    id_column = _find_id(frame, exclude=label)
    artist_column = _find_column(columns, (r"artist",), exclude=label)
    numeric = _numeric_columns(frame)
    if features is None:
        has_values = set(frame.columns[frame.notna().any().to_numpy()])
        # A row number named like an id ('row_id': 0, 1, 2, ...) describes no song either.
        row_numbers = {c for c in columns if _id_named(c) and is_index_like(frame[c])}
        features = [
            c
            for c in columns
            if c not in (label, id_column, artist_column)
            and c in numeric
            and not _is_row_index(c)
            and c not in row_numbers
            and c in has_values
        ]
    taken = {label, id_column, artist_column, *features}
    text = [
        c
        for c in columns
        if c not in taken
        and re.search(r"name|title|track|album|song", str(c), re.IGNORECASE)
        and c not in numeric
    ]
    return Roles(label, tuple(features), tuple(text[:3]), id_column, artist_column)


def validate(
    frame: pd.DataFrame,
    roles: Roles,
    *,
    chosen_features: bool = True,
    strict_classes: bool = True,
) -> tuple[pd.DataFrame, list[str]]:
    """Check a table against its roles; return it cleaned, with warnings.

    Rows with no label are dropped (a warning says how many); feature columns are converted to
    numbers. Every failure raises :class:`DataError` naming the column and the line of the
    file (the header is line 1). With ``strict_classes=False`` (a known raw table whose labels
    are meant to be merged) a genre with a single row is a warning instead of an error.
    """
    warnings: list[str] = []
    if frame.empty or len(frame.columns) == 0:
        raise DataError("the table has no rows.")
    if roles.label not in frame.columns:
        raise DataError(
            f"label column '{roles.label}' not found; the columns are: {_list(frame.columns)}."
        )
    labels = frame[roles.label]
    if labels.dtype.kind == "f" and labels.dropna().mod(1).eq(0).all():
        labels = labels.astype("Int64")
    labels = labels.astype("string").str.strip().replace("", pd.NA)
    if labels.isna().all():
        raise DataError(f"label column '{roles.label}' is empty.")
    missing = int(labels.isna().sum())
    frame = frame.assign(**{roles.label: labels})
    if missing:
        frame = frame[labels.notna()].copy()
        warnings.append(f"{missing:,} rows have no '{roles.label}' and were left out.")
    counts = frame[roles.label].value_counts()
    if len(counts) < 2:
        raise DataError(
            f"label column '{roles.label}' holds a single genre ('{counts.index[0]}'); "
            f"classification needs at least two."
        )
    if strict_classes:
        check_class_count(len(counts), roles.label)
    elif len(counts) > MAX_CLASSES:
        warnings.append(
            f"'{roles.label}' holds {len(counts):,} genres; a model takes at most "
            f"{MAX_CLASSES:,}: merge them before training."
        )
    rare = counts[counts < _MIN_ROWS_PER_CLASS]
    if len(rare):
        names = ", ".join(f"'{g}'" for g in rare.index[:5]) + (", …" if len(rare) > 5 else "")
        message = (
            f"{len(rare)} genre(s) in '{roles.label}' have a single row ({names}); every genre "
            f"needs at least {_MIN_ROWS_PER_CLASS} rows to appear in both training and test."
        )
        if strict_classes:
            raise DataError(message + " Remove or merge them.")
        warnings.append(message + " Merge them before training.")
    if not roles.features:
        raise DataError(
            f"no numeric feature column; the columns are: {_list(frame.columns)}. "
            "A model needs at least one column of numbers."
        )
    features = list(dict.fromkeys(roles.features))
    for column in features:
        if column not in frame.columns:
            raise DataError(
                f"feature column '{column}' not found; the columns are: {_list(frame.columns)}."
            )
        if column == roles.label:
            raise DataError(f"'{column}' is the label; it cannot also be a feature.")
    numbers = _feature_block(frame, features, explicit=chosen_features)
    frame = pd.concat([frame.drop(columns=features), numbers], axis=1)[list(frame.columns)]
    missing_counts = dict(zip(features, numbers.isna().sum().tolist(), strict=True))
    empty = [c for c in features if missing_counts[c] == len(frame)]
    if len(empty) == len(features):
        raise DataError(f"every feature column is empty ({_list(empty)}).")
    if empty:
        warnings.append(f"feature columns with no values at all: {_list(empty)}; drop them.")
    partly = {c: int(missing_counts[c]) for c in features if c not in empty}
    partly = {c: n for c, n in partly.items() if n}
    if partly:
        detail = ", ".join(f"{c} ({n:,})" for c, n in partly.items())
        warnings.append(f"missing values, filled in by the imputer you choose: {detail}.")
    return frame, warnings


def check_class_count(classes: int, label: str) -> None:
    """Refuse a label of more than :data:`~genre_core.settings.MAX_CLASSES` genres: one model
    per genre pair or a weight per genre and feature makes such a fit take minutes and GBs."""
    if classes > MAX_CLASSES:
        raise DataError(
            f"label column '{label}' holds {classes:,} genres; Genre Lab classifies at most "
            f"{MAX_CLASSES:,} (MAX_CLASSES in genre_core/settings.py). Choose another label "
            "column, or merge or keep fewer genres."
        )


def _feature_block(frame: pd.DataFrame, features: list[str], *, explicit: bool) -> pd.DataFrame:
    """The feature columns as floats: numeric columns converted at once, text columns parsed
    one by one (naming the first cell that is not a number); no infinite value."""
    numbers = _number_dtype_columns(frame)
    numeric = [c for c in features if c in numbers]
    parsed = {c: _parse_numbers(frame, c, explicit=explicit) for c in features if c not in numbers}
    block = frame[numeric].astype(float)
    if parsed:
        block = pd.concat([block, pd.DataFrame(parsed, index=frame.index)], axis=1)
    block = block[features]
    infinite = np.isinf(block.to_numpy(dtype=float))
    if infinite.any():
        position = int(np.flatnonzero(infinite.any(axis=0))[0])
        row = frame.index[int(np.flatnonzero(infinite[:, position])[0])]
        raise DataError(
            f"column '{features[position]}' holds an infinite value on line "
            f"{_line(frame, row)}; replace it with a number or leave the cell empty."
        )
    return block


def _parse_numbers(frame: pd.DataFrame, column: str, *, explicit: bool) -> pd.Series:
    stripped = frame[column].astype("string").str.strip().replace("", pd.NA)
    numbers = pd.to_numeric(stripped, errors="coerce")
    bad = stripped.notna() & numbers.isna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        row = frame.index[position]
        raise DataError(
            f"column '{column}' should hold numbers but line {_line(frame, row)} holds "
            f"'{_clip(stripped.loc[row])}'"
            + ("." if not explicit or bad.mean() < 0.5 else "; it looks like a text column.")
        )
    return numbers.astype(float)


def _guess_label(frame: pd.DataFrame) -> str:
    lowered = {str(c).lower(): c for c in frame.columns}
    for name in _LABEL_NAMES:
        if name in lowered:
            return lowered[name]
    for column in frame.columns:
        if "genre" in str(column).lower() and "sub" not in str(column).lower():
            return column
    numeric = _numeric_columns(frame)
    for column in reversed(frame.columns):
        if column in numeric:
            continue
        values = frame[column]
        if 1 < values.nunique() <= max(2, len(values) // 20):
            return column
    raise DataError(
        f"no label column found (looked for {', '.join(_LABEL_NAMES[:4])}, …); "
        f"choose one of: {_list(frame.columns)}."
    )


def _find_column(columns: list, patterns: tuple[str, ...], *, exclude: str) -> str | None:
    for pattern in patterns:
        for column in columns:
            if column != exclude and re.search(pattern, str(column), re.IGNORECASE):
                return column
    return None


def _mostly_numeric(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        return True
    present = values.dropna().astype("string").str.strip()
    present = present[present != ""]
    if present.empty:
        return False
    return pd.to_numeric(present, errors="coerce").notna().mean() >= 0.9


def _is_row_index(name: object) -> bool:
    """A saved row index ('Unnamed: 0', 'index'): numbers that identify rows, not describe songs."""
    return bool(_INDEX_NAME.fullmatch(str(name))) or str(name).lower() == "id"


def is_index_like(values: pd.Series) -> bool:
    """Whether a column is a row number rather than a track id: named like a saved pandas
    index ('Unnamed: 0', 'index'), or whole numbers that are unique and in order."""
    if _INDEX_NAME.fullmatch(str(values.name)):
        return True
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    present = values.dropna()
    if present.empty or len(present) < len(values) or not present.mod(1).eq(0).all():
        return False
    ordered = present.is_monotonic_increasing or present.is_monotonic_decreasing
    return bool(ordered and present.is_unique)


def _id_named(column: object) -> bool:
    return any(re.search(p, str(column), re.IGNORECASE) for p in _ID_PATTERNS)


def _find_id(frame: pd.DataFrame, *, exclude: str) -> str | None:
    """The first column named like a track id that is not a row index."""
    for pattern in _ID_PATTERNS:
        for column in frame.columns:
            if (
                column != exclude
                and re.search(pattern, str(column), re.IGNORECASE)
                and not is_index_like(frame[column])
            ):
                return column
    return None


def _numeric_columns(frame: pd.DataFrame) -> set:
    """The columns of numbers, or of text that is mostly numbers (>= 90 % of its cells)."""
    out = _number_dtype_columns(frame)
    return out | {c for c in frame.columns if c not in out and _mostly_numeric(frame[c])}


def _number_dtype_columns(frame: pd.DataFrame) -> set:
    # One dtype test per distinct dtype, not per column.
    return set(frame.select_dtypes(include=["number", "bool"]).columns)


def _line(frame: pd.DataFrame, row: object) -> int:
    # Rows keep the position they had in the file as their index label.
    position = row if isinstance(row, (int, np.integer)) else frame.index.get_loc(row)
    return int(position) + 2


def _clip(text: object, limit: int = 40) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _list(columns, limit: int = 12) -> str:
    names = [str(c) for c in columns]
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "")
