"""A leaderboard of trained models: one row per run, its scores with their 95% intervals.

Pure tables (no plotting): :func:`leaderboard` holds the numbers (what
:func:`genre_core.plots.models.leaderboard_figure` draws), :func:`leaderboard_text` the same
rows as a reader sees them, ranked. Two runs of one model on different data, splits or feature
sets get names that say so (:func:`entry_names`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from genre_core.metrics.evaluation import Evaluation

COLUMNS = (
    "run",
    "dataset",
    "split",
    "features",
    "genres",
    "accuracy",
    "accuracy_low",
    "accuracy_high",
    "f1_macro",
    "f1_macro_low",
    "f1_macro_high",
    "balanced_accuracy",
    "log_loss",
    "ece",
    "gap",
    "cv_accuracy",
    "fit_seconds",
)


@dataclass(frozen=True)
class Entry:
    """One run on the board: its name, data, split (in words), evaluation, fit time,
    cross-validation summary (``accuracy_mean`` and ``accuracy_std``, or ``None``) and feature
    set (``""``: not said)."""

    run: str
    dataset: str
    split: str
    evaluation: Evaluation
    fit_seconds: float
    cv: Mapping | None = None
    features: str = ""


def entry_names(entries: Sequence[Entry]) -> list[str]:
    """Each entry's name followed by what sets the entries apart, when they differ in it: the
    dataset, the split, the feature set, the number of genres, e.g. ``"#2 xgboost (defaults) ·
    grouped by track_artist 80/0/20"`` beside ``"#3 xgboost (defaults) · stratified 70/0/30"``.
    """
    facets = [
        (e.dataset, e.split, e.features, f"{len(e.evaluation.classes)} genres") for e in entries
    ]
    differing = [i for i in range(4) if len({f[i] for f in facets}) > 1]
    return [
        " · ".join([e.run, *(f[i] for i in differing if f[i] and f[i] not in e.run)])
        for e, f in zip(entries, facets, strict=True)
    ]


def leaderboard(entries: Iterable[Entry]) -> pd.DataFrame:
    """The runs' numbers, one row each, in the order given (columns :data:`COLUMNS`; ``run``
    named by :func:`entry_names`)."""
    entries = list(entries)
    rows = []
    for e, name in zip(entries, entry_names(entries), strict=True):
        ev = e.evaluation
        row = {"run": name, "dataset": e.dataset, "split": e.split, "features": e.features}
        row["genres"] = len(ev.classes)
        for name in ("accuracy", "f1_macro"):
            row[name] = ev.metrics[name]
            row[f"{name}_low"], row[f"{name}_high"] = ev.intervals[name]
        row |= {
            "balanced_accuracy": ev.metrics["balanced_accuracy"],
            "log_loss": ev.metrics["log_loss"],
            "ece": ev.metrics.get("ece", float("nan")),
            "gap": ev.gap,
            "cv_accuracy": (
                f"{e.cv['accuracy_mean']:.3f} ± {e.cv['accuracy_std']:.3f}" if e.cv else ""
            ),
            "fit_seconds": e.fit_seconds,
        }
        rows.append(row)
    return pd.DataFrame(rows, columns=list(COLUMNS))


def leaderboard_text(board: pd.DataFrame, metric: str = "accuracy") -> pd.DataFrame:
    """``board`` as text a reader compares, best ``metric`` first: the split, feature set
    (``—`` when not said) and data, scores with their interval (``0.512 [0.481, 0.540]``), the
    train − held-out gap, cross-validation, fit time."""

    def with_interval(name: str) -> pd.Series:
        return board.apply(
            lambda r: f"{r[name]:.3f} [{r[name + '_low']:.3f}, {r[name + '_high']:.3f}]", axis=1
        )

    if board.empty:
        return pd.DataFrame()
    shown = pd.DataFrame(
        {
            "run": board["run"],
            "split": board["split"],
            "features": board["features"].replace("", "—"),
            "data": board["dataset"] + ", " + board["genres"].astype(str) + " genres",
            "accuracy [95% CI]": with_interval("accuracy"),
            "macro F1 [95% CI]": with_interval("f1_macro"),
            "balanced accuracy": board["balanced_accuracy"].map(lambda v: f"{v:.3f}"),
            "log loss": board["log_loss"].map(lambda v: f"{v:.3f}"),
            "calibration error": board["ece"].map(lambda v: "–" if pd.isna(v) else f"{v:.1%}"),
            "train − held-out": board["gap"].map(lambda g: "–" if pd.isna(g) else f"{g:+.3f}"),
            "CV accuracy (mean ± std)": board["cv_accuracy"],
            "fit s": board["fit_seconds"].map(lambda v: f"{v:.1f}"),
        }
    )
    order = np.argsort(-board[metric].to_numpy(dtype=float), kind="stable")
    return shown.iloc[order]


__all__ = ["COLUMNS", "Entry", "entry_names", "leaderboard", "leaderboard_text"]
