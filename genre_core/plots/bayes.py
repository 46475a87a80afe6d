"""Plotly figures of Bayesian fits: pure builders, tables and arrays in, figure out.

Names from a user's file (features, genres) go through :func:`genre_core.plots.text.as_text`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from genre_core.plots.text import as_text

_MARGINS = dict(l=10, r=10, t=40, b=10)
_GREEN, _DARK, _GREY = "#1DB954", "#1F2A24", "#999"


def _lay_out(fig: go.Figure, title: str, height: int, **layout) -> go.Figure:
    """``fig`` with this module's title, margins and height (and any other ``layout``)."""
    fig.update_layout(title=title, margin=_MARGINS, height=height, **layout)
    return fig


def interval_bars(centre, low, high, **style) -> dict:
    """Plotly error bars reaching from ``low`` to ``high`` around ``centre``."""
    return dict(type="data", symmetric=False, array=high - centre, arrayminus=centre - low, **style)


def elbo_figure(
    losses: np.ndarray,
    steps: np.ndarray | None = None,
    title: str = "SVI loss (−ELBO per training row)",
) -> go.Figure:
    """The SVI loss at each step (``steps``: their numbers, 1, 2, … when None); it flattens
    when the fit has converged."""
    losses = np.asarray(losses, dtype=float)
    steps = np.arange(1, len(losses) + 1) if steps is None else np.asarray(steps)
    fig = go.Figure(
        go.Scatter(
            x=steps,
            y=losses,
            mode="lines",
            line=dict(color=_GREEN),
            hovertemplate="step %{x}: %{y:.4f}<extra></extra>",
        )
    )
    _lay_out(fig, as_text(title), 300, xaxis_title="step", yaxis_title="−ELBO / row")
    if len(losses) > 20:  # the first steps dwarf the rest; show from where the loss settles
        tail = losses[len(losses) // 10 :]
        spread = float(tail.max() - tail.min()) or 1.0
        fig.update_yaxes(range=[float(tail.min()) - 0.1 * spread, float(tail.max()) + 0.3 * spread])
    return fig


def forest_figure(table: pd.DataFrame, genre: str, point: np.ndarray | None = None) -> go.Figure:
    """A forest plot: each feature's coefficient for ``genre`` with its interval.

    ``table`` comes from :func:`genre_core.models.posterior.forest_table`; ``point`` (one value per
    feature, same order) adds the point-estimate logistic regression's coefficients.
    """
    order = np.argsort(table["mean"].to_numpy())
    rows = table.iloc[order]
    names = [as_text(f) for f in rows["feature"]]
    fig = go.Figure(
        go.Scatter(
            x=rows["mean"],
            y=names,
            mode="markers",
            name="posterior mean, 90% interval",
            marker=dict(color=_GREEN, size=9),
            error_x=interval_bars(rows["mean"], rows["low"], rows["high"], color=_DARK),
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
        )
    )
    if point is not None:
        fig.add_trace(
            go.Scatter(
                x=np.asarray(point)[order],
                y=names,
                mode="markers",
                name="point estimate (LR)",
                marker=dict(color="#E4572E", symbol="x", size=9),
                hovertemplate="%{y}: %{x:.3f}<extra>point estimate</extra>",
            )
        )
    fig.add_vline(x=0, line=dict(color=_GREY, dash="dot"))
    return _lay_out(
        fig,
        f"Coefficients for {as_text(genre)} (relative to the average genre)",
        max(320, 80 + 28 * len(rows)),
        xaxis_title="effect on the log-odds of this genre per standard deviation",
        legend=dict(orientation="h", y=-0.15),
    )


def relevance_figure(table: pd.DataFrame) -> go.Figure:
    """ARD relevances (σβ per feature) as bars with their intervals, most relevant on top."""
    rows = table.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=rows["relevance"],
            y=[as_text(f) for f in rows["feature"]],
            orientation="h",
            marker_color=_GREEN,
            error_x=interval_bars(rows["relevance"], rows["low"], rows["high"], color=_DARK),
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
        )
    )
    return _lay_out(
        fig,
        "ARD feature relevance (posterior σβ: median, 90% interval)",
        max(320, 80 + 28 * len(rows)),
        xaxis_title="σβ: how much the feature's coefficients differ between genres",
    )


def entropy_figure(entropy: np.ndarray, correct: np.ndarray, n_classes: int) -> go.Figure:
    """Histograms of predictive entropy for right and wrong predictions (0 to log K nats)."""
    top = float(np.log(n_classes))
    fig = go.Figure()
    for mask, name, color in ((correct, "right", _GREEN), (~correct, "wrong", "#E4572E")):
        fig.add_trace(
            go.Histogram(
                x=entropy[mask],
                name=f"{name} ({int(mask.sum()):,})",
                marker_color=color,
                opacity=0.7,
                xbins=dict(start=0, end=top, size=top / 30),
            )
        )
    return _lay_out(
        fig,
        "Predictive entropy of each test track",
        320,
        barmode="overlay",
        xaxis_title=f"entropy (nats; {top:.2f} = all genres equally likely)",
        yaxis_title="tracks",
    )


def comparison_scatter(posterior: np.ndarray, point: np.ndarray, features, classes) -> go.Figure:
    """Every (feature, genre) coefficient: posterior mean against the point estimate."""
    post, pt = np.asarray(posterior).ravel(), np.asarray(point).ravel()
    labels = [f"{as_text(f)} / {as_text(c)}" for f in features for c in classes]
    low, high = float(min(post.min(), pt.min())), float(max(post.max(), pt.max()))
    fig = go.Figure(
        go.Scatter(
            x=pt,
            y=post,
            mode="markers",
            text=labels,
            marker=dict(color=_GREEN, size=6, opacity=0.7),
            hovertemplate="%{text}<br>LR %{x:.3f}, posterior %{y:.3f}<extra></extra>",
            name="coefficient",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[low, high],
            y=[low, high],
            mode="lines",
            name="equal",
            line=dict(color=_GREY, dash="dot"),
        )
    )
    return _lay_out(
        fig,
        "Coefficients: posterior mean against point estimate",
        360,
        xaxis_title="point-estimate logistic regression",
        yaxis_title="posterior mean",
        showlegend=False,
    )


def size_curve_figure(table: pd.DataFrame) -> go.Figure:
    """Test accuracy against training-set size, one line per method (log x axis).

    ``table`` has the columns ``method``, ``n_train``, ``accuracy`` (and optionally
    ``accuracy_low``/``accuracy_high`` for error bars).
    """
    fig = go.Figure()
    colors = [_GREEN, "#E4572E", "#3A86FF", "#8338EC"]
    for i, (method, rows) in enumerate(table.groupby("method", sort=False)):
        rows = rows.sort_values("n_train")
        error = None
        if "accuracy_low" in rows:
            error = interval_bars(rows["accuracy"], rows["accuracy_low"], rows["accuracy_high"])
        fig.add_trace(
            go.Scatter(
                x=rows["n_train"],
                y=rows["accuracy"],
                mode="lines+markers",
                name=as_text(method),
                error_y=error,
                line=dict(color=colors[i % len(colors)]),
            )
        )
    return _lay_out(
        fig,
        "Test accuracy against training-set size",
        360,
        xaxis_type="log",
        xaxis_title="training rows",
        yaxis_title="test accuracy",
        yaxis_tickformat=".0%",
    )


def prior_figure(accuracies: np.ndarray, chance: float) -> go.Figure:
    """Accuracy of each prior draw (ancestral sampling) against the chance level."""
    fig = go.Figure(go.Histogram(x=accuracies, marker_color=_GREEN, nbinsx=25, name="prior draws"))
    fig.add_vline(
        x=chance, line=dict(color=_DARK, dash="dot"), annotation_text=f"chance {chance:.0%}"
    )
    return _lay_out(
        fig,
        "Accuracy of models drawn from the prior",
        300,
        xaxis_tickformat=".0%",
        xaxis_title="accuracy of one prior draw",
        yaxis_title="draws",
    )
