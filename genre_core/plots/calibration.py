"""Plotly figures of calibration: the reliability diagram and the risk-coverage curve."""

from __future__ import annotations

import plotly.graph_objects as go

from genre_core.metrics.calibration import Calibration

_MARGINS = dict(l=10, r=10, t=40, b=10)


def reliability_figure(result: Calibration, title: str = "Reliability") -> go.Figure:
    """Accuracy against mean confidence per confidence bin (bars sized by their rows), and the
    diagonal a calibrated model follows."""
    bins = result.bins
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name="calibrated",
            line=dict(color="#999999", dash="dot"),
            hoverinfo="skip",
        )  # fmt: skip
    )
    fig.add_trace(
        go.Bar(
            x=(bins["low"] + bins["high"]) / 2,
            y=bins["accuracy"],
            width=(bins["high"] - bins["low"]) * 0.9,
            name="accuracy in the bin",
            marker_color="#1DB954",
            customdata=bins[["confidence", "rows"]].to_numpy(),
            hovertemplate="confidence %{customdata[0]:.0%} (mean)<br>accuracy %{y:.0%}"
            "<br>%{customdata[1]:,} tracks<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=bins["confidence"],
            y=bins["accuracy"],
            mode="markers",
            name="mean confidence",
            marker=dict(color="#1F2A24", size=7),
            hoverinfo="skip",
        )  # fmt: skip
    )
    fig.update_layout(
        title=f"{title}: expected calibration error {result.ece:.1%}",
        xaxis=dict(title="the model's confidence in its answer", range=[0, 1], tickformat=".0%"),
        yaxis=dict(title="share of those answers right", range=[0, 1], tickformat=".0%"),
        margin=_MARGINS,
        height=360,
        legend=dict(orientation="h", y=-0.25),
    )
    return fig


def risk_coverage_figure(result: Calibration, title: str = "Answer only when sure") -> go.Figure:
    """Accuracy on the answered tracks against the share answered, surest first."""
    fig = go.Figure(
        go.Scatter(
            x=result.coverage,
            y=result.accuracy,
            mode="lines",
            line=dict(color="#1DB954"),
            customdata=result.threshold,
            hovertemplate="answers %{x:.0%} of the tracks (confidence at least "
            "%{customdata:.2f})<br>accuracy on them %{y:.1%}<extra></extra>",
            name="accuracy",
        )
    )
    fig.update_layout(
        title=title,
        xaxis=dict(title="share of tracks answered", range=[0, 1], tickformat=".0%"),
        yaxis=dict(title="accuracy on the answered tracks", tickformat=".0%"),
        margin=_MARGINS,
        height=360,
    )
    return fig
