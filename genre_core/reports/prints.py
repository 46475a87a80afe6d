"""Print figures: static, publication-style seaborn figures as PNG or PDF bytes.

The interactive figures are plotly (:mod:`genre_core.plots`); these are for a paper or a
handout: the confusion heatmap, the genre-confusion clustermap behind the merge suggestions
(:func:`genre_core.data.merging.confusion_clusters`) and a pairplot of features by genre.

Matplotlib runs on its non-interactive Agg backend, one figure at a time (pyplot is not
thread-safe and the dashboard serves sessions from threads), and every figure is closed once
written. Text from a user's file is passed through :func:`print_text`, so a ``$`` never starts
matplotlib's math mode.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

from genre_core.data.merging import confusion_clusters
from genre_core.errors import DataError
from genre_core.metrics.evaluation import row_normalised
from genre_core.plots.explore import genre_colors

FORMATS = ("png", "pdf")
DPI = 200
MAX_PAIR_FEATURES = 6
PAIR_ROWS = 2000  # a pairplot of more points is a grey smear and slow to draw
ANNOTATE_UP_TO = 14  # genres; beyond that the numbers in the cells are unreadable
_LOCK = threading.Lock()


def print_text(value: object) -> str:
    """``value`` as matplotlib draws it literally: ``$`` escaped (no math mode)."""
    return str(value).replace("$", r"\$")


@contextmanager
def _figures():
    """pyplot and seaborn on the Agg backend, in a paper style, one caller at a time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    with _LOCK, sns.axes_style("white"), sns.plotting_context("paper"):
        yield plt, sns


def _save(plt, fig, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise DataError(f"print figures are {' or '.join(FORMATS)}, not '{fmt}'.")
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format=fmt, dpi=DPI, bbox_inches="tight", metadata=_metadata(fmt))
    finally:
        plt.close(fig)
    return buffer.getvalue()


def _metadata(fmt: str) -> dict:
    # PDF's default CreationDate makes every file differ; a fixed one makes them reproducible.
    return {"CreationDate": None} if fmt == "pdf" else {}


def _percent():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)


def _matplotlib_color(color: str):
    """A plotly colour (``"rgb(136, 204, 238)"`` or ``"#1DB954"``) as matplotlib takes it."""
    if color.startswith("rgb"):
        from plotly.colors import unlabel_rgb

        return tuple(v / 255 for v in unlabel_rgb(color))
    return color


def _size(n: int, per: float = 0.55, least: float = 4.0) -> float:
    return max(least, 1.6 + per * n)


def confusion_heatmap(
    confusion: np.ndarray,
    classes: Sequence[str],
    *,
    title: str = "Confusion matrix",
    normalised: bool = True,
    fmt: str = "png",
) -> bytes:
    """The confusion matrix as a seaborn heatmap (rows: true genre, columns: predicted);
    cells are shares of each true genre (``normalised``) or counts.

    Raises
    ------
    DataError
        For a matrix that is not square over ``classes``.
    """
    counts = np.asarray(confusion, dtype=float)
    if counts.shape != (len(classes), len(classes)) or not len(classes):
        raise DataError("a confusion heatmap needs a square matrix over the genres.")
    values = row_normalised(counts) if normalised else counts
    labels = [print_text(c) for c in classes]
    table = pd.DataFrame(values, index=labels, columns=labels)
    n = len(classes)
    with _figures() as (plt, sns):
        fig, ax = plt.subplots(figsize=(_size(n) + 1, _size(n)))
        sns.heatmap(
            table,
            ax=ax,
            cmap="Greens",
            vmin=0,
            vmax=1 if normalised else None,
            annot=n <= ANNOTATE_UP_TO,
            fmt=".0%" if normalised else ",.0f",
            square=True,
            linewidths=0.5,
            linecolor="white",
            cbar_kws={
                "label": "share of the true genre" if normalised else "rows",
                "shrink": 0.7,
                **({"format": _percent()} if normalised else {}),
            },
        )
        ax.set_xlabel("predicted genre")
        ax.set_ylabel("true genre")
        ax.set_title(print_text(title))
        ax.tick_params(axis="x", labelrotation=45)
        plt.setp(ax.get_xticklabels(), ha="right", rotation_mode="anchor")
        ax.tick_params(axis="y", labelrotation=0)
        return _save(plt, fig, fmt)


def confusion_clustermap(
    confusion: np.ndarray,
    classes: Sequence[str],
    *,
    title: str = "Genres taken for each other",
    fmt: str = "png",
) -> bytes:
    """The genre-confusion clustermap: how often two genres are taken for each other
    (``(C + Cᵀ) / 2`` of the row-normalised confusion matrix), ordered by the average-linkage
    tree the merge suggestions come from; the genres that join lowest merge first.

    Raises
    ------
    DataError
        For fewer than two genres or a matrix that is not square over them.
    """
    similarity, tree = confusion_clusters(confusion, classes)
    labels = [print_text(c) for c in classes]
    table = pd.DataFrame(similarity, index=labels, columns=labels)
    n = len(classes)
    side = _size(n, 0.5, 5.0)
    mask = np.eye(n, dtype=bool)  # a genre against itself is not a confusion
    with _figures() as (plt, sns):
        grid = sns.clustermap(
            table,
            row_linkage=tree,
            col_linkage=tree,
            mask=mask,
            cmap="rocket_r",
            vmin=0,
            annot=n <= ANNOTATE_UP_TO,
            fmt=".0%",
            linewidths=0.5,
            linecolor="white",
            figsize=(side + 1.5, side + 1.5),
            dendrogram_ratio=0.15,
            cbar_pos=(0.02, 0.83, 0.03, 0.14),
            cbar_kws={"format": _percent()},
        )
        grid.ax_heatmap.set_xlabel("")
        grid.ax_heatmap.set_ylabel("")
        plt.setp(grid.ax_heatmap.get_xticklabels(), rotation=45, ha="right")
        plt.setp(grid.ax_heatmap.get_yticklabels(), rotation=0)
        grid.figure.suptitle(print_text(title), y=1.02)
        return _save(plt, grid.figure, fmt)


def pair_sample(
    frame: pd.DataFrame, label: str, rows: int = PAIR_ROWS, seed: int = 0
) -> pd.DataFrame:
    """At most ``rows`` rows of ``frame``, the same share of each genre, drawn with ``seed``."""
    if len(frame) <= rows:
        return frame
    share = rows / len(frame)
    return frame.groupby(label, group_keys=False, sort=False).sample(frac=share, random_state=seed)


def pairplot(
    frame: pd.DataFrame,
    features: Sequence[str],
    label: str,
    *,
    rows: int = PAIR_ROWS,
    seed: int = 0,
    fmt: str = "png",
) -> bytes:
    """A pairplot of ``features`` coloured by genre: scatter plots below the diagonal, each
    genre's density on it; on a seeded sample of at most ``rows`` rows (:func:`pair_sample`).

    Raises
    ------
    DataError
        For fewer than two or more than :data:`MAX_PAIR_FEATURES` features, or no rows.
    """
    features = list(dict.fromkeys(features))
    if not 2 <= len(features) <= MAX_PAIR_FEATURES:
        raise DataError(f"a pairplot needs 2 to {MAX_PAIR_FEATURES} features, not {len(features)}.")
    data = pair_sample(frame[[*features, label]].dropna(), label, rows, seed)
    if data.empty:
        raise DataError("no row has a value for every chosen feature.")
    names = {c: print_text(c) for c in (*features, label)}
    data = data.rename(columns=names)
    hue = names[label]
    colors = genre_colors(data[hue].unique())  # each genre painted as in the plotly charts
    palette = {print_text(g): _matplotlib_color(c) for g, c in colors.items()}
    data[hue] = data[hue].map(print_text)
    order = [print_text(g) for g in colors]
    with _figures() as (plt, sns):
        grid = sns.pairplot(
            data,
            vars=[names[f] for f in features],
            hue=hue,
            hue_order=order,
            palette=palette,
            corner=True,
            diag_kind="kde",
            diag_kws={"common_norm": False, "warn_singular": False},
            plot_kws={"s": 7, "alpha": 0.45, "linewidth": 0},
            height=2.1,
        )
        grid.figure.suptitle(f"{len(features)} features by genre ({len(data):,} tracks)", y=1.02)
        return _save(plt, grid.figure, fmt)
