"""A report names the shortcuts the detector finds in the features its run learnt from."""

from __future__ import annotations

import numpy as np

from conftest import make_tracks
from genre_core import experiments
from genre_core.reports import report_html


def test_a_unit_shortcut_in_a_feature_is_in_the_report(store, tmp_path):
    frame = make_tracks(300, seed=8)
    frame["duration_ms"] = np.where(frame["genre"] == "rock", 3.5, 210_000.0)
    path = tmp_path / "mine.csv"
    frame.to_csv(path, index=False)
    recipe = {"kind": "train", "data": {"source": str(path)}, "models": [{"name": "logreg"}]}
    (run_id,) = experiments.run(experiments.load_recipe(recipe)).run_ids
    html = report_html([run_id])
    assert "Shortcut (scale) in a feature of this run" in html
    assert "&#x27;duration_ms&#x27;" in html and "all 100 rock" in html
