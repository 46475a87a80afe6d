"""Compare: a stored run's confusion matrix is clickable when its predictions were stored."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from conftest import ROOT, make_tracks
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.metrics.tracks import cell_tracks
from genre_core.runs import history
from genre_core.runs.progress import TaskState

FEATURES = ("danceability", "energy", "tempo")


def test_a_stored_runs_matrix_is_clickable_and_its_cells_hold_its_stored_rows(store):
    tracks = make_tracks(150, seed=3)
    result = train_model(
        tracks, "genre", TrainConfig("logreg", features=FEATURES), TaskState(n_boot=20)
    )
    run_id = history.log_result(result, source="test", dataset="synthetic")
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    at.session_state["compare.runs"] = [run_id]
    at.switch_page("../pages/compare.py").run()
    assert not at.exception
    specs = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    confusion = next(s for s in specs if s["layout"]["title"]["text"].startswith("logreg"))
    assert [t["type"] for t in confusion["data"]] == ["heatmap", "scatter"]
    assert "Click a cell of a matrix to list the tracks behind it." in [c.value for c in at.caption]
    # the stored predictions, read back, give each cell exactly its count
    stored = history.load_run(run_id)
    for i, true in enumerate(stored.classes):
        for j, pred in enumerate(stored.classes):
            rows = cell_tracks(stored.predictions, true, pred)
            assert len(rows) == stored.confusion[i, j]
            assert rows["p(predicted)"].notna().all()
