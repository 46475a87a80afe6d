"""The Merge page under AppTest: build a map, use it everywhere, run the merge curve."""

import time

from streamlit.testing.v1 import AppTest

from conftest import app_with_upload, make_tracks


def _app(frame) -> AppTest:
    return app_with_upload(frame)


def test_keyword_map_used_across_pages():
    at = _app(make_tracks(120, genres=("k-pop", "indie pop", "hard rock", "rap")))
    at.switch_page("../pages/merge.py").run()
    assert not at.exception
    at.text_area(key="merge.rules").set_value("pop -> pop\nrock -> rock").run()
    assert {m.label: m.value for m in at.metric}["Genres after merging"] == "3"
    at.button(key="merge.apply").click().run()
    assert not at.exception
    assert at.session_state["data.merge"] == {
        "k-pop": "pop",
        "indie pop": "pop",
        "hard rock": "rock",
    }
    at.switch_page("../pages/explore.py").run()
    assert "120 rows, 3 genres" in at.caption[0].value
    at.switch_page("../pages/merge.py").run()
    at.button(key="merge.clear").click().run()
    at.switch_page("../pages/explore.py").run()
    assert "120 rows, 4 genres" in at.caption[0].value


def test_bad_rule_is_named():
    at = _app(make_tracks(60))
    at.switch_page("../pages/merge.py").run()
    at.text_area(key="merge.rules").set_value("pop -> pop\nrock").run()
    assert not at.exception
    assert "line 2 needs the form" in at.error[0].value


def test_merge_curve_runs_in_the_background():
    at = _app(make_tracks(240, genres=("pop", "rock", "rap", "edm")))
    at.switch_page("../pages/merge.py").run()
    at.button(key="merge.run").click().run()
    assert not at.exception
    job = at.session_state["merge.job"]
    deadline = time.monotonic() + 120
    while job.thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run()
    at.run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "macro-F1" in d.value.columns)
    assert table["genres"].tolist() == [4, 3, 2]
    assert all(0 <= a <= 1 for a in table["accuracy"])
