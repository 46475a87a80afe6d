"""Label issues: flipped genres are found, overlapping genres are named."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from conftest import run_cli
from genre_core import experiments
from genre_core.data.dataset import from_user_frame
from genre_core.experiments.label_issues import LabelIssuesSpec
from genre_core.experiments.recipe import DataSpec


def tracks(n: int = 900, flipped: int = 30, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """pop, rock and rap well apart, and "indie" drawn like rock (two genres that overlap);
    ``flipped`` pop tracks filed as rap. Returns the table and the flipped rows."""
    rng = np.random.default_rng(seed)
    genres = np.array(["pop", "rock", "rap", "indie"])[np.arange(n) % 4]
    centre = {"pop": 0.0, "rock": 3.0, "rap": 6.0, "indie": 3.0}
    x = np.array([centre[g] for g in genres]) + rng.normal(0, 0.5, n)
    frame = pd.DataFrame(
        {
            "track_id": [f"t{i}" for i in range(n)],
            "energy": x,
            "danceability": -x + rng.normal(0, 0.5, n),
            "genre": genres,
        }
    )
    pop = np.flatnonzero(genres == "pop")
    wrong = rng.choice(pop, flipped, replace=False)
    frame.loc[wrong, "genre"] = "rap"
    return frame, wrong


def run_on(frame: pd.DataFrame, **settings):
    dataset = from_user_frame(frame, "tracks.csv", label="genre")
    spec = LabelIssuesSpec(DataSpec("tracks.csv"), **{"model": "logreg", **settings})
    return experiments.run(spec, dataset=dataset)


def test_flipped_genres_are_flagged_and_the_overlapping_pair_comes_first():
    frame, wrong = tracks()
    outcome = run_on(frame)
    result = outcome.result
    flagged = set(result.issues["row"])
    rap = set(np.flatnonzero(frame["genre"] == "rap"))
    assert len(flagged & set(wrong)) >= 2 / 3 * len(wrong)  # most flipped tracks are found
    assert len(flagged & set(wrong)) >= 0.8 * len(flagged & rap)  # and few true rap ones
    found = result.issues.set_index("row").loc[sorted(flagged & set(wrong))]
    assert (found["given genre"] == "rap").all() and (found["likely genre"] == "pop").mean() > 0.8
    first = result.overlaps.iloc[0]
    assert {first["genre"], first["other genre"]} == {"indie", "rock"}
    assert outcome.summary["flagged"] == result.flagged and result.rows == len(frame)


def test_a_clean_separable_table_has_few_issues():
    frame, _ = tracks(flipped=0)
    frame = frame[frame["genre"] != "indie"]
    result = run_on(frame).result
    assert result.flagged <= 0.02 * len(frame)


def test_copies_of_a_song_never_score_each_other():
    """The same song under two genres: grouped folds keep its copies together, so the copy
    filed under the unlikely genre is flagged (with plain folds the other copy would vouch)."""
    frame, _ = tracks(flipped=0)
    copies = frame[frame["genre"] == "pop"].head(20).assign(genre="rap")
    result = run_on(pd.concat([frame, copies], ignore_index=True)).result
    copied = set(range(len(frame), len(frame) + 20))
    assert len(copied & set(result.issues["row"])) >= 16


def test_the_cli_makes_and_runs_the_recipe(tmp_path):
    frame, _ = tracks()
    data = tmp_path / "tracks.csv"
    frame.to_csv(data, index=False)
    made = run_cli("spec", "label-issues", "--data", str(data), "--label", "genre",
                   "--model", "logreg", "--folds", "3")  # fmt: skip
    assert made.returncode == 0, made.stderr
    recipe = tmp_path / "issues.json"
    recipe.write_text(made.stdout)
    assert json.loads(made.stdout)["folds"] == 3
    ran = run_cli("run", str(recipe), "--json", "--no-log")
    assert ran.returncode == 0, ran.stderr
    summary = json.loads(ran.stdout)
    assert summary["kind"] == "label-issues" and summary["flagged"] > 0
    assert {"genre", "other genre", "tracks", "joint"} <= set(summary["overlaps"][0])
