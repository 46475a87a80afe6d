"""A leaderboard of trained models: one row per run, its scores with their 95% intervals.

Pure tables (no plotting): :func:`leaderboard` holds the numbers (what
:func:`genre_core.plots.models.leaderboard_figure` draws), :func:`leaderboard_text` the same
rows as a reader sees them, ranked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from genre_core.metrics.evaluation import Evaluation

COLUMNS = (
    "run",
    "dataset",
    "split",
    "genres",
    "accuracy",
    "accuracy_low",
    "accuracy_high",
    "f1_macro",
    "f1_macro_low",
    "f1_macro_high",
    "balanced_accuracy",
    "log_loss",
    "gap",
    "cv_accuracy",
    "fit_seconds",
)


@dataclass(frozen=True)
class Entry:
    """One run on the board: its name, data, evaluation, fit time and cross-validation
    summary (``accuracy_mean`` and ``accuracy_std``, or ``None``)."""

    run: str
    dataset: str
    split: str
    evaluation: Evaluation
    fit_seconds: float
    cv: Mapping | None = None


def leaderboard(entries: Iterable[Entry]) -> pd.DataFrame:
    """The runs' numbers, one row each, in the order given (columns :data:`COLUMNS`)."""
    rows = []
    for e in entries:
        ev = e.evaluation
        row = {"run": e.run, "dataset": e.dataset, "split": e.split, "genres": len(ev.classes)}
        for name in ("accuracy", "f1_macro"):
            row[name] = ev.metrics[name]
            row[f"{name}_low"], row[f"{name}_high"] = ev.intervals[name]
        row |= {
            "balanced_accuracy": ev.metrics["balanced_accuracy"],
            "log_loss": ev.metrics["log_loss"],
            "gap": ev.gap,
            "cv_accuracy": (
                f"{e.cv['accuracy_mean']:.3f} ± {e.cv['accuracy_std']:.3f}" if e.cv else ""
            ),
            "fit_seconds": e.fit_seconds,
        }
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def leaderboard_text(board: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """``board`` as text a reader compares, best ``metric`` first: scores with their interval
    (``0.512 [0.481, 0.540]``), the train − held-out gap, cross-validation, fit time."""

    def with_interval(name: str) -> pd.Series:
        return board.apply(
            lambda r: f"{r[name]:.3f} [{r[name + '_low']:.3f}, {r[name + '_high']:.3f}]", axis=1
        )

    if board.empty:
        return pd.DataFrame()
    shown = pd.DataFrame(
        {
            "run": board["run"],
            "data": board["dataset"]
            + ", "
            + board["split"]
            + ", "
            + board["genres"].astype(str)
            + " genres",
            "accuracy [95% CI]": with_interval("accuracy"),
            "macro F1 [95% CI]": with_interval("f1_macro"),
            "balanced accuracy": board["balanced_accuracy"].map(lambda v: f"{v:.3f}"),
            "log loss": board["log_loss"].map(lambda v: f"{v:.3f}"),
            "train − held-out": board["gap"].map(lambda g: "–" if pd.isna(g) else f"{g:+.3f}"),
            "CV accuracy (mean ± std)": board["cv_accuracy"],
            "fit s": board["fit_seconds"].map(lambda v: f"{v:.1f}"),
        }
    )
    order = np.argsort(-board[metric].to_numpy(dtype=float), kind="stable")
    return shown.iloc[order]


__all__ = ["COLUMNS", "Entry", "leaderboard", "leaderboard_text"]
