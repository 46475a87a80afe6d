"""Duplicates, label conflicts and the leakage a random split would let through."""

from __future__ import annotations

import weakref
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from genre_core.data.dataset import Dataset
from genre_core.data.splits import SplitSpec, group_values


@dataclass(frozen=True)
class Audit:
    """What repeats in a dataset, and what that does to an honest score.

    Attributes
    ----------
    key
        What identifies a song: the track id column; else "<title> + <artist>" (two columns
        together) when the table has both; else "features", identical feature rows standing for
        the same song. A row number ('Unnamed: 0') is never taken for a track id.
    duplicate_ids
        Songs (ids) that appear on more than one row.
    conflicting_ids
        Songs filed under more than one genre.
    duplicate_rows
        Rows whose feature values equal an earlier row's.
    expected_leaked_test_rows
        Test rows a random split with ``test_fraction`` is expected to leave with a copy of
        the same song in training (each row sent to test independently).
    accuracy_ceiling
        The best accuracy any model can reach when it sees each song once: for every song only
        its most frequent genre can be right.
    """

    rows: int
    key: str
    unique_ids: int
    duplicate_ids: int
    conflicting_ids: int
    duplicate_rows: int
    test_fraction: float
    expected_leaked_test_rows: float
    accuracy_ceiling: float

    @property
    def key_text(self) -> str:
        """How a song was recognised, in words."""
        if self.key == "features":
            return "a row of identical feature values; the table has no track id column"
        if " + " in self.key:
            return f"the same {self.key.replace(' + ', ' and ')}; the table has no track id column"
        return f"the same {self.key}"

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> list[str]:
        test_rows = self.rows * self.test_fraction
        leaked = self.expected_leaked_test_rows
        return [
            f"{self.rows:,} rows, {self.unique_ids:,} unique songs (a song is {self.key_text}).",
            f"{self.duplicate_ids:,} songs appear more than once; {self.conflicting_ids:,} of them "
            f"under more than one genre.",
            f"{self.duplicate_rows:,} rows repeat an earlier row's feature values exactly.",
            f"A random split with {self.test_fraction:.0%} test would leave about "
            f"{leaked:,.0f} of {test_rows:,.0f} test rows ({leaked / max(test_rows, 1):.1%}) "
            "with the same song in training.",
            f"Conflicting labels cap accuracy at {self.accuracy_ceiling:.2%}.",
        ]


def song_keys(dataset: Dataset) -> tuple[str, pd.Series]:
    """The column naming each song; else its title and artist together; else a hash of its
    feature values. Returns the key's name (see :attr:`Audit.key`) and one key per row."""
    roles = dataset.roles
    frame = dataset.frame
    if roles.id_column:
        return roles.id_column, frame[roles.id_column]
    if roles.text and roles.artist_column:
        title, artist = roles.text[0], roles.artist_column
        # Missing either part: the row is a song of its own (the audit counts it once).
        name = f"{title} + {artist}"
        return name, group_values(frame, name)
    hashed = pd.util.hash_pandas_object(dataset.frame[list(roles.features)], index=False)
    return "features", hashed


def audit(dataset: Dataset, test_fraction: float = 0.3) -> Audit:
    """Count duplicates and conflicts in ``dataset`` and what they cost a random split."""
    frame, label = dataset.frame, dataset.roles.label
    key_name, keys = song_keys(dataset)
    keys = keys.reset_index(drop=True)
    labels = frame[label].reset_index(drop=True)
    present = keys.notna()
    per_song = pd.DataFrame({"key": keys[present], "label": labels[present]})
    sizes = per_song.groupby("key", sort=False).size()
    genres = per_song.groupby("key", sort=False)["label"].nunique()
    top = per_song.groupby(["key", "label"], sort=False).size().groupby(level=0).max()
    singles = int((~present).sum())
    k = sizes.to_numpy(dtype=float)
    f = test_fraction
    leaked = float(np.sum(k * f * (1 - f ** (k - 1))))
    duplicate_rows = int(frame.duplicated(subset=list(dataset.roles.features)).sum())
    return Audit(
        rows=len(frame),
        key=key_name,
        unique_ids=int(len(sizes) + singles),
        duplicate_ids=int((sizes > 1).sum()),
        conflicting_ids=int((genres > 1).sum()),
        duplicate_rows=duplicate_rows,
        test_fraction=test_fraction,
        expected_leaked_test_rows=leaked,
        accuracy_ceiling=float((top.sum() + singles) / len(frame)),
    )


def conflicts(dataset: Dataset, limit: int = 200) -> pd.DataFrame:
    """The songs filed under more than one genre, most genres first, with their genres listed."""
    roles = dataset.roles
    key_name, keys = song_keys(dataset)
    frame = dataset.frame.assign(_key=keys.to_numpy())
    counts = frame.groupby("_key", sort=False)[roles.label].nunique()
    conflicted = frame[frame["_key"].isin(counts.index[counts > 1])]
    grouped = conflicted.groupby("_key", sort=False)[roles.label]
    table = pd.DataFrame(
        {
            "genres": grouped.unique().map(lambda g: ", ".join(sorted(map(str, g)))),
            "n_genres": grouped.nunique(),
            "rows": grouped.size(),
        }
    )
    first = conflicted.drop_duplicates("_key").set_index("_key")
    for column in (*roles.text[:1], roles.artist_column):
        if column:
            table[column] = first.loc[table.index, column]
    table.index.name = key_name
    ranked = table.sort_values(["n_genres", "rows"], ascending=False).head(limit)
    # a track id is worth showing; a joined title and artist or a hash of features is not
    return ranked.reset_index(drop=key_name != roles.id_column)


TRACK = "track"  # a split's group column naming "whatever says which song a row is"


_REPEATS: dict[tuple, tuple[weakref.ref, tuple[str | None, int]]] = {}  # the last tables asked


def repeated_songs(dataset: Dataset) -> tuple[str | None, int]:
    """The column (or ``"<title> + <artist>"``) naming each song, and how many rows repeat a
    song; ``(None, 0)`` when no song repeats or the table has nothing that names a song.

    A page asks this of the same table several times a run (its default split, the split's
    resolution, the line saying why): the answer for a table still alive is kept."""
    roles = dataset.roles
    key = (id(dataset.frame), len(dataset.frame), roles.id_column, roles.text[:1],
           roles.artist_column)  # fmt: skip
    kept = _REPEATS.get(key)
    if kept is not None and kept[0]() is dataset.frame:
        return kept[1]
    name, keys = song_keys(dataset)
    repeated = 0 if name == "features" else int((keys.duplicated(keep=False) & keys.notna()).sum())
    found = (name, repeated) if repeated else (None, 0)
    _REPEATS[key] = (weakref.ref(dataset.frame), found)
    while len(_REPEATS) > 8:
        _REPEATS.pop(next(iter(_REPEATS)))
    return found


def track_split(split: SplitSpec, dataset: Dataset) -> SplitSpec:
    """A split grouped by ``"track"`` made concrete for ``dataset``: grouped by what names a
    song where songs repeat, else stratified (with no copies, a random split is as honest)."""
    if split.method != "group" or split.group_column != TRACK:
        return split
    column, _ = repeated_songs(dataset)
    if column is None:
        return replace(split, method="stratified", group_column=None)
    return replace(split, group_column=column)


def split_note(split: SplitSpec, dataset: Dataset) -> str:
    """One line saying why ``split`` (made concrete) is honest on ``dataset``, or what it costs."""
    column, repeated = repeated_songs(dataset)
    roles = dataset.roles
    if split.method == "group" and split.group_column == roles.artist_column:
        return (
            "Grouped by artist: no artist is on both sides, so the score says how the model does "
            "on artists it never heard; expect it lower than a split by track, since an artist's "
            "songs mostly share a genre."
        )
    if split.method == "group" and split.group_column == column:
        return (
            f"Grouped by track ({column}): {repeated:,} rows repeat a song (often under another "
            "genre), so a random split would put copies of test songs in training."
        )
    if split.method == "group":
        return f"Grouped by {split.group_column}: each of its values goes whole to one side."
    if column is None:
        return "Stratified at random: no song repeats here, so no test song is seen in training."
    return (
        f"Stratified at random although {repeated:,} rows repeat a song ({column}): copies of "
        "test songs sit in training and inflate the score; group by track to avoid it."
    )
