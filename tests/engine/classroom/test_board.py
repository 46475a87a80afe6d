"""The board: hidden rows held back, scoring on the server, limits, ties and many writers."""

import multiprocessing

import pytest

from conftest import make_tracks
from genre_core.classroom import hidden as hidden_mod
from genre_core.classroom.board import BoardError, BoardStore, check_nickname
from genre_core.classroom.lessons import parse_lesson
from genre_core.classroom.scoring import (
    HalfScore,
    baselines,
    board_table,
    guess_scores,
    score_model,
    tie_ranks,
)
from genre_core.data.dataset import from_user_frame, load_upload
from genre_core.data.preprocess import PrepConfig
from genre_core.models.classical import make_model

LESSON = parse_lesson(
    {
        "title": "T",
        "split": {"method": "group", "group_column": "track_id"},
        "hidden": {"share": 0.25},
    },
    "toy",
)


@pytest.fixture
def dataset():
    return from_user_frame(make_tracks(400), "tracks.csv", label="genre")


@pytest.fixture
def store(tmp_path):
    store = BoardStore(f"sqlite:///{tmp_path / 'board.db'}")
    yield store
    store.close()


def score(accuracy=0.5, low=0.4, high=0.6, n=100):
    return HalfScore(accuracy, low, high, accuracy, n)


def test_hidden_rows_are_whole_tracks_kept_out_of_what_students_get(dataset):
    table = hidden_mod.lesson_table(dataset, LESSON)
    held = hidden_mod.hold_out(table, LESSON, b"server secret")
    assert len(held.frame) + len(held.public.frame) == len(dataset.frame)
    assert not set(held.frame["track_id"]) & set(held.public.frame["track_id"])
    assert set(held.half) == {"public", "private"}
    # the students' file (the kept upload their jobs train on) holds no hidden row
    public = load_upload(hidden_mod.public_csv(held), "lesson.csv")
    assert not set(public.frame["track_id"]) & set(held.frame["track_id"])
    assert len(public.frame) == len(held.public.frame)
    # another server secret holds back other rows: the lesson file alone cannot tell which
    other = hidden_mod.hold_out(table, LESSON, b"another secret")
    assert set(other.frame["track_id"]) != set(held.frame["track_id"])


def test_a_model_is_scored_on_each_half_with_intervals(dataset):
    held = hidden_mod.hold_out(dataset, LESSON, b"s")
    features = ("danceability", "energy", "tempo")
    pipeline = make_model("logreg", {}, PrepConfig(), 0)
    public = held.public.frame
    pipeline.fit(public[list(features)].to_numpy(), public["genre"].astype(str))
    scores = score_model(pipeline, features, pipeline.classes_, held)
    for half in ("public", "private"):
        s = scores[half]
        assert 0 <= s.low <= s.accuracy <= s.high <= 1 and s.n == (held.half == half).sum()
    assert scores["public"].accuracy > 0.6  # the toy genres are easy
    base = baselines(held)
    assert base["random"] == pytest.approx(1 / 3) and 0 < base["majority"] < 1
    with pytest.raises(Exception, match="other genres"):
        score_model(pipeline, features, ["pop", "rock"], held)


def test_ties_within_the_interval_share_a_rank():
    assert tie_ranks([0.6, 0.58, 0.4], [0.55, 0.53, 0.35], [0.65, 0.63, 0.45]) == [1, 1, 3]


def test_nicknames_are_checked():
    assert check_nickname("  Zoë_2 ") == "Zoë_2"
    for bad in ("x", "a" * 25, "<b>hi</b>", "=cmd()", "ab\ncd", "**bold**", " -lead"):
        with pytest.raises(BoardError, match="nickname"):
            check_nickname(bad)


def test_submissions_are_limited_and_ranked_best_first(store):
    token = store.join("toy", "ada", "s1")
    with pytest.raises(BoardError, match="taken"):
        store.join("toy", "ada", "s2")
    assert store.resume("toy", token, "s3") == "ada"  # a reload: a new session, the same key
    assert store.resume("toy", "guessed", "s4") is None
    assert store.resume("other", token, "s4") is None
    assert sorted(store.students("toy")["owner"]) == ["s1", "s3"]
    store.join("toy", "bob", "s2")
    for accuracy in (0.5, 0.7):
        store.submit(
            "toy",
            "ada",
            "logreg",
            {"public": score(accuracy, accuracy - 0.05, accuracy + 0.05), "private": score()},
            limit=2,
        )
    with pytest.raises(BoardError, match="all 2 submissions"):
        store.submit("toy", "ada", "rf", {"public": score(), "private": score()}, limit=2)
    store.submit(
        "toy", "bob", "svm", {"public": score(0.68, 0.63, 0.73), "private": score()}, limit=2
    )
    board = board_table(store.submissions("toy"))
    assert list(board["nickname"]) == ["ada", "bob"]  # ada's best only
    assert list(board["rank"]) == ["=1", "=1"]  # their intervals overlap
    assert not store.revealed("toy")
    store.reveal("toy")
    assert store.revealed("toy")
    store.reset("toy")
    assert store.submissions("toy").empty and not store.revealed("toy")
    assert store.submissions("other").empty


def _submit_many(url, nickname, count, out):
    store = BoardStore(url)
    done = 0
    for _ in range(count):
        try:
            store.submit("race", nickname, "m", {"public": score(), "private": score()}, limit=3)
            done += 1
        except BoardError:
            pass
    out.put(done)


def test_many_processes_never_pass_the_limit(tmp_path):
    url = f"sqlite:///{tmp_path / 'board.db'}"
    BoardStore(url).close()
    out = multiprocessing.get_context("spawn").Queue()
    workers = [
        multiprocessing.get_context("spawn").Process(target=_submit_many, args=(url, "eve", 4, out))
        for _ in range(3)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert sum(out.get() for _ in workers) == 3
    assert BoardStore(url).used("race", "eve") == 3


def test_guesses_count_once_per_track_and_score_per_genre(store):
    assert store.guess("toy", "ada", "t1", "pop", "pop", "rock")
    assert not store.guess("toy", "ada", "t1", "pop", "rock", "rock")  # not twice
    store.guess("toy", "ada", "t2", "rock", "pop", "rock")
    store.guess("toy", "bob", "t1", "pop", "pop", "pop")
    mine = guess_scores(store.guesses("toy", "ada")).set_index("genre")
    assert mine.loc["pop", "human"] == 1 and mine.loc["pop", "model"] == 0
    assert mine.loc["all genres", "tracks"] == 2
    everyone = guess_scores(store.guesses("toy")).set_index("genre")
    assert everyone.loc["all genres", "tracks"] == 3
