"""From a number to the tracks behind it: the evaluated rows one by one, the tracks of one
confusion-matrix cell, and a genre's mistakes.

Every table here is plain pandas. The evaluated rows are kept in the format the run history
stores them (``predictions.csv``): ``row`` (the row's label in the table trained on), ``true``,
``pred`` and, with probabilities, one ``proba.<genre>`` column per genre; an evaluation may add
``title`` and ``artist`` columns naming each track.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from genre_core.errors import DataError
from genre_core.runs.records import SCORE  # a genre's probability: the column "proba.<genre>"

NAMES = ("title", "artist")  # the columns that name a track, when the table has them


def track_columns(titles: Sequence[str] = (), artist: str | None = None) -> dict[str, str]:
    """The columns naming a track, as ``{"title": column, "artist": column}``: the first title
    column and the artist column, those that exist."""
    columns = {"title": next(iter(titles), None), "artist": artist}
    return {name: column for name, column in columns.items() if column}


def track_names(rows: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    """``rows``' title and artist (``columns`` from :func:`track_columns`) as text, one row per
    row of ``rows`` in its order; a column ``rows`` lacks is left out."""
    present = {name: column for name, column in columns.items() if column in rows.columns}
    named = rows[list(present.values())].astype("string").reset_index(drop=True)
    return named.set_axis(list(present), axis=1)


def with_names(
    predictions: pd.DataFrame, frame: pd.DataFrame, columns: Mapping[str, str]
) -> pd.DataFrame:
    """``predictions`` (a stored run's, say) with the title and artist of each ``row`` looked
    up in ``frame`` by its label (``columns`` from :func:`track_columns`); unchanged when a
    row is not one of ``frame``'s (another table), ``frame``'s labels repeat, or it already
    names its tracks."""
    if any(c in predictions.columns for c in NAMES) or not frame.index.is_unique:
        return predictions
    rows = pd.Index(predictions["row"])
    if frame.index.dtype != rows.dtype:  # labels read back from a CSV: compare them as text
        rows, index = rows.astype(str), frame.index.astype(str)
    else:
        index = frame.index
    found = index.get_indexer(rows)
    if len(rows) == 0 or (found < 0).any():
        return predictions
    names = track_names(frame.iloc[found], columns)
    out = predictions.copy()
    for position, column in enumerate(names.columns, start=1):
        out.insert(position, column, names[column].to_numpy())
    return out


def predictions_table(
    y_true: Sequence,
    y_pred: Sequence,
    proba: np.ndarray | None,
    classes: Sequence[str],
    *,
    rows: Sequence | None = None,
    names: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The evaluated rows one by one: ``row`` (``rows``, default the positions), the ``names``
    columns (title, artist) when given, ``true``, ``pred`` and ``proba.<genre>`` per genre of
    ``classes`` (none without ``proba``).

    Raises
    ------
    DataError
        When ``rows`` or ``names`` do not have one entry per evaluated row.
    """
    n = len(y_true)
    if rows is not None and len(rows) != n:
        raise DataError(f"{len(rows)} row labels for {n} evaluated rows.")
    if names is not None and len(names) != n:
        raise DataError(f"{len(names)} track names for {n} evaluated rows.")
    table = pd.DataFrame({"row": np.arange(n) if rows is None else np.asarray(rows)})
    if names is not None:
        for column in NAMES:
            if column in names.columns:
                table[column] = names[column].to_numpy()
    table["true"] = np.asarray([str(v) for v in y_true], dtype=object)
    table["pred"] = np.asarray([str(v) for v in y_pred], dtype=object)
    if proba is not None:
        proba = np.asarray(proba, dtype=float)
        for i, genre in enumerate(classes):
            table[f"{SCORE}{genre}"] = proba[:, i]
    return table


def _probability(predictions: pd.DataFrame, which: str) -> pd.Series:
    """Each row's probability of the genre in its column ``which`` ("true" or "pred"); NaN
    where the table has no probability of that genre."""
    scores = [c for c in predictions.columns if str(c).startswith(SCORE)]
    if not scores:
        return pd.Series(np.nan, index=predictions.index)
    genres = [str(c)[len(SCORE) :] for c in scores]
    values = predictions[scores].to_numpy(dtype=float)
    column = pd.Index(genres).get_indexer(predictions[which].astype(str))
    found = column >= 0
    out = np.full(len(predictions), np.nan)
    out[found] = values[np.flatnonzero(found), column[found]]
    return pd.Series(out, index=predictions.index)


def _shown(predictions: pd.DataFrame) -> pd.DataFrame:
    """The rows as a reader wants them: row, title, artist, true and predicted genre, the
    probability of each, the surest answers first."""
    named = [c for c in NAMES if c in predictions.columns]
    table = pd.DataFrame(
        {
            "row": predictions["row"],
            **{c: predictions[c] for c in named},
            "true genre": predictions["true"].astype(str),
            "predicted genre": predictions["pred"].astype(str),
            "p(predicted)": _probability(predictions, "pred"),
            "p(true)": _probability(predictions, "true"),
        }
    )
    return table.sort_values(
        ["p(predicted)", "p(true)"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def cell_tracks(predictions: pd.DataFrame, true_genre: str, predicted_genre: str) -> pd.DataFrame:
    """The tracks of one confusion-matrix cell: true genre ``true_genre``, predicted
    ``predicted_genre``; columns ``row``, ``title`` and ``artist`` (when known), ``true genre``,
    ``predicted genre``, ``p(predicted)`` and ``p(true)`` (the model's probability of each,
    NaN without probabilities), the surest answers first."""
    hit = (predictions["true"].astype(str) == str(true_genre)) & (
        predictions["pred"].astype(str) == str(predicted_genre)
    )
    return _shown(predictions[hit])


def genre_mistakes(predictions: pd.DataFrame, genre: str) -> pd.DataFrame:
    """The mistakes about ``genre``: its tracks given another genre ("missed") and the other
    genres' tracks given ``genre`` ("taken for it"); the :func:`cell_tracks` columns after a
    ``mistake`` column, the surest mistakes first."""
    true = predictions["true"].astype(str) == str(genre)
    pred = predictions["pred"].astype(str) == str(genre)
    wrong = predictions[true ^ pred]
    table = _shown(wrong)
    missed = table["true genre"] == str(genre)
    table.insert(0, "mistake", np.where(missed, "missed", f"taken for {genre}"))
    return table


def worst_genres(per_genre: pd.DataFrame) -> list[str]:
    """The genres of a per-genre table (``genre`` and ``pr_auc`` or ``f1`` columns), the
    hardest first: the lowest precision-recall area (F1 without probabilities); genres
    without a score (absent from the test rows) last."""
    score = "pr_auc" if "pr_auc" in per_genre.columns else "f1"
    ranked = per_genre.sort_values(score, ascending=True, na_position="last", kind="stable")
    return [str(g) for g in ranked["genre"]]
