"""The tracks behind a confusion cell and a genre's mistakes, on the Train page and alone.

AppTest cannot click a plotly chart: the selection event a click sends is built here and
handed to the view, and the Train page is checked to draw a selectable matrix and the
mistakes of its hardest genre.
"""

from __future__ import annotations

import json

import numpy as np
from streamlit.testing.v1 import AppTest

from conftest import trained_train_page
from dashboard.cell_tracks import selected_cell

CLASSES = ("pop", "rap", "rock")


def click(row: int, column: int) -> dict:
    """The selection event of a click on the cell (row, column), as Streamlit sends it."""
    point = {"curve_number": 1, "point_number": 3 * row + column, "point_index": 3 * row + column,
             "x": CLASSES[column], "y": CLASSES[row], "customdata": [row, column]}  # fmt: skip
    return {"selection": {"points": [point], "point_indices": [3 * row + column], "box": [],
                          "lasso": []}}  # fmt: skip


def test_a_click_names_its_cell_and_nothing_else_does():
    assert selected_cell(click(0, 2), CLASSES) == ("pop", "rock")
    assert selected_cell(click(1, 1), CLASSES) == ("rap", "rap")
    assert selected_cell(None, CLASSES) is None
    assert selected_cell({"selection": {"points": []}}, CLASSES) is None
    outside = click(0, 2)
    outside["selection"]["points"][0]["customdata"] = [0, 7]
    assert selected_cell(outside, CLASSES) is None
    typed = click(1, 2)  # the browser sends a typed array's row and column as an object
    typed["selection"]["points"][0]["customdata"] = {"0": 1, "1": 2}
    assert selected_cell(typed, CLASSES) == ("rap", "rock")
    no_cell = click(0, 2)
    del no_cell["selection"]["points"][0]["customdata"]
    assert selected_cell(no_cell, CLASSES) is None


def _cell_script(event):
    import numpy as np

    from dashboard.cell_tracks import cell_tracks_view
    from genre_core.metrics.tracks import predictions_table

    proba = np.array([[0.1, 0.1, 0.8], [0.7, 0.1, 0.2], [0.3, 0.1, 0.6], [0.2, 0.1, 0.7]])
    names = __import__("pandas").DataFrame({"title": ["<b>One</b>", "Two", "Three", "Four"]})
    predictions = predictions_table(
        ["pop", "pop", "pop", "rock"],
        [("pop", "rap", "rock")[i] for i in proba.argmax(1)],
        proba,
        ("pop", "rap", "rock"),
        rows=[4, 5, 6, 7],
        names=names,
    )
    cell_tracks_view("t.cell", predictions, ("pop", "rap", "rock"), event)


def test_the_clicked_cell_lists_its_tracks_as_plain_text():
    at = AppTest.from_function(_cell_script, args=(click(0, 2),)).run()
    assert not at.exception
    assert at.markdown[0].value.startswith("2 test tracks of pop predicted rock")
    assert "wrong" in at.markdown[0].value
    shown = at.dataframe[0].value
    assert shown["title"].tolist() == ["<b>One</b>", "Three"]  # text, never HTML
    assert shown["row"].tolist() == ["4", "6"]
    assert shown["p(predicted)"].tolist() == [0.8, 0.6]

    at = AppTest.from_function(_cell_script, args=(None,)).run()
    assert not at.exception and not at.dataframe
    assert "Click a cell" in at.caption[0].value


def _confusion(at) -> dict:
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"].get("title", {}).get("text", "").startswith("Confusion matrix"):
            return spec
    raise AssertionError("no confusion matrix")


def test_the_train_page_draws_a_clickable_matrix_and_a_genres_mistakes():
    at = trained_train_page()
    ev = at.session_state["train.runs"][-1]["entry"].evaluation
    spec = _confusion(at)
    cells = spec["data"][1]
    k = len(ev.classes)
    shape = cells["customdata"]["shape"]  # a typed array: its shape says one marker per cell
    assert cells["type"] == "scatter" and shape.replace(" ", "") == f"{k * k},2"
    assert spec["layout"]["clickmode"] == "event+select"
    assert "Click a cell to list the tracks behind it." in [c.value for c in at.caption]
    # the evaluation names its test tracks from the table
    assert ev.predictions["title"].str.startswith("Song ").all()
    assert ev.predictions["artist"].str.startswith("artist ").all()
    assert len(ev.predictions) == ev.confusion.sum()

    box = at.selectbox(key="train.mistakes_genre")
    hardest = ev.per_genre.sort_values("pr_auc")["genre"].iloc[0]
    assert box.value == hardest
    other = next(g for g in ev.classes if g != hardest)
    box.set_value(other).run()
    assert not at.exception
    wrong = ev.predictions[(ev.predictions["true"] == other) ^ (ev.predictions["pred"] == other)]
    tables = [d.value for d in at.dataframe if "mistake" in d.value.columns]
    if len(wrong):
        assert sorted(tables[0]["row"].astype(int)) == sorted(wrong["row"].astype(int))
    else:
        assert not tables
    assert np.isfinite(ev.per_genre["pr_auc"]).all()
