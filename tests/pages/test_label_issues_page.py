"""The Merge page's label issues: a job, then the overlapping genres and the suspect tracks."""

from __future__ import annotations

from conftest import app_with_upload, make_tracks, poll_page


def test_label_issues_list_overlapping_genres_and_suspect_tracks():
    tracks = make_tracks(300, seed=5)
    pop = tracks.index[tracks["genre"] == "pop"][:12]
    tracks.loc[pop, "genre"] = "rap"  # twelve pop tracks filed as rap
    at = app_with_upload(tracks, "merge")
    assert at.number_input(key="merge.issues.folds").value == 5  # the recipe's default
    at.selectbox(key="merge.issues.model").set_value("logreg")
    at.number_input(key="merge.issues.folds").set_value(3)
    at.button(key="merge.issues.start").click().run()
    assert not at.exception and not at.error
    job = at.session_state["merge.issues.job"]
    poll_page(at, lambda: not job.running, timeout=120, failure="the label issues job did not end")
    at.run()
    result = at.session_state["merge.issues.outcome"].result
    assert result.rows == 300 and result.flagged > 0
    tables = {tuple(t.value.columns) for t in at.dataframe}
    assert ("genre", "other genre", "tracks", "joint") in tables
    issues = next(t.value for t in at.dataframe if "likely genre" in t.value.columns)
    assert {"track_id", "track_name", "track_artist", "given genre"} <= set(issues.columns)
    suspects = issues[issues["given genre"] == "rap"]
    assert len(set(suspects["row"]) & set(pop)) >= 8  # the filed-as-rap pop tracks
    assert any("flagged; the model is right on" in c.value for c in at.caption)
