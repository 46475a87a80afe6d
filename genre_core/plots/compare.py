"""The Compare page's figures: stored runs' test metrics side by side, and their curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from genre_core.plots.explore import PALETTE
from genre_core.plots.text import as_text, as_texts

_MARGINS = dict(l=10, r=10, t=40, b=10)


def metrics_figure(table: pd.DataFrame, metrics: Sequence[str]) -> go.Figure:
    """Grouped bars: one group per metric, one bar per run (``table`` indexed by run name)."""
    fig = go.Figure()
    for i, (name, row) in enumerate(table.iterrows()):
        name = as_text(name)
        fig.add_bar(
            name=name,
            x=as_texts(metrics),
            y=[row.get(m, np.nan) for m in metrics],
            marker_color=PALETTE[i % len(PALETTE)],
            texttemplate="%{y:.3f}",
            textposition="outside",
            hovertemplate=f"{name}<br>%{{x}}: %{{y:.4f}}<extra></extra>",
        )
    fig.update_layout(
        title="Test metrics side by side",
        barmode="group",
        margin=_MARGINS,
        legend=dict(orientation="h", y=-0.15),
        yaxis=dict(range=[0, 1.1]),
        height=420,
    )
    return fig


def curves_figure(curves: Mapping[str, pd.DataFrame], metric: str) -> go.Figure:
    """One line per run of a per-epoch metric (``curves``: run name -> epoch table)."""
    fig = go.Figure()
    for i, (name, table) in enumerate(curves.items()):
        if metric not in table.columns:
            continue
        fig.add_scatter(
            x=table["epoch"],
            y=table[metric],
            mode="lines",
            name=as_text(name),
            line=dict(color=PALETTE[i % len(PALETTE)]),
        )
    fig.update_layout(
        title=f"{as_text(metric)} by epoch",
        xaxis_title="epoch",
        yaxis_title=as_text(metric),
        margin=_MARGINS,
        legend=dict(orientation="h", y=-0.2),
        height=380,
    )
    return fig
