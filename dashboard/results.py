"""Drawing an evaluation and a leaderboard: the result views any training page reuses.

Everything here takes engine objects (an :class:`~genre_core.metrics.evaluation.Evaluation`,
leaderboard entries) and draws them with the pure figure builders of :mod:`genre_core.plots`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.calibration_view import calibration_view
from dashboard.cell_tracks import cell_tracks_view, genre_mistakes_view
from dashboard.charts import chart
from genre_core.metrics.evaluation import Curve, Evaluation
from genre_core.metrics.leaderboard import Entry, leaderboard, leaderboard_text
from genre_core.plots import models as model_plots


def curves_table(curves: Sequence[Curve], x: str, y: str) -> pd.DataFrame:
    """Per-genre curves as one long table: genre, ``x``, ``y`` (a chart's CSV)."""
    parts = [pd.DataFrame({"genre": c.genre, x: c.x, y: c.y}) for c in curves if len(c.x)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["genre", x, y])


def confusion_table(confusion, classes: Sequence[str]) -> pd.DataFrame:
    """The confusion counts with the true genre as the first column (a chart's CSV)."""
    table = pd.DataFrame(confusion, index=list(classes), columns=list(classes))
    return table.rename_axis("true genre").reset_index()


def _interval(ev: Evaluation, name: str) -> str:
    low, high = ev.intervals[name]
    return f"95% CI {low:.1%} – {high:.1%}"


def metric_row(ev: Evaluation) -> None:
    """Accuracy and macro-F1 with their intervals, balanced and top-2 accuracy, log loss and
    the train − held-out gap."""
    m = ev.metrics
    cols = st.columns(6)
    cols[0].metric("Accuracy", f"{m['accuracy']:.1%}", help=_interval(ev, "accuracy"))
    cols[0].caption(_interval(ev, "accuracy"))
    cols[1].metric("Macro F1", f"{m['f1_macro']:.1%}", help=_interval(ev, "f1_macro"))
    cols[1].caption(_interval(ev, "f1_macro"))
    cols[2].metric("Balanced accuracy", f"{m['balanced_accuracy']:.1%}")
    cols[3].metric("Top-2 accuracy", f"{m['top2_accuracy']:.1%}")
    cols[4].metric("Log loss", f"{m['log_loss']:.3f}")
    if ev.train_accuracy is not None:
        held = "validation" if ev.validation_accuracy is not None else "test"
        held_accuracy = ev.train_accuracy - ev.gap
        cols[5].metric(
            "Train − " + held,
            f"{ev.gap:+.1%}",
            help=f"The final model re-evaluated on its training rows ({ev.train_accuracy:.1%}) "
            f"and on the {held} rows ({held_accuracy:.1%}); large gaps mean overfitting.",
        )
        cols[5].caption(
            f"train {ev.train_accuracy:.1%}, {held} {held_accuracy:.1%} (re-evaluated at the end)"
        )


def evaluation_view(
    key: str, ev: Evaluation, name: str = "", cv: Mapping[str, Any] | None = None
) -> None:
    """The whole evaluation of one model: metrics, averages, guessing baselines, confusion
    matrix (a click on a cell lists its tracks), precision-recall and ROC curves with the
    mistakes about one genre, calibration, and the per-genre table. ``key`` prefixes the
    widget keys; ``name`` (the run shown) keeps each run's charts apart; ``cv`` a
    cross-validation summary (``CVResult.summary()``) to state beside the test scores."""
    m = ev.metrics
    metric_row(ev)
    if cv:
        grouped = "grouped " if cv["grouped"] else ""
        st.caption(
            f"{cv['folds']}-fold {grouped}cross-validation: accuracy {cv['accuracy_mean']:.1%} ± "
            f"{cv['accuracy_std']:.1%}, macro F1 {cv['f1_macro_mean']:.1%} ± "
            f"{cv['f1_macro_std']:.1%} (mean ± std over folds)."
        )
    details = pd.DataFrame(
        {
            "metric": ["precision", "recall", "F1", "F2"],
            "macro": [f"{m[f'{k}_macro']:.3f}" for k in ("precision", "recall", "f1", "f2")],
            "weighted": [f"{m[f'{k}_weighted']:.3f}" for k in ("precision", "recall", "f1")]
            + ["–"],
        }
    )
    left, right = st.columns(2)
    left.dataframe(details, hide_index=True, key=f"{key}.details")
    guess = pd.DataFrame(
        {
            "approach": [
                "this model",
                "random guess",
                "guess by genre shares",
                "always the majority genre",
            ],
            "accuracy": [m["accuracy"]]
            + [ev.baselines.get(k) for k in ("random", "stratified", "majority")],
        }
    )
    right.dataframe(
        guess.style.format("{:.1%}", subset=["accuracy"]), hide_index=True, key=f"{key}.guess"
    )
    normalised = st.toggle("Confusion matrix as shares of each true genre", key=f"{key}.cm_share")
    selectable = ev.predictions is not None
    event = chart(
        model_plots.confusion_figure(ev.confusion, ev.classes, normalised, selectable=selectable),
        confusion_table(ev.confusion, ev.classes),
        f"{key}.confusion.{name}.{normalised}",
        f"{key}-confusion",
        select=selectable,
    )
    st.caption(
        "Reading: the diagonal holds correct predictions; the darker a cell, the more tracks it "
        "holds, so a dark cell off the diagonal is a pair of genres the model confuses (row: "
        "the true genre, column: what it said)."
    )
    cell_tracks_view(f"{key}.cell", ev.predictions, ev.classes, event)
    curves = (
        (
            model_plots.pr_curves_figure(ev.pr_curves),
            curves_table(ev.pr_curves, "recall", "precision"),
            "pr",
            "precision-recall",
            "Reading: the higher and further right a genre's curve, the better it is found; "
            "PR-AUC near the genre's share of rows means no better than chance.",
        ),
        (
            model_plots.roc_curves_figure(ev.roc_curves),
            curves_table(ev.roc_curves, "false_positive_rate", "true_positive_rate"),
            "roc",
            "roc",
            "Reading: curves hugging the top-left corner separate a genre well; the dotted "
            "diagonal is chance (AUC 0.5).",
        ),
    )
    for column, (figure, table, short, long, reading) in zip(st.columns(2), curves, strict=True):
        chart(figure, table, f"{key}.{short}.{name}", f"{key}-{long}", column)
        column.caption(reading)
    genre_mistakes_view(key, ev.predictions, ev.per_genre)
    calibration_view(key, ev, name)
    st.dataframe(
        ev.per_genre.style.format(
            {c: "{:.3f}" for c in ev.per_genre.columns if c not in ("genre", "support")}
        ),
        hide_index=True,
        key=f"{key}.per_genre",
    )
    st.caption(
        "Reading: precision is how often a predicted genre is right, recall how much of a "
        "genre is found; a small support makes both noisy."
    )


def leaderboard_view(key: str, entries: Sequence[Entry], same_test: bool) -> None:
    """Bars of the runs' accuracy or macro-F1 with their intervals, and the ranked table.
    ``same_test``: the runs share one test set, so the guessing baselines are drawn."""
    board = leaderboard(entries)
    metric = st.radio(
        "Rank by", ["accuracy", "f1_macro"], key=f"{key}.board_metric", horizontal=True
    )
    baselines = None
    if same_test and entries:
        base = entries[-1].evaluation.baselines
        baselines = {"random": base["random"], "majority": base["majority"]}
    chart(
        model_plots.leaderboard_figure(board, metric, baselines),
        board,
        f"{key}.board.{metric}.{len(board)}",
        f"{key}-leaderboard-{metric}",
    )
    st.caption(
        "Reading: bars whose whiskers overlap are not clearly different; the broken lines are "
        "guessing" + ("." if same_test else " (hidden: the runs use different test sets).")
    )
    st.dataframe(leaderboard_text(board, metric), hide_index=True, key=f"{key}.board_table")
