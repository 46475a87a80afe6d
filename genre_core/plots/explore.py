"""Plotly figures for the Data and Explore pages: pure builders, data in, figure out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from genre_core.data.explore import Projection, feature_title
from genre_core.plots.text import as_text

PALETTE = px.colors.qualitative.Safe + px.colors.qualitative.Pastel
_MARGINS = dict(l=10, r=10, t=40, b=10)


def genre_colors(genres) -> dict[str, str]:
    """One stable colour per genre, so every chart paints a genre alike."""
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(sorted(map(str, genres)))}


def class_balance_figure(counts: pd.Series, kind: str = "bar") -> go.Figure:
    """Rows per genre as a bar chart (largest first) or a pie chart."""
    table = counts.rename_axis("genre").reset_index(name="rows")
    table["genre"] = table["genre"].map(as_text)
    colors = genre_colors(table["genre"])
    if kind == "pie":
        fig = px.pie(
            table, names="genre", values="rows", color="genre", color_discrete_map=colors, hole=0.35
        )
        fig.update_traces(textinfo="percent+label", sort=False)
    else:
        fig = px.bar(
            table, x="genre", y="rows", color="genre", color_discrete_map=colors, text="rows"
        )
        fig.update_traces(texttemplate="%{text:,}", textposition="outside", cliponaxis=False)
        fig.update_layout(showlegend=False, xaxis_title=None, yaxis_title="rows")
    fig.update_layout(margin=_MARGINS, title="Rows per genre")
    return fig


def distribution_figure(
    frame: pd.DataFrame,
    feature: str,
    label: str,
    kind: str = "histogram",
    *,
    bins: int = 60,
    violin_sample: int = 1500,
    seed: int = 0,
) -> go.Figure:
    """How ``feature`` is distributed in each genre: overlaid histograms, boxes or violins.

    Histograms and boxes are computed here from every row, so the browser draws a few hundred
    shapes instead of binning tens of thousands of points; a violin's density is estimated in
    the browser from at most ``violin_sample`` seeded rows per genre.
    """
    data = frame[[feature, label]].dropna()
    data[label] = data[label].map(as_text)
    colors = genre_colors(data[label].unique())
    genres = sorted(colors)
    groups = {g: data.loc[data[label] == g, feature].to_numpy(dtype=float) for g in genres}
    fig = go.Figure()
    if kind == "box":
        for genre, values in groups.items():
            q1, median, q3 = np.percentile(values, [25, 50, 75])
            iqr = q3 - q1
            inside = values[(values >= q1 - 1.5 * iqr) & (values <= q3 + 1.5 * iqr)]
            fig.add_trace(
                go.Box(
                    name=genre,
                    x=[genre],
                    q1=[q1],
                    median=[median],
                    q3=[q3],
                    mean=[values.mean()],
                    lowerfence=[inside.min()],
                    upperfence=[inside.max()],
                    marker_color=colors[genre],
                )
            )
    elif kind == "violin":
        rng = np.random.default_rng(seed)
        for genre, values in groups.items():
            if len(values) > violin_sample:
                values = rng.choice(values, violin_sample, replace=False)
            fig.add_trace(
                go.Violin(
                    name=genre,
                    x=[genre] * len(values),
                    y=values,
                    box_visible=True,
                    points=False,
                    line_color=colors[genre],
                )
            )
    else:
        edges = bin_edges(data[feature].to_numpy(dtype=float), bins)
        for genre, values in groups.items():
            counts, _ = np.histogram(values, bins=edges)
            share = 100 * counts / max(len(values), 1)
            # A step outline per genre: six overlaid outlines stay readable where bars blur.
            fig.add_trace(
                go.Scatter(
                    name=genre,
                    x=edges,
                    y=np.append(share, share[-1]),
                    mode="lines",
                    line={"shape": "hv", "color": colors[genre], "width": 2},
                    hovertemplate="from %{x:.3g}: %{y:.2f}%<extra>" + genre + "</extra>",
                )
            )
        fig.update_layout(
            hovermode="x unified",
            yaxis_title="% of the genre's rows",
            xaxis_title=as_text(feature_title(feature)),
        )
    fig.update_layout(
        margin=_MARGINS,
        title=f"{as_text(feature)} by genre",
        legend_title_text="genre",
        template="plotly_white",
    )
    if kind in ("box", "violin"):
        fig.update_layout(showlegend=False, yaxis_title=as_text(feature_title(feature)))
    return fig


def bin_edges(values: np.ndarray, bins: int) -> np.ndarray:
    """About ``bins`` equal bins; for whole numbers (key, popularity) each bin holds the same
    count of integers, so no bin is spuriously twice as tall as its neighbour."""
    low, high = float(np.min(values)), float(np.max(values))
    if np.all(values == np.round(values)) and high > low:
        step = max(1, int(np.ceil((high - low + 1) / bins)))
        return np.arange(low - 0.5, high + step, step)
    return np.histogram_bin_edges(values, bins=bins)


def correlation_figure(corr: pd.DataFrame, method: str) -> go.Figure:
    """A heatmap of a correlation matrix on a diverging scale fixed to [-1, 1]."""
    corr = corr.rename(index=as_text, columns=as_text)
    fig = px.imshow(
        corr, zmin=-1, zmax=1, color_continuous_scale="RdBu_r", text_auto=".2f", aspect="auto"
    )
    fig.update_layout(
        margin=_MARGINS, title=f"{method.capitalize()} correlation", coloraxis_colorbar_title="r"
    )
    fig.update_traces(textfont_size=10)
    return fig


def pca_figure(projection: Projection, label: str) -> go.Figure:
    """The PCA projection as a scatter coloured by genre."""
    # the label column's name reaches the hover text too
    points = projection.points.rename(columns={label: as_text(label)})
    label = as_text(label)
    points[label] = points[label].map(as_text)
    colors = genre_colors(points[label].unique())
    first, second = projection.explained
    fig = px.scatter(
        points,
        x="PC1",
        y="PC2",
        color=label,
        color_discrete_map=colors,
        category_orders={label: sorted(colors)},
        opacity=0.6,
        render_mode="svg",
    )
    fig.update_traces(marker_size=4)
    fig.update_layout(legend_itemsizing="constant")
    fig.update_layout(
        margin=_MARGINS,
        title="Tracks on the first two principal components",
        xaxis_title=f"PC1 ({first:.0%} of variance)",
        yaxis_title=f"PC2 ({second:.0%} of variance)",
        legend_title_text="genre",
    )
    return fig


def merge_curve_figure(steps) -> go.Figure:
    """Accuracy and macro-F1 against the number of genres as genres merge (right to left),
    with always-the-majority accuracy for reference: merging inflates it too."""
    classes = [s.n_classes for s in steps]
    fig = go.Figure()
    lines = (
        ("accuracy", [s.accuracy for s in steps], {"color": PALETTE[0]}),
        ("macro-F1", [s.f1_macro for s in steps], {"color": PALETTE[1]}),
        (
            "always the majority genre",
            [s.majority for s in steps],
            {"color": "grey", "dash": "dot"},
        ),
    )
    for name, values, line in lines:
        fig.add_trace(go.Scatter(x=classes, y=values, name=name, mode="lines+markers", line=line))
    fig.update_layout(
        margin=_MARGINS,
        title="Scores as the most confused genres merge",
        xaxis={"title": "number of genres", "autorange": "reversed", "dtick": 1},
        yaxis={"title": "score on the test part", "tickformat": ".0%", "rangemode": "tozero"},
        hovermode="x unified",
        template="plotly_white",
    )
    return fig
