"""A confusion matrix whose cells can be clicked: one invisible marker per cell."""

from __future__ import annotations

import numpy as np

from genre_core.plots.models import confusion_figure

CONFUSION = np.array([[5, 1, 0], [2, 7, 1], [0, 3, 9]])
LABELS = ["pop", "<b>rap</b>", "rock"]


def test_every_cell_has_a_marker_naming_its_row_and_column():
    figure = confusion_figure(CONFUSION, LABELS, selectable=True)
    heatmap, cells = figure.data
    assert heatmap.hoverinfo == "skip" and cells.type == "scatter"
    assert [list(c) for c in cells.customdata] == [[r, c] for r in range(3) for c in range(3)]
    # the marker sits on its cell and hovers with its count, labels as plain text
    assert list(cells.x[:3]) == ["pop", "&lt;b&gt;rap&lt;/b&gt;", "rock"]
    assert list(cells.y[3:6]) == ["&lt;b&gt;rap&lt;/b&gt;"] * 3
    assert list(cells.text) == [f"{v:,}" for v in CONFUSION.ravel()]
    assert cells.marker.opacity == 0 and cells.selected.marker.opacity == 1
    assert figure.layout.clickmode == "event+select" and figure.layout.hoverdistance == -1
    assert list(figure.layout.yaxis.range) == [2.5, -0.5]  # the first genre on top


def test_a_plain_matrix_stays_one_heatmap():
    figure = confusion_figure(CONFUSION, LABELS, normalised=True)
    assert len(figure.data) == 1 and figure.data[0].hovertemplate
    assert figure.layout.clickmode is None
