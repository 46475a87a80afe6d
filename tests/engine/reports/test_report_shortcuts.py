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


def test_the_report_warns_of_the_artist_or_its_profile_off_a_split_by_artist(store, tmp_path):
    from genre_core.data.features import ARTIST_WARNING, PROFILE_WARNING

    path = tmp_path / "mine.csv"
    make_tracks(150, seed=3).to_csv(path, index=False)
    recipe = {"kind": "train", "data": {"source": str(path)}, "models": [{"name": "logreg"}]}

    def report(**changes) -> str:
        (run_id,) = experiments.run(experiments.load_recipe({**recipe, **changes})).run_ids
        return report_html([run_id])

    def said(warning: str, html: str) -> bool:
        return warning.split(":")[0].replace("'", "&#x27;") in html

    shared = report(artist=True, artist_profile=True, split={"method": "stratified"})
    assert said(ARTIST_WARNING, shared) and said(PROFILE_WARNING, shared)
    by_artist = {"method": "group", "group_column": "track_artist"}
    honest = report(artist_profile=True, split=by_artist)
    assert not said(PROFILE_WARNING, honest) and not said(ARTIST_WARNING, honest)
    assert not said(PROFILE_WARNING, report())
