"""Stratified and grouped splits: fractions, reproducibility, no group on both sides."""

import numpy as np
import pandas as pd
import pytest

from conftest import make_tracks
from genre_core.data.splits import SplitSpec, split_rows
from genre_core.errors import DataError


def _parts(split):
    return [split.train, split.validation, split.test]


def test_stratified_three_way_split_is_a_partition_with_the_fractions():
    frame = make_tracks(600)
    split = split_rows(frame, "genre", SplitSpec(train=0.49, validation=0.30, test=0.21, seed=3))
    rows = np.concatenate(_parts(split))
    assert sorted(rows) == list(range(600))
    assert split.sizes() == {"train": 294, "validation": 180, "test": 126}
    for part in _parts(split):
        shares = frame["genre"].iloc[part].value_counts(normalize=True)
        assert shares.max() - shares.min() < 0.02  # the three genres stay balanced


def test_same_seed_same_split_other_seed_other_split():
    frame = make_tracks(300)
    a = split_rows(frame, "genre", SplitSpec(seed=1))
    b = split_rows(frame, "genre", SplitSpec(seed=1))
    c = split_rows(frame, "genre", SplitSpec(seed=2))
    assert np.array_equal(a.test, b.test) and not np.array_equal(a.test, c.test)


@pytest.mark.parametrize("column", ["track_id", "track_artist"])
def test_grouped_split_never_shares_a_group(column):
    frame = make_tracks(400)
    frame.loc[::37, column] = None  # missing keys are groups of their own
    split = split_rows(
        frame, "genre", SplitSpec("group", column, train=0.6, validation=0.2, test=0.2, seed=5)
    )
    sides = [set(frame[column].iloc[p].dropna()) for p in _parts(split)]
    assert not sides[0] & sides[1] and not sides[0] & sides[2] and not sides[1] & sides[2]
    assert sorted(np.concatenate(_parts(split))) == list(range(400))
    assert abs(len(split.test) / 400 - 0.2) < 0.05


def test_bad_configurations():
    with pytest.raises(DataError, match="add up to 1"):
        SplitSpec(train=0.5, test=0.3)
    with pytest.raises(DataError, match="needs a group column"):
        SplitSpec(method="group")
    frame = pd.DataFrame({"genre": ["a", "a", "b"], "x": [1, 2, 3]})
    with pytest.raises(DataError, match="genre 'b' has a single row"):
        split_rows(frame, "genre", SplitSpec())
