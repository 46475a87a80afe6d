"""Figures of the explanations (:mod:`genre_core.explain`): pure builders, tables in, figure out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from genre_core.explain.shapley import TrackExplanation
from genre_core.plots.explore import genre_colors
from genre_core.plots.text import as_text, as_texts

_MARGINS = dict(l=10, r=10, t=50, b=10)
UP, DOWN = "#d62728", "#1f77b4"  # raises / lowers the genre's output (shap's own colours)


def _number(value: float) -> str:
    """A feature's value as a reader writes it: whole numbers whole (a year, a key, a duration
    in ms), others to three significant digits."""
    if not np.isfinite(value):
        return "missing"
    if float(value).is_integer() and abs(value) < 1e12:
        return f"{int(value):,}" if abs(value) >= 1e4 else str(int(value))
    return f"{value:.3g}"


def waterfall_figure(
    explanation: TrackExplanation, genre: str | None = None, top: int = 12
) -> go.Figure:
    """A SHAP waterfall for one track and one genre (default: the predicted one): from the
    base value (the average output) through each feature's push, largest first, to the
    model's output for this track. Features past ``top`` are summed in one bar."""
    k = explanation.column(genre)
    table = explanation.table(explanation.classes[k])
    if len(table) > top:
        rest = table.iloc[top - 1 :]
        table = pd.concat(
            [
                table.iloc[: top - 1],
                pd.DataFrame(
                    {
                        "feature": [f"{len(rest)} other features"],
                        "value": [np.nan],
                        "shap": [rest["shap"].sum()],
                    }
                ),
            ],
            ignore_index=True,
        )
    table = table.iloc[::-1]  # the largest effect at the top of the chart
    labels = [
        as_text(f) if "other features" in str(f) else f"{as_text(f)} = {_number(v)}"
        for f, v in zip(table["feature"], table["value"], strict=True)
    ]
    base, output = float(explanation.base[k]), float(explanation.output[k])
    scale = explanation.scale
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            base=base,
            y=labels,
            x=table["shap"],
            measure=["relative"] * len(table),
            text=[f"{v:+.3f}" for v in table["shap"]],
            textposition="outside",
            cliponaxis=False,
            increasing={"marker": {"color": UP}},
            decreasing={"marker": {"color": DOWN}},
            connector={"line": {"color": "#bbbbbb", "width": 1}},
            hovertemplate="%{y}<br>push %{x:+.4f}<extra></extra>",
        )
    )
    path = base + np.concatenate([[0.0], np.cumsum(table["shap"].to_numpy())])
    low, high = float(path.min()), float(path.max())
    pad = 0.22 * (high - low or 1.0)  # room for the labels outside the bars
    fig.update_xaxes(range=[low - pad, high + pad])
    fig.add_vline(x=base, line_dash="dot", line_color="#888888")
    fig.add_vline(x=output, line_dash="dash", line_color="#444444")
    fig.update_layout(
        title=(
            f"Why {as_text(explanation.classes[k])}: {scale} from the average "
            f"{base:.3f} to this track's {output:.3f}"
        ),
        xaxis_title=f"{scale} of {as_text(explanation.classes[k])}",
        margin=_MARGINS,
        height=max(320, 90 + 30 * len(table)),
        showlegend=False,
    )
    fig.update_yaxes(type="category", automargin=True)
    return fig


def importance_figure(table: pd.DataFrame, metric: str = "accuracy") -> go.Figure:
    """Permutation importance as horizontal bars (most important at the top) with the spread
    over the shuffles."""
    table = table.iloc[::-1]
    fig = go.Figure(
        go.Bar(
            x=table["importance"],
            y=as_texts(table["feature"]),
            orientation="h",
            error_x={"type": "data", "array": table["std"], "visible": True},
            marker_color="#4c78a8",
            hovertemplate="%{y}<br>drop %{x:.4f}<extra></extra>",
        )
    )
    rows = int(table["rows"].iloc[0]) if "rows" in table and len(table) else 0
    fig.update_layout(
        title=f"Permutation importance: {metric} lost when a feature is shuffled "
        f"({rows:,} test rows)",
        xaxis_title=f"drop in {metric}",
        margin=_MARGINS,
        height=max(300, 80 + 26 * len(table)),
    )
    fig.update_yaxes(type="category", automargin=True)
    return fig


def probability_figure(table: pd.DataFrame, title: str = "Genre probabilities") -> go.Figure:
    """Each genre's probability as bars: the edited track (``after``) over the original
    (``before``, an outline) when the table has both; ``low``/``high`` draw a band."""
    genres = as_texts(table["genre"])
    colors = genre_colors(genres)
    fig = go.Figure()
    value = "after" if "after" in table else "mean" if "mean" in table else "probability"
    error = None
    if {"low", "high"} <= set(table.columns):
        error = {
            "type": "data",
            "symmetric": False,
            "array": table["high"] - table[value],
            "arrayminus": table[value] - table["low"],
        }
    fig.add_bar(
        x=genres,
        y=table[value],
        name="edited" if value == "after" else "probability",
        marker_color=[colors[g] for g in genres],
        error_y=error,
        text=None if error else [f"{p:.0%}" for p in table[value]],  # labels would hide a band
        textposition="outside",
        hovertemplate="%{x}: %{y:.1%}<extra></extra>",
    )
    if "before" in table:
        fig.add_scatter(
            x=genres,
            y=table["before"],
            mode="markers",
            name="original",
            marker={"symbol": "line-ew-open", "size": 28, "color": "#222222", "line": {"width": 2}},
            hovertemplate="%{x} before: %{y:.1%}<extra></extra>",
        )
    fig.update_layout(
        title=as_text(title),
        yaxis={"range": [0, 1.1], "tickformat": ".0%", "title": "probability"},
        margin=_MARGINS,
        height=340,
        legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
    )
    fig.update_xaxes(type="category")
    return fig


__all__ = ["importance_figure", "probability_figure", "waterfall_figure"]
