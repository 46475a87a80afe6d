"""The duplicate audit on a table whose answers are counted by hand."""

import pandas as pd
import pytest

from genre_core.data.audit import audit, conflicts
from genre_core.data.dataset import from_user_frame


@pytest.fixture
def dataset():
    frame = pd.DataFrame(
        {
            "track_id": ["a", "a", "a", "b", "b", "c", "d", "e"],
            "energy": [0.1, 0.1, 0.1, 0.5, 0.5, 0.9, 0.3, 0.3],
            "genre": ["pop", "pop", "rock", "rap", "rap", "pop", "rock", "rap"],
        }
    )
    return from_user_frame(frame, "t.csv")


def test_counts(dataset):
    report = audit(dataset, test_fraction=0.5)
    assert report.key == "track_id"
    assert report.unique_ids == 5
    assert report.duplicate_ids == 2  # a and b
    assert report.conflicting_ids == 1  # a: pop and rock
    assert report.duplicate_rows == 4  # a twice more, b once more, e repeats d
    # Only the second 'a' pop can't be right alongside the rock one: 7 of 8.
    assert report.accuracy_ceiling == pytest.approx(7 / 8)
    # Group of 3: 3 * 0.5 * (1 - 0.5**2); group of 2: 2 * 0.5 * (1 - 0.5).
    assert report.expected_leaked_test_rows == pytest.approx(1.125 + 0.5)


def test_without_ids_identical_features_are_one_song(dataset):
    report = audit(from_user_frame(dataset.frame.drop(columns="track_id"), "t.csv"))
    assert report.key == "features"
    assert report.conflicting_ids == 2  # energy 0.1 (pop/rock) and 0.3 (rock/rap)


def test_conflicts_table(dataset):
    table = conflicts(dataset)
    assert table["track_id"].tolist() == ["a"]
    assert table["genres"].tolist() == ["pop, rock"] and table["rows"].tolist() == [3]
