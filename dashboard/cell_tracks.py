"""From a number to the tracks: the tracks behind a clicked confusion-matrix cell, and the
mistakes about one genre (the hardest first), drawn from an evaluation's row-by-row
predictions (:mod:`genre_core.metrics.tracks`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.state import plain
from genre_core.data.dataset import Dataset
from genre_core.metrics.tracks import (
    cell_tracks,
    genre_mistakes,
    track_columns,
    with_names,
    worst_genres,
)

COLUMNS = {
    "row": st.column_config.TextColumn("row", help="The track's row in the table trained on."),
    "p(predicted)": st.column_config.NumberColumn(
        format="%.2f", help="The model's probability of the genre it answered."
    ),
    "p(true)": st.column_config.NumberColumn(
        format="%.2f", help="The model's probability of the track's true genre."
    ),
}


def selected_cell(
    event: Mapping[str, Any] | None, classes: Sequence[str]
) -> tuple[str, str] | None:
    """The (true genre, predicted genre) of the cell a confusion chart's selection ``event``
    holds (its markers' ``customdata`` is the cell's row and column, see
    :func:`~genre_core.plots.models.confusion_figure`); ``None`` for no selection or a point
    that is not a cell of ``classes``."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    for point in points:
        cell = point.get("customdata")
        if isinstance(cell, Mapping):  # a typed array comes as {"0": row, "1": column}
            cell = [cell.get("0"), cell.get("1")]
        if not isinstance(cell, Sequence) or isinstance(cell, str) or len(cell) != 2:
            continue
        try:
            row, column = (int(v) for v in cell)
        except (TypeError, ValueError):
            continue
        if 0 <= row < len(classes) and 0 <= column < len(classes):
            return str(classes[row]), str(classes[column])
    return None


def _tracks_table(table: pd.DataFrame, key: str, where) -> None:
    where.dataframe(table.astype({"row": str}), hide_index=True, key=key, column_config=COLUMNS)


def cell_tracks_view(
    key: str, predictions: pd.DataFrame | None, classes: Sequence[str], event, where=None
) -> None:
    """Under a confusion chart: the tracks of the cell its selection ``event`` holds (a caption
    inviting a click when none), surest answers first."""
    where = st if where is None else where
    if predictions is None:
        return
    cell = selected_cell(event, classes)
    if cell is None:
        where.caption("Click a cell to list the tracks behind it.")
        return
    _cell_table(key, predictions, *cell, where)


def _cell_table(key: str, predictions: pd.DataFrame, true: str, predicted: str, where) -> None:
    table = cell_tracks(predictions, true, predicted)
    verdict = "right" if true == predicted else "wrong"
    where.markdown(
        plain(f"{len(table):,} test tracks of {true} predicted {predicted} ({verdict}):")
    )
    if table.empty:
        return
    _tracks_table(table, f"{key}.tracks", where)
    where.caption(
        "The surest answers first: a wrong answer given with a high probability is worth "
        "listening to (a mislabelled track, or two genres that truly sound alike)."
    )


def stored_cells_view(
    key: str, runs: Sequence[tuple[str, str, pd.DataFrame, Sequence[str], Any]]
) -> None:
    """Under stored runs' confusion matrices: for each run ``(run id, name, predictions,
    genres, selection event)`` with a clicked cell, the tracks behind it; a caption inviting
    a click when no cell is."""
    picked = [(run, name, p, selected_cell(e, c)) for run, name, p, c, e in runs]
    picked = [item for item in picked if item[3] is not None]
    if not picked:
        st.caption("Click a cell of a matrix to list the tracks behind it.")
        return
    for run_id, name, predictions, (true, predicted) in picked:
        st.markdown(plain(f"{name}:"))
        _cell_table(f"{key}.{run_id}", predictions, true, predicted, st)


def named_predictions(predictions: pd.DataFrame, dataset: Dataset | None, run_dataset: str):
    """A stored run's predictions with the title and artist of each track, from ``dataset``
    when the run was trained on it (same name and row labels); as stored otherwise."""
    if dataset is None or dataset.name != run_dataset:
        return predictions
    roles = dataset.roles
    columns = track_columns(roles.text, roles.artist_column)
    return with_names(predictions, dataset.frame, columns)


def genre_mistakes_view(key: str, predictions: pd.DataFrame | None, per_genre: pd.DataFrame):
    """A genre to pick (the hardest by precision-recall area first) and its mistakes: its
    tracks given another genre and the tracks taken for it, surest mistakes first."""
    if predictions is None:
        return
    order = worst_genres(per_genre)
    score = "pr_auc" if "pr_auc" in per_genre.columns else "f1"
    scores = dict(zip(per_genre["genre"].astype(str), per_genre[score], strict=True))
    name = "PR-AUC" if score == "pr_auc" else "F1"
    if st.session_state.get(f"{key}.mistakes_genre") not in order:
        st.session_state[f"{key}.mistakes_genre"] = order[0]
    genre = st.selectbox(
        "Mistakes about a genre (the hardest first)",
        order,
        key=f"{key}.mistakes_genre",
        format_func=lambda g: f"{g} ({name} {scores[g]:.2f})",
        help="Its tracks the model gave another genre, and other genres' tracks it took for "
        "this one.",
    )
    table = genre_mistakes(predictions, genre)
    missed = int((table["mistake"] == "missed").sum())
    st.markdown(
        plain(
            f"{genre}: {missed:,} of its tracks missed, {len(table) - missed:,} other tracks "
            "taken for it."
        )
    )
    if not table.empty:
        _tracks_table(table, f"{key}.mistakes", st)
