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

DONE, PRUNED, FAILED, BEST = "#1DB954", "#ADB5BD", "#E4572E", "#D62828"


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 380) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x,
        yaxis_title=y,
        template="plotly_white",
        height=height,
        margin=dict(l=60, r=20, t=60, b=50),
        legend=dict(orientation="h", y=-0.2),
    )
    return fig


def _param_text(row: pd.Series) -> str:
    return "<br>".join(
        f"{k[6:]} = {row[k]}" for k in row.index if k.startswith("param_") and pd.notna(row[k])
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

    Choices become evenly spaced ticks labelled with their values.
    """
    done = table[table["state"] == "complete"] if not table.empty else table
    params = [c for c in table.columns if c.startswith("param_")]
    if done.empty or not params:
        return _layout(go.Figure(), "No completed trial yet", "", "")
    dims = []
    for column in params:
        values = done[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.nunique() > 6:
            log = values.min() > 0 and values.max() / values.min() > 100
            dims.append(
                dict(
                    label=column[6:] + (" (log10)" if log else ""),
                    values=np.log10(values) if log else values,
                )
            )
        else:
            text = values.map(lambda v: "none" if v is None or v != v else str(v)).astype(object)
            labels = sorted(text.unique(), key=_natural)
            codes = text.map({v: i for i, v in enumerate(labels)}).astype(float)
            dims.append(
                dict(
                    label=column[6:],
                    values=codes,
                    tickvals=list(range(len(labels))),
                    ticktext=labels,
                    range=[-0.2, max(len(labels) - 1, 0) + 0.2],
                )
            )
    dims.append(dict(label=objective, values=done["value"]))
    fig = go.Figure(
        go.Parcoords(
            line=dict(color=done["value"], colorscale="Viridis", showscale=True),
            dimensions=dims,
        )
    )
    fig.update_layout(template="plotly_white", height=440, margin=dict(l=70, r=70, t=100, b=30))
    fig.update_layout(title="Hyperparameters of the completed trials")
    return fig


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
            y=[k for k, _ in items],
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
