"""Issue 13.1: a shortcut's fix (drop the column, or flag its rows as a feature) is part of the
recipe (``DataSpec.fixes``), so a page's run and the CLI apply the same one."""

from __future__ import annotations

import numpy as np
import pytest
from test_shortcuts import clean_tracks, shortcuts_of

from genre_core import experiments
from genre_core.data.dataset import from_user_frame
from genre_core.data.shortcuts import apply_fixes, find_shortcuts
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.recipe import DataSpec


def minutes_for_folk():
    frame = clean_tracks()
    folk = frame["genre"] == "folk"
    frame.loc[folk, "duration_ms"] = frame.loc[folk, "duration_ms"] / 60_000
    return frame, folk


def missing_for_rap():
    frame = clean_tracks()
    rap = np.flatnonzero(frame["genre"] == "rap")[:150]
    frame.loc[rap, "energy"] = np.nan
    return frame, rap


def test_drop_takes_the_column_out_and_the_shortcut_with_it():
    frame, _ = minutes_for_folk()
    dataset = from_user_frame(frame, "t.csv", label="genre")
    fixed = apply_fixes(dataset, ["drop:duration_ms"])
    assert "duration_ms" in dataset.roles.features
    assert "duration_ms" not in fixed.roles.features
    assert find_shortcuts(fixed) == []
    assert shortcuts_of(frame)  # the finding was there before


@pytest.mark.parametrize("case", [minutes_for_folk, missing_for_rap])
def test_flag_adds_the_shortcut_rows_as_a_feature(case):
    frame, rows = case()
    dataset = from_user_frame(frame, "t.csv", label="genre")
    column = "duration_ms" if case is minutes_for_folk else "energy"
    fixed = apply_fixes(dataset, [f"flag:{column}"])
    flag = fixed.frame[f"{column}_flag"]
    expected = np.zeros(len(frame))
    expected[np.asarray(rows) if case is missing_for_rap else np.flatnonzero(rows)] = 1
    assert fixed.roles.features[-1] == f"{column}_flag"
    np.testing.assert_array_equal(flag.to_numpy(), expected)
    assert apply_fixes(fixed, [f"flag:{column}"]).frame.equals(fixed.frame)  # idempotent


@pytest.mark.parametrize(
    ("fixes", "message"),
    [
        (["cut:energy"], "'cut:energy' is not a fix"),
        (["drop:nope"], "'drop:nope' names no column"),
        (["flag:danceability"], "has neither"),
        (["drop:danceability", "drop:energy", "drop:duration_ms"], "no feature"),
    ],
)
def test_a_bad_fix_is_named(fixes, message):
    dataset = from_user_frame(clean_tracks(), "t.csv", label="genre")
    with pytest.raises(DataError, match=f"data.fixes: .*{message}"):
        apply_fixes(dataset, fixes)


def test_a_recipe_carries_its_fixes_through_json_and_the_run(tmp_path):
    frame, _ = missing_for_rap()
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    runs = {}
    for fixes in ((), ("flag:energy",), ("drop:energy",)):
        spec = experiments.recipe_class("train").from_options(
            DataSpec(source=str(path), label="genre", fixes=fixes),
            SplitSpec.of("stratified"),
            {"models": "logreg"},
        )
        again = experiments.load_recipe(spec.to_json())
        assert again.data.fixes == fixes
        runs[fixes] = experiments.run(again.with_changes(log=False)).result.runs[0].result
    assert "energy_flag" in runs[("flag:energy",)].config.features
    assert "energy" not in runs[("drop:energy",)].config.features
    # the missing values say "rap" once flagged (an imputed value alone hides them)
    flagged = runs[("flag:energy",)].evaluation.metrics["accuracy"]
    assert flagged > runs[()].evaluation.metrics["accuracy"]
