"""Every chart's numbers as CSV: the data a plotly figure draws, read from the figure."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard.charts import chart_name, figure_data
from genre_core.plots.models import confusion_figure


def test_a_heatmap_gives_one_row_per_cell():
    data = figure_data(confusion_figure(np.array([[3, 1], [2, 5]]), ["pop", "rock"]))
    assert list(data.columns) == ["trace", "y", "x", "value"]
    assert data[["y", "x", "value"]].values.tolist() == [
        ["pop", "pop", 3], ["pop", "rock", 1], ["rock", "pop", 2], ["rock", "rock", 5],
    ]  # fmt: skip


def test_lines_and_bars_keep_their_names_points_and_error_bars():
    figure = go.Figure(
        [
            go.Scatter(x=[1, 2, 3], y=[0.4, 0.5, 0.6], name="validation"),
            go.Bar(x=["logreg", "knn"], y=[0.5, 0.4], error_y=dict(array=[0.02, 0.03])),
        ]
    )
    data = figure_data(figure)
    assert data["trace"].tolist() == ["validation"] * 3 + ["trace 2"] * 2
    assert data["y_error"].iloc[3:].tolist() == [0.02, 0.03]


def test_parallel_coordinates_give_their_dimensions_and_an_empty_figure_nothing():
    figure = go.Figure(go.Parcoords(dimensions=[dict(label="lr", values=[0.1, 0.01])]))
    assert figure_data(figure)["lr"].tolist() == [0.1, 0.01]
    assert figure_data(go.Figure()).empty


def test_chart_names_are_safe_file_names():
    assert chart_name("compare-confusion-#2 knn · <b>") == "genre-lab-compare-confusion-2-knn-b"
