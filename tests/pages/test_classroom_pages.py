"""Classroom pages: a lesson link applies the lesson; a Train run goes on the class board; the
hidden rows never reach the page, the recipe or a download; the teacher's view."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, poll_page, recipe_texts

LESSON = "genre-factor"  # the smallest built-in with a hidden set (6,446 songs)


@pytest.fixture
def board_env(tmp_path, monkeypatch, real_data_dir):
    monkeypatch.setenv("GENRE_BOARD_URL", f"sqlite:///{tmp_path / 'board.db'}")
    monkeypatch.setenv("GENRE_TEACHER_PASSPHRASE", "correct horse")
    from dashboard import classroom

    classroom._store.clear()
    return tmp_path


def lesson_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.query_params["lesson"] = LESSON
    at.run()
    assert not at.exception
    if page:
        at.switch_page(f"../pages/{page}.py").run()
        assert not at.exception
    return at


def everything_shown(at: AppTest) -> str:
    """Every text the page sent: markdown, captions, code, tables."""
    parts = [
        e.value
        for kind in ("markdown", "caption", "code", "info", "error", "success")
        for e in getattr(at, kind)
    ]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [e.value for e in at.sidebar.markdown]
    return "\n".join(map(str, parts))


def hidden_data():
    from dashboard import classroom

    return classroom.lesson_data(LESSON)


def test_a_lesson_link_applies_data_split_locks_and_pages(board_env):
    at = lesson_app()
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "The Genre Factor" in sidebar and "Locked by the teacher" in sidebar
    assert "grouped by Artist\\_encoded 49/21/30" in sidebar
    state = at.session_state
    data = hidden_data()
    assert state["data.source"] == "upload" and state["data.upload"]["sha"] == data.sha
    # every page, job and download reads this file: it holds no hidden row
    shown = pd.read_csv(io.BytesIO(state["data.upload"]["bytes"]))
    hidden = data.hidden.frame
    assert len(shown) + len(hidden) == 6446
    assert not set(shown["Artist_encoded"]) & set(hidden["Artist_encoded"])
    assert (state["train.split"], state["train.group_column"]) == ("group", "Artist_encoded")
    assert (state["train.test_size"], state["train.validation"]) == (0.3, 0.21)
    # a locked value changed in a widget is put back on the next run
    at.session_state["train.test_size"] = 0.1
    at.run()
    assert at.session_state["train.test_size"] == 0.3
    from dashboard.nav import page_table

    titles = [t for _, t, _ in page_table(tuple(f"{p}.py" for p in data.lesson.pages))]
    assert "Class board" in titles and "Bayesian" not in titles
    assert "Class board" not in [t for _, t, _ in page_table(None)]  # no lesson, no board


def test_a_bad_lesson_name_is_said_and_the_lab_opens_without_it(board_env):
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=120)
    at.query_params["lesson"] = "no-such-lesson"
    at.run()
    assert not at.exception
    assert any("there is no lesson" in e.value for e in at.sidebar.error)


def test_a_train_run_is_scored_on_the_hidden_set_and_ranked(board_env):
    at = lesson_app("train")
    at.multiselect(key="train.models").set_value(["logreg"]).run()
    at.button(key="train.start").click().run()
    poll_page(at, lambda: len(at.session_state["train.runs"]) >= 1, 180, failure="no run")
    data = hidden_data()
    hidden_artists = set(data.hidden.frame["Artist_encoded"].astype(str))
    recipe = next(t for t in recipe_texts(at) if '"kind": "train"' in t)
    assert data.name in recipe and data.sha in recipe  # the students' rows, by hash
    # no hidden row reaches the students' file, the recipe or the page
    assert not hidden_artists & set(data.hidden.public.frame["Artist_encoded"].astype(str))
    assert len(data.hidden.frame) and str(
        data.hidden.frame.iloc[0]["Likes"]
    ) not in everything_shown(at)

    at.switch_page("../pages/board.py").run()
    at.text_input(key="board.nickname").set_value("<b>x</b>").run()
    at.button(key="board.join").click().run()
    assert any("nickname" in e.value for e in at.error)
    at.text_input(key="board.nickname").set_value("Ada L.").run()
    at.button(key="board.join").click().run()
    assert at.session_state["lesson.nickname"] == "Ada L."
    at.button(key="board.submit").click().run()
    assert not at.exception
    assert any("Submission 1" in s.value for s in at.success)
    board = next(d.value for d in at.dataframe if "accuracy [95% CI]" in d.value.columns)
    assert list(board["nickname"]) == ["Ada L."] and list(board["rank"]) == ["1"]
    assert len(at.get("plotly_chart")) == 1  # the class chart with its baselines


def test_the_teacher_view_needs_the_passphrase_and_reveals(board_env):
    from dashboard import classroom
    from genre_core.classroom.scoring import HalfScore

    store = classroom.store()
    store.join(LESSON, "bob", "someone")
    half = HalfScore(0.6, 0.55, 0.65, 0.58, 600)
    store.submit(LESSON, "bob", '=HYPERLINK("x")', {"public": half, "private": half}, limit=5)
    at = lesson_app("board")
    assert not any("Private board" in s.value for s in at.subheader)
    at.text_input(key="board.passphrase").set_value("wrong")  # sent with the form
    at.button(key="FormSubmitter:board.teacher_form-Open the teacher view").click().run()
    assert any("not the teacher's passphrase" in e.value for e in at.error)
    assert at.session_state["board.passphrase"] == ""  # not kept once checked
    at.text_input(key="board.passphrase").set_value("correct horse")
    at.button(key="FormSubmitter:board.teacher_form-Open the teacher view").click().run()
    assert at.session_state["lesson.teacher"]
    at.button(key="board.reveal").click().run()
    assert any("Private board" in s.value for s in at.subheader)
    jobs = next(d.value for d in at.dataframe if "jobs run" in d.value.columns)
    assert list(jobs["nickname"]) == ["bob"]
    export = at.get("download_button")
    assert export  # the CSV itself: formula-safe
    from genre_core.data.csvsafe import csv_text

    text = csv_text(store.submissions(LESSON).drop(columns=["id"]), index=False)
    assert "'=HYPERLINK" in text


def test_guess_the_genre_scores_human_against_model(board_env):
    at = lesson_app("guess")
    poll_page(
        at,
        lambda: (
            at.session_state["guess.job"] is not None and not at.session_state["guess.job"].running
        ),
        180,
    )
    poll_page(
        at, lambda: any(t.key == "guess.nickname" for t in at.text_input), 60, failure="no model"
    )
    at.text_input(key="guess.nickname").set_value("ada").run()
    at.button(key="guess.join").click().run()
    features = next(d.value for d in at.dataframe if "feature" in d.value.columns)
    assert "Danceability" in set(features["feature"]) and features["value"].str.len().min() > 0
    genres = at.radio(key="guess.pick").options
    assert set(genres) == {"hip hop", "rock", "pop", "electronic", "metal", "classic"}
    at.radio(key="guess.pick").set_value(genres[0]).run()
    at.button(key="guess.go").click().run()
    assert not at.exception
    assert [m.label for m in at.metric] == ["You", "The model", "Truth"]
    mine = next(d.value for d in at.dataframe if "humans right" in d.value.columns)
    assert mine.iloc[-1]["genre"] == "all genres" and mine.iloc[-1]["tracks"] == 1
    at.button(key="guess.next").click().run()
    assert not at.metric and at.radio(key="guess.pick").value is None


def test_locked_settings_are_drawn_disabled_with_their_values(board_env):
    at = lesson_app("train")
    split = at.radio(key="train.split")
    assert split.disabled and at.session_state["train.split"] == "group"
    assert at.selectbox(key="train.group_column").disabled
    assert at.slider(key="train.test_size").disabled and at.session_state["train.test_size"] == 0.3
    assert at.radio(key="train.feature_set").disabled
    assert at.number_input(key="train.seed").disabled
    assert set(at.multiselect(key="train.models").options) <= {
        "Logistic regression",
        "Support vector machine (RBF, one-vs-one)",
        "k-nearest neighbours",
    }
    at.switch_page("../pages/data.py").run()
    assert at.selectbox(key="data.choice").disabled
