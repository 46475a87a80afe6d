"""Genre labels that look like spreadsheet formulas never reach a CSV the lab writes as a
formula: text cells and headers get a leading apostrophe, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from conftest import make_tracks
from genre_core.cli.main import main
from genre_core.data.csvsafe import csv_text, neutralise, restore, restore_frame
from genre_core.runs import history
from genre_core.runs.records import Record

LINK = '=HYPERLINK("http://evil.example/?x=1";"click")'
GENRES = (LINK, "@SUM(1+1)*cmd|' /C calc'!A0", "+rock")
STARTS = ("=", "+", "-", "@", "\t", "\r")


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_text_cells_and_headers_are_neutralised_and_numbers_kept():
    frame = pd.DataFrame(
        {
            "genre": [LINK, "@SUM(A1)", "-x", "\tx", "\rx", "pop", "'=kept", "-1.5"],
            "p_=evil()": [-0.5, 0.25, -1e-9, 0.0, 1.0, -2.0, 3.0, 4.0],
            "count": [-1, 2, 3, 4, 5, 6, 7, 8],
        }
    )
    rows = cells(csv_text(frame, index=False))
    header, body = rows[0], rows[1:]
    assert header == ["genre", "p_=evil()", "count"]
    assert [r[0] for r in body] == [
        "'" + LINK, "'@SUM(A1)", "'-x", "'\tx", "'\rx", "pop", "''=kept", "-1.5",
    ]  # fmt: skip
    assert [float(r[1]) for r in body] == frame["p_=evil()"].tolist()  # still numbers
    assert [int(r[2]) for r in body] == frame["count"].tolist()
    headed = pd.DataFrame({LINK: ["a"], "@x": [1]})
    assert cells(csv_text(headed, index=False))[0] == ["'" + LINK, "'@x"]


@pytest.mark.parametrize("text", [LINK, "'=x", "''x", "'x", "-1", "-a", "", "pop", "'", "@"])
def test_restore_gives_back_exactly_what_was_neutralised(text):
    assert restore(neutralise(text)) == text


def test_cli_predict_writes_no_formula(tmp_path):
    train = make_tracks(90, genres=GENRES)
    train.to_csv(tmp_path / "train.csv", index=False)
    unlabeled = make_tracks(12, genres=GENRES, seed=1).drop(columns=["genre"])
    unlabeled.to_csv(tmp_path / "new.csv", index=False)
    out = tmp_path / "out.csv"
    args = ["predict", "--data", str(tmp_path / "train.csv"), "--model", "logreg"]
    code = main([*args, "--input", str(tmp_path / "new.csv"), "--out", str(out)])
    assert code == 0
    rows = cells(out.read_bytes().decode())
    assert not [c for row in rows for c in row if c.startswith(STARTS)], rows[:3]
    assert any(c == "'" + LINK for row in rows[1:] for c in row)
    table = restore_frame(pd.read_csv(out))
    assert set(table["predicted_genre"]) <= set(GENRES)
    assert {c[2:] for c in table.columns if c.startswith("p_")} == set(GENRES)
    assert table.filter(like="p_").dtypes.map(pd.api.types.is_float_dtype).all()


def test_the_stored_predictions_file_is_safe_and_reads_back_as_it_was(store):
    true = np.array([LINK, "rock", "+rock", "rock"])
    record = Record(
        kind="classical", model="logreg", params={}, metrics={"accuracy": 0.5}, curves=[],
        classes=(LINK, "+rock", "rock"), confusion=np.eye(3), rows=np.arange(4), true=true,
        pred=true[::-1].copy(), model_files={},
    )  # fmt: skip
    run_id = history.log_result(record, source="t")
    written = next(store.rglob("predictions.csv")).read_bytes().decode()
    assert not [c for row in cells(written) for c in row if c.startswith(STARTS)]
    predictions = history.load_run(run_id).predictions
    assert predictions["true"].tolist() == true.tolist()
    assert predictions["pred"].tolist() == true[::-1].tolist()
    assert predictions["row"].tolist() == [0, 1, 2, 3]
