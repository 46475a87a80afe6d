"""Plotly figures of a hyperparameter study: pure builders, a trials table in, a figure out.

The table is :func:`genre_core.experiments.search.trials_table`'s (or the same rows gathered from a
running
study's events): ``number``, ``state``, ``value``, ``acc_val``, ``acc_train``, ``delta``,
``epochs`` and one ``param_*`` column per hyperparameter.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from genre_core.plots.text import as_text

DONE, PRUNED, FAILED, BEST = "#1DB954", "#ADB5BD", "#E4572E", "#D62828"


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=as_text(x),
        yaxis_title=as_text(y),
        template="plotly_white",
        height=height,
        margin=dict(l=60, r=20, t=60, b=50),
        legend=dict(orientation="h", y=-0.2),
    )
    return fig


def _short(value: object) -> str:
    """A hyperparameter's value for a label: numbers to 4 significant digits, text escaped."""
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return as_text(value)


def _param_text(row: pd.Series) -> str:
    return "<br>".join(
        f"{as_text(k[6:])} = {_short(row[k])}"
        for k in row.index
        if k.startswith("param_") and pd.notna(row[k])
    )


def best_so_far_figure(table: pd.DataFrame, objective: str = "value") -> go.Figure:
    """Every trial's value by trial number (pruned ones grey at their last reported value are
    not drawn: they have none) and the best value so far as a step line."""
    fig = go.Figure()
    if table.empty or "value" not in table:
        return _layout(fig, "No trial has finished yet", "trial", objective)
    table = table.sort_values("number")
    done = table[table["state"] == "complete"]
    fig.add_trace(
        go.Scatter(
            x=done["number"],
            y=done["value"],
            mode="markers",
            marker=dict(color=DONE, size=7),
            name="completed trial",
            text=[_param_text(r) for _, r in done.iterrows()],
            hovertemplate="trial %{x}: %{y:.4f}<br>%{text}<extra></extra>",
        )
    )
    pruned = table[table["state"] == "pruned"]
    if len(pruned):
        floor = float(done["value"].min()) if len(done) else 0.0
        fig.add_trace(
            go.Scatter(
                x=pruned["number"],
                y=[floor] * len(pruned),
                mode="markers",
                marker=dict(color=PRUNED, size=6, symbol="x"),
                name="pruned (drawn at the lowest value)",
                hovertemplate="trial %{x}: pruned<extra></extra>",
            )
        )
    if len(done):
        best = table["value"].where(table["state"] == "complete").cummax().ffill()
        fig.add_trace(
            go.Scatter(
                x=table["number"],
                y=best,
                mode="lines",
                line=dict(color=BEST, width=2, shape="hv"),
                name="best so far",
            )
        )
    fig = _layout(fig, "Trials and the best so far", "trial", objective)
    fig.update_xaxes(tickformat="d", rangemode="tozero")
    return fig


def genre_factor_figure(table: pd.DataFrame, weights: tuple[float, float] = (0.5, 1.0)):
    """ "The Genre Factor", Fig. 3: training accuracy against Δaccuracy (training − validation)
    for every completed trial, coloured by the score ½·(w1·(1−Δ) + w2·acc_val); the best red."""
    fig = go.Figure()
    done = table[(table.get("state") == "complete")] if not table.empty else table
    done = done.dropna(subset=["acc_train", "delta"]) if len(done) else done
    if done.empty:
        return _layout(fig, "No completed trial yet", "Δ accuracy", "training accuracy")
    w1, w2 = weights
    scores = 0.5 * (w1 * (1 - done["delta"]) + w2 * done["acc_val"])
    fig.add_trace(
        go.Scatter(
            x=done["delta"],
            y=done["acc_train"],
            mode="markers",
            marker=dict(
                color=scores,
                colorscale="Viridis",
                size=8,
                colorbar=dict(title="score"),
                line=dict(width=0.5, color="white"),
            ),
            name="trial",
            text=[
                f"trial {int(r.number)}: validation {r.acc_val:.3f}, score {s:.4f}"
                for r, s in zip(done.itertuples(), scores, strict=True)
            ],
            hovertemplate="Δ %{x:.3f}, training %{y:.3f}<br>%{text}<extra></extra>",
        )
    )
    best = done.loc[scores.idxmax()]
    fig.add_trace(
        go.Scatter(
            x=[best["delta"]],
            y=[best["acc_train"]],
            mode="markers",
            marker=dict(color=BEST, size=16, symbol="star", line=dict(width=1, color="black")),
            name=f"best score (trial {int(best['number'])})",
        )
    )
    return _layout(
        fig,
        f"Training accuracy against Δ accuracy (w1 = {w1:g}, w2 = {w2:g})",
        "Δ accuracy (training − validation)",
        "training accuracy",
        height=420,
    )


def parallel_figure(table: pd.DataFrame, objective: str = "value") -> go.Figure:
    """Parallel coordinates of the completed trials: one axis per hyperparameter, then the value.

    Choices become evenly spaced ticks labelled with their values; a numeric range spanning
    more than two decades is drawn on a log10 axis whose ticks read as the values themselves
    (0.01, 0.1, 1); numbers are shown to 4 significant digits.
    """
    done = table[table["state"] == "complete"] if not table.empty else table
    params = [c for c in table.columns if c.startswith("param_")]
    if done.empty or not params:
        return _layout(go.Figure(), "No completed trial yet", "", "")
    dims = []
    for column in params:
        values = done[column]
        name = as_text(column[6:])
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.nunique() > 6:
            dims.append(_numeric_dimension(name, values.astype(float)))
        else:
            text = values.map(lambda v: "none" if v is None or v != v else _short(v))
            labels = sorted(text.unique(), key=_natural)
            codes = text.map({v: i for i, v in enumerate(labels)}).astype(float)
            dims.append(
                dict(
                    label=name,
                    values=codes,
                    tickvals=list(range(len(labels))),
                    ticktext=labels,
                    range=[-0.2, max(len(labels) - 1, 0) + 0.2],
                )
            )
    dims.append(_numeric_dimension(as_text(objective), done["value"].astype(float)))
    fig = go.Figure(
        go.Parcoords(
            line=dict(
                color=done["value"],
                colorscale="Viridis",
                showscale=True,
                colorbar=dict(title=as_text(objective), tickformat=".4~g"),
            ),
            dimensions=dims,
            labelangle=0,
        )
    )
    # wide margins: plotly puts the first and last axes' tick labels outside the plot area
    fig.update_layout(template="plotly_white", height=440, margin=dict(l=110, r=90, t=100, b=40))
    fig.update_layout(title="Hyperparameters of the completed trials")
    return fig


def _numeric_dimension(name: str, values: pd.Series) -> dict:
    """A parcoords axis for numbers: whole numbers as integers, others to 4 significant digits;
    positive values spanning more than two decades as log10 with ticks at the powers of ten."""
    low, high = float(values.min()), float(values.max())
    if low > 0 and high / low > 100:
        powers = np.arange(np.ceil(np.log10(low)), np.floor(np.log10(high)) + 1)
        return dict(
            label=f"{name} (log scale)",
            values=np.log10(values),
            range=[np.log10(low), np.log10(high)],
            tickvals=list(powers),
            ticktext=[f"{10**p:g}" for p in powers],
        )
    whole = bool(np.all(values == np.round(values)))
    return dict(label=name, values=values, tickformat="d" if whole else ".4~g")


def _natural(text: str):
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def importance_figure(importances: Mapping[str, float]) -> go.Figure:
    """A horizontal bar per hyperparameter: its share of the objective's variance (fANOVA)."""
    items = sorted(importances.items(), key=lambda kv: kv[1])
    fig = go.Figure(
        go.Bar(
            x=[v for _, v in items],
            y=[as_text(k) for k, _ in items],
            orientation="h",
            marker_color=DONE,
            text=[f"{v:.0%}" for _, v in items],
            textposition="outside",
            cliponaxis=False,
        )
    )
    return _layout(
        fig,
        "Which hyperparameters matter (fANOVA importance)",
        "share of the objective's variance",
        "",
        height=max(260, 60 + 40 * len(items)),
    )
