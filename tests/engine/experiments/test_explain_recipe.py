"""The "explain" recipe: one test track's prediction explained from a recipe alone (issue 13.4
through the CLI): probabilities, SHAP values that add up to the model's output, the nearest
track of the runner-up genre, permutation importance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import make_tracks, run_cli
from genre_core import experiments
from genre_core.errors import DataError
from genre_core.experiments.explain import ExplainSpec
from genre_core.experiments.recipe import DataSpec


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("explain") / "tracks.csv"
    make_tracks(300, seed=3).to_csv(path, index=False)
    return str(path)


def test_a_named_test_track_is_explained(csv_path):
    spec = ExplainSpec(DataSpec(source=csv_path, label="genre"), model="logreg", track="song 7")
    outcome = experiments.run(spec)
    report, out = outcome.result, outcome.summary
    test_rows = set(report.result.held_out.rows)
    assert report.track.name in test_rows  # a test track, never a training one
    assert "song 7" in out["track"]["title"].lower()
    assert sum(out["probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert out["track"]["predicted"] == next(iter(out["probabilities"]))
    explanation = report.explanation
    k = explanation.column()
    assert explanation.base[k] + explanation.shap[:, k].sum() == pytest.approx(
        explanation.output[k], abs=1e-6
    )
    assert {v["feature"] for v in out["shap"]["values"]} == {"danceability", "energy", "tempo"}
    assert out["counterfactual"]["genre"] != out["track"]["predicted"]
    ranked = [row["feature"] for row in out["importance"]]
    assert sorted(ranked) == ["danceability", "energy", "tempo"]


def test_a_track_not_in_the_test_part_is_named(csv_path):
    spec = ExplainSpec(DataSpec(source=csv_path, label="genre"), model="logreg", track="nothing")
    with pytest.raises(DataError, match="track: no test track .* 'nothing'"):
        experiments.run(spec)


def test_the_cli_prints_the_recipe_and_runs_it(csv_path, tmp_path):
    made = run_cli("spec", "explain", "--data", csv_path, "--label", "genre", "--model", "knn",
                   "--importance", "false")  # fmt: skip
    assert made.returncode == 0, made.stderr
    recipe = json.loads(made.stdout)
    assert recipe["kind"] == "explain" and recipe["split"]["group_column"] == "track"
    path = tmp_path / "explain.json"
    path.write_text(made.stdout)
    done = run_cli("run", str(path), "--json", "--no-log", "--quiet")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["model"] == "knn" and "importance" not in summary
    assert np.isfinite([v["shap"] for v in summary["shap"]["values"]]).all()
