"""Plotly figures of model evaluations: pure builders, numbers in, figure out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from genre_core.metrics.evaluation import Curve, row_normalised
from genre_core.plots.explore import genre_colors
from genre_core.plots.text import as_text, as_texts

_MARGINS = dict(l=10, r=10, t=40, b=10)


def confusion_figure(
    confusion: np.ndarray,
    labels: Sequence[str],
    normalised: bool = False,
    title: str = "Confusion matrix",
    selectable: bool = False,
) -> go.Figure:
    """A heatmap: rows are true genres, columns predicted ones; counts or row shares.

    ``selectable``: a click selects a cell. Heatmaps cannot be selected, so an invisible
    square marker sits on every cell (its ``customdata`` the cell's row and column in the
    order of ``labels``), outlined once selected; the axes do not pan or zoom."""
    labels = as_texts(labels)
    values = row_normalised(confusion) if normalised else np.asarray(confusion)
    text = [[f"{v:.0%}" if normalised else f"{int(v):,}" for v in row] for row in values]
    hover = "true %{y}<br>predicted %{x}<br>%{text}<extra></extra>"
    fig = go.Figure(
        go.Heatmap(
            z=values,
            x=labels,
            y=labels,
            text=text,
            texttemplate="%{text}",
            colorscale="Greens",
            zmin=0,
            zmax=1 if normalised else None,
            showscale=False,
            hovertemplate=None if selectable else hover,  # the cells' markers hover then
            hoverinfo="skip" if selectable else None,
        )
    )
    height = max(320, 60 + 38 * len(labels))
    fig.update_layout(
        title=as_text(title) + (" (share of each true genre)" if normalised else " (rows)"),
        xaxis_title="predicted genre",
        yaxis_title="true genre",
        margin=_MARGINS,
        yaxis_autorange="reversed",
        height=height,
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    if selectable:
        k = len(labels)
        rows, columns = np.divmod(np.arange(k * k), k)
        fig.add_trace(
            go.Scatter(
                x=[labels[c] for c in columns],
                y=[labels[r] for r in rows],
                mode="markers",
                marker=dict(
                    symbol="square-open",
                    size=min(40, max(12, (height - 110) / k - 6)),
                    color="#E4572E",
                    line=dict(width=3, color="#E4572E"),
                    opacity=0,
                ),
                selected=dict(marker=dict(opacity=1)),
                unselected=dict(marker=dict(opacity=0)),
                customdata=np.c_[rows, columns],
                text=[text[r][c] for r, c in zip(rows, columns, strict=True)],
                hovertemplate=hover,
                name="cells",
                showlegend=False,
            )
        )
        # every click lands on the nearest cell's marker, wherever in the cell it is
        fig.update_layout(hovermode="closest", hoverdistance=-1, clickmode="event+select")
        # the markers would pad the axes' ranges: keep them on the cells
        fig.update_xaxes(fixedrange=True, range=[-0.5, k - 0.5])
        fig.update_yaxes(fixedrange=True, range=[k - 0.5, -0.5], autorange=False)
    return fig


def _curves_figure(
    curves: Sequence[Curve], title: str, x_title: str, y_title: str, area_name: str, diagonal: bool
) -> go.Figure:
    colors = genre_colors(c.genre for c in curves)
    fig = go.Figure()
    for curve in curves:
        if len(curve.x) == 0:
            continue
        fig.add_trace(
            go.Scatter(
                x=curve.x,
                y=curve.y,
                mode="lines",
                line=dict(color=colors[curve.genre], width=2),
                name=f"{as_text(curve.genre)} ({area_name} {curve.area:.2f})",
            )
        )
    if diagonal:
        fig.add_trace(
            go.Scatter(
                x=[0, 1], y=[0, 1], mode="lines", name="chance", line=dict(color="#999", dash="dot")
            )
        )
    fig.update_layout(
        title=as_text(title),
        xaxis_title=x_title,
        yaxis_title=y_title,
        margin=_MARGINS,
        xaxis_range=[0, 1],
        yaxis_range=[0, 1.02],
        legend_title_text="genre",
    )
    return fig


def pr_curves_figure(
    curves: Sequence[Curve], title: str = "Precision-recall per genre"
) -> go.Figure:
    """One precision-recall line per genre, its PR-AUC (average precision) in the legend."""
    return _curves_figure(curves, title, "recall", "precision", "PR-AUC", diagonal=False)


def roc_curves_figure(
    curves: Sequence[Curve], title: str = "ROC per genre (one vs rest)"
) -> go.Figure:
    """One ROC line per genre, its area in the legend, and the chance diagonal."""
    return _curves_figure(
        curves, title, "false positive rate", "true positive rate", "AUC", diagonal=True
    )


def leaderboard_figure(
    table: pd.DataFrame, metric: str = "accuracy", baselines: dict[str, float] | None = None
) -> go.Figure:
    """Horizontal bars of ``metric`` per model with its 95% interval, best on top.

    ``table`` needs the columns ``run``, ``metric`` and ``<metric>_low``/``<metric>_high``;
    ``baselines`` (name to accuracy) are drawn as dotted vertical lines named in the legend.
    """
    data = table.sort_values(metric)
    fig = go.Figure(
        go.Bar(
            x=data[metric],
            y=as_texts(data["run"]),
            orientation="h",
            marker_color="#1DB954",
            error_x=dict(
                type="data",
                symmetric=False,
                array=data[f"{metric}_high"] - data[metric],
                arrayminus=data[metric] - data[f"{metric}_low"],
                color="#1F2A24",
            ),
            text=[f"{v:.1%}" for v in data[metric]],
            textposition="inside",
            insidetextanchor="start",
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
            name="model",
            showlegend=False,
        )
    )
    styles = ("dot", "dash", "dashdot")
    for i, (name, value) in enumerate((baselines or {}).items()):
        line = dict(color="#666", dash=styles[i % len(styles)])
        fig.add_vline(x=value, line=line)
        # the line itself cannot join the legend: an empty trace of the same style names it
        fig.add_trace(
            go.Scatter(
                x=[None], y=[None], mode="lines", line=line, name=f"{as_text(name)} {value:.1%}"
            )
        )
    label = metric.replace("_", " ")
    fig.update_layout(
        title=f"{label} per model (whiskers: 95% bootstrap interval)",
        xaxis_title=label,
        xaxis_range=[0, 1],
        margin=_MARGINS,
        height=max(260, 140 + 40 * len(data)),
        yaxis_title=None,
        legend=dict(orientation="h", yanchor="top", y=-0.25, x=0),
    )
    return fig
