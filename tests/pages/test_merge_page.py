"""The Merge page under AppTest: build a map, use it everywhere, run the merge curve."""

import re
import time

from streamlit.testing.v1 import AppTest

from conftest import app_with_upload, make_tracks, recipe_texts
from dashboard.state import WORD_JOINER, plain


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


def test_bad_rule_names_the_form_as_the_instructions_write_it():
    """Issue 17: the instructions say `keyword -> new genre`; the error said 'keyword → target'
    (Streamlit's markdown draws a free-standing -> as an arrow, even escaped)."""
    at = _app(make_tracks(60))
    at.switch_page("../pages/merge.py").run()
    at.text_area(key="merge.rules").set_value("pop -> pop\nrock").run()
    assert "`keyword -> new genre`" in at.text_area(key="merge.rules").label
    drawn = re.sub(r"\\(.)", r"\1", at.error[0].value)  # markdown escapes removed
    assert not re.search(r"(^|\s)->(\s|$)", drawn)  # nothing the markdown turns into →
    assert "'keyword -> new genre'" in drawn.replace(WORD_JOINER, "")


def test_plain_keeps_arrows_and_dashes_as_typed():
    for text in ("hip hop -> rap", "a <-> b", "x -- y", ">= 3", "<= 3", "~= 1", "<- left"):
        drawn = re.sub(r"\\(.)", r"\1", plain(text))
        assert drawn.replace(WORD_JOINER, "") == text
        for pair in ("<->", "->", "<-", "--", ">=", "<=", "~="):
            assert not re.search(rf"(^|\s){re.escape(pair)}(\s|$)", drawn)


def _finish(at: AppTest) -> None:
    """Wait for the merge curve's job, then let the page collect and draw its outcome."""
    job = at.session_state["merge.job"]
    deadline = time.monotonic() + 120
    while job.running and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not job.running, "the merge curve did not finish in 2 minutes"
    at.run()
    at.run()
    assert not at.exception


def test_merge_curve_runs_in_the_background():
    at = _app(make_tracks(240, genres=("pop", "rock", "rap", "edm")))
    at.switch_page("../pages/merge.py").run()
    at.button(key="merge.run").click().run()
    assert not at.exception
    _finish(at)
    table = next(d.value for d in at.dataframe if "macro-F1" in d.value.columns)
    assert table["genres"].tolist() == [4, 3, 2]
    assert all(0 <= a <= 1 for a in table["accuracy"])
    assert (table["accuracy low"] <= table["accuracy"]).all()


def test_the_recipe_shown_runs_unchanged_to_the_accuracies_shown():
    """What `genre-lab run` does with the recipe the page shows: the same accuracies."""
    from genre_core import experiments

    at = _app(make_tracks(240, genres=("pop", "rock", "rap", "edm")))
    at.switch_page("../pages/merge.py").run()
    at.session_state["data.merge"] = {"edm": "rap"}  # the curve starts from the map in use
    at.selectbox(key="merge.model").set_value("knn")
    at.number_input(key="merge.seed").set_value(3).run()
    text = next(t for t in recipe_texts(at) if '"kind": "merge-curve"' in t)
    at.button(key="merge.run").click().run()
    _finish(at)
    table = next(d.value for d in at.dataframe if "macro-F1" in d.value.columns)
    assert table["genres"].tolist() == [3, 2]
    recipe = experiments.load_recipe(text)
    assert recipe == at.session_state["merge.outcome"].recipe
    assert recipe.model == "knn" and recipe.seed == 3 and recipe.data.merge == {"edm": "rap"}
    assert recipe.data.sha256  # the upload, kept by its hash for the command line
    again = experiments.run(recipe)
    assert [s["accuracy"] for s in again.summary["steps"]] == table["accuracy"].tolist()


def test_a_loaded_recipe_fills_the_form_and_the_map_in_use():
    from genre_core.data.splits import SplitSpec
    from genre_core.experiments.merge_curve import MergeCurveSpec
    from genre_core.experiments.recipe import DataSpec

    at = _app(make_tracks(240, genres=("pop", "rock", "rap", "edm")))
    at.switch_page("../pages/merge.py").run()
    split = SplitSpec(train=0.6, test=0.4, seed=2)
    loaded = MergeCurveSpec(
        data=DataSpec("mine.csv", merge={"edm": "pop"}),
        split=split,
        model="rf",
        params={"n_estimators": 20},
        min_genres=2,
        seed=4,
    )
    at.session_state["merge.loaded"] = loaded
    at.run()
    assert not at.exception
    assert at.selectbox(key="merge.model").value == "rf"
    assert at.number_input(key="merge.seed").value == 4
    assert at.session_state["data.merge"] == {"edm": "pop"}
    shown = experiments_recipe(at)
    assert shown.split == split and shown.params == {"n_estimators": 20}
    assert shown.data.merge == {"edm": "pop"} and shown.seed == 4


def experiments_recipe(at: AppTest):
    from genre_core import experiments

    return experiments.load_recipe(
        next(t for t in recipe_texts(at) if '"kind": "merge-curve"' in t)
    )
