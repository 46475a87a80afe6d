"""Plotly figures of calibration: the reliability diagram and the risk-coverage curve."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from genre_core.metrics.calibration import Calibration, RiskCoverage

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


_RANKINGS = {  # a curve's name, colour and how its hover states the threshold
    "confidence": ("ranked by confidence (top probability)", "#1DB954", "confidence at least"),
    "entropy": ("ranked by predictive entropy", "#7B3FBF", "entropy at most"),
}


def risk_coverage_figure(
    result: Calibration | RiskCoverage,
    title: str = "Answer only when sure",
    also: Sequence[RiskCoverage] = (),
) -> go.Figure:
    """Accuracy on the answered tracks against the share answered, surest first: one line for
    ``result``'s ranking and one for each curve of ``also`` (a Bayesian model's predictive
    entropy), each named after what ranks it."""
    curves = [result.curve if isinstance(result, Calibration) else result, *also]
    fig = go.Figure()
    for curve in curves:
        name, color, threshold = _RANKINGS[curve.ranked_by]
        fig.add_trace(
            go.Scatter(
                x=curve.coverage,
                y=curve.accuracy,
                mode="lines",
                line=dict(color=color, dash="solid" if curve.ranked_by == "confidence" else "dash"),
                customdata=curve.threshold,
                hovertemplate=f"answers %{{x:.0%}} of the tracks ({threshold} "
                "%{customdata:.2f})<br>accuracy on them %{y:.1%}<extra></extra>",
                name=name if len(curves) > 1 else "accuracy",
            )
        )
    fig.update_layout(
        title=title,
        xaxis=dict(title="share of tracks answered", range=[0, 1], tickformat=".0%"),
        yaxis=dict(title="accuracy on the answered tracks", tickformat=".0%"),
        margin=_MARGINS,
        height=360,
        showlegend=len(curves) > 1,
        legend=dict(orientation="h", y=-0.25),
    )
    return fig
