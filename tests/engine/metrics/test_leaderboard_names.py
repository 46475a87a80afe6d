"""Issue 17, item 3: the leaderboard tells apart two runs of one model with other settings."""

from __future__ import annotations

import numpy as np
import pytest

from genre_core.metrics.evaluation import evaluate
from genre_core.metrics.leaderboard import Entry, entry_names, leaderboard, leaderboard_text


@pytest.fixture(scope="module")
def evaluation():
    rng = np.random.default_rng(0)
    true = rng.choice(["pop", "rap", "rock"], 60)
    proba = rng.dirichlet(np.ones(3), 60)
    return evaluate(true, proba, ["pop", "rap", "rock"], n_boot=20)


def test_two_runs_of_one_model_are_named_by_what_differs(evaluation):
    entries = [
        Entry("#1 logreg", "d", "random 70/30", evaluation, 1.0, features="numeric"),
        Entry("#2 xgboost (defaults)", "d", "random 70/30", evaluation, 1.0, features="numeric"),
        Entry("#3 xgboost (defaults)", "d", "grouped 80/20", evaluation, 1.0, features="text"),
    ]
    assert entry_names(entries) == [
        "#1 logreg · random 70/30 · numeric",
        "#2 xgboost (defaults) · random 70/30 · numeric",
        "#3 xgboost (defaults) · grouped 80/20 · text",
    ]
    same = [entries[0], entries[1]]
    assert entry_names(same) == ["#1 logreg", "#2 xgboost (defaults)"]  # nothing differs


def test_the_board_shows_split_and_features_as_columns(evaluation):
    board = leaderboard(
        [
            Entry("#1 xgboost", "d", "random 70/30", evaluation, 1.0, features="numeric"),
            Entry("#2 xgboost", "d", "grouped 80/20", evaluation, 1.0),
        ]
    )
    assert board["run"].tolist() == [
        "#1 xgboost · random 70/30 · numeric",  # the other did not say its features
        "#2 xgboost · grouped 80/20",
    ]
    text = leaderboard_text(board)
    assert list(text.columns[:4]) == ["run", "split", "features", "data"]
    assert text["split"].tolist() == ["random 70/30", "grouped 80/20"]
    assert text["features"].tolist() == ["numeric", "—"]  # an entry that did not say
    assert text["data"].tolist() == ["d, 3 genres", "d, 3 genres"]
