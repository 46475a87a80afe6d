"""Lesson files: the built-ins load, and a bad file gets a message naming the field."""

import pytest

from genre_core.classroom.lessons import (
    LESSONS_DIR,
    LessonError,
    lesson_names,
    load_lesson,
    parse_lesson,
    read_lesson,
    save_lesson,
)

GOOD = """
title = "A lesson"
instructions = "Train **two** models."
dataset = "spotify-30k"
genres = ["pop", "rock"]
pages = ["train", "board"]
models = ["logreg"]
deadline = 2030-01-15T18:00:00Z
[split]
method = "group"
group_column = "track_id"
test = 0.25
[locked]
"train.feature_set" = "numeric"
[hidden]
share = 0.2
[board]
submissions = 3
"""


def test_built_in_lessons_load_one_per_seed_report():
    names = lesson_names()
    assert len(names) >= 5
    for name in names:
        lesson = load_lesson(name)
        assert lesson.title and lesson.instructions
        assert lesson.split.method == "group"  # every built-in is honest about its split


def test_a_good_file_is_read_with_every_field():
    lesson = read_lesson(GOOD.encode(), "my-lesson.toml")
    assert lesson.name == "my-lesson"
    assert lesson.genres == ("pop", "rock")
    assert lesson.split.group_column == "track_id" and lesson.split.test == 0.25
    assert lesson.hidden.group_column == "track_id"  # the split's column by default
    assert lesson.submissions == 3
    assert lesson.locked == {"train.feature_set": "numeric"}
    assert lesson.deadline.year == 2030 and not lesson.past_deadline()


def test_json_lessons_are_read_too():
    lesson = read_lesson(b'{"title": "J", "split": {"method": "stratified"}}', "j.json")
    assert lesson.split.method == "stratified" and lesson.hidden is None


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title:"),
        ({"dataset": "nope"}, "dataset:"),
        ({"pages": ["train", "casino"]}, "pages:"),
        ({"models": ["svm", "gpt"]}, "models:"),
        ({"genres": ["pop"]}, "genres:"),
        ({"split": {"method": "group"}}, "split.group_column:"),
        ({"split": {"method": "stratified", "test": 2}}, "split.test:"),
        ({"split": {"method": "stratified", "seed": 1.5}}, "split.seed:"),
        ({"split": {"method": "stratified", "tset": 0.2}}, "split.tset:"),
        ({"locked": {"feature_set": "numeric"}}, "locked.feature_set:"),
        ({"locked": {"train.x": {"a": 1}}}, "locked.train.x:"),
        ({"locked": {"data.upload": "x"}}, "locked.data.upload:"),
        ({"locked": {"train.job": "x"}}, "locked.train.job:"),
        ({"hidden": {"share": 0.9}}, "hidden.share:"),
        ({"board": {"submissions": 0}}, "board.submissions:"),
        ({"deadline": "tomorrow"}, "deadline:"),
        ({"show_titles": "yes"}, "show_titles:"),
        ({"colour": "red"}, "colour:"),
    ],
)
def test_bad_fields_are_named(change, field):
    data = {"title": "T", "split": {"method": "group", "group_column": "track_id"}, **change}
    with pytest.raises(LessonError) as caught:
        parse_lesson(data, "bad")
    assert str(caught.value).startswith(field), caught.value


def test_unreadable_files_and_names_are_refused():
    with pytest.raises(LessonError, match="^file:"):
        read_lesson(b"title = ", "broken.toml")
    with pytest.raises(LessonError, match="^file:"):
        read_lesson(b"x" * 200_000, "big.toml")
    with pytest.raises(LessonError, match="^name:"):
        read_lesson(b'title = "T"', "Bad Name.toml")
    for name in ("../secret", "cas-d-etude/../x", "nope"):
        with pytest.raises(LessonError, match="^lesson:"):
            load_lesson(name, (LESSONS_DIR,))


def test_a_teachers_lesson_is_kept_beside_the_built_ins(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path))
    with pytest.raises(LessonError, match="^split.test:"):
        save_lesson(b'title = "T"\n[split]\nmethod = "stratified"\ntest = 0.9', "mine.toml")
    with pytest.raises(LessonError, match="^name:.*built-in"):
        save_lesson(b'title = "T"\n[split]\nmethod = "stratified"', "genre-factor.toml")
    save_lesson(b'title = "Mine"\n[split]\nmethod = "stratified"', "mine.toml")
    assert load_lesson("mine").title == "Mine"
    assert "mine" in lesson_names() and "genre-factor" in lesson_names()


def test_a_deadline_closes_the_lesson_after_it():
    import datetime as dt

    lesson = parse_lesson(
        {"title": "T", "split": {"method": "stratified"}, "deadline": "2020-01-01T12:00:00"}, "late"
    )
    assert lesson.deadline.tzinfo is not None and lesson.past_deadline()
    assert not lesson.past_deadline(dt.datetime(2019, 12, 31, tzinfo=dt.UTC))
