"""Explore says, under a feature's distribution, the shortcuts found in that feature."""

from __future__ import annotations

import numpy as np

from conftest import app_with_upload, make_tracks


def test_a_feature_missing_for_one_genre_is_flagged_under_its_chart_only():
    frame = make_tracks(300, seed=5)
    frame.loc[frame["genre"] == "rap", "tempo"] = np.nan  # missing says "rap"
    at = app_with_upload(frame, "explore")
    at.selectbox(key="explore.feature").set_value("tempo").run()
    assert not at.exception
    warnings = [w.value for w in at.warning if "shortcut" in w.value]
    assert len(warnings) == 1
    assert "tempo" in warnings[0] and "missing" in warnings[0]
    assert "alone predicts the genre with" in warnings[0]
    at.selectbox(key="explore.feature").set_value("energy").run()
    assert not at.exception
    assert not [w.value for w in at.warning if "shortcut" in w.value]


def test_a_clean_table_shows_no_shortcut_under_any_feature():
    at = app_with_upload(make_tracks(300, seed=5), "explore")
    for feature in ("danceability", "energy", "tempo"):
        at.selectbox(key="explore.feature").set_value(feature).run()
        assert not at.exception
        assert not [w.value for w in at.warning if "shortcut" in w.value]
