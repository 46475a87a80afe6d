"""The "explain-model" recipe: a fitted model explained without training it (the Explain page's
jobs, issue 12): a session model handed over with the few rows it reads gives the values the
page computed in the web server before, and a stored run is explained by its id from the
recipe alone (its rows found in the recipe's table), also through the CLI."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_tracks, spec_and_run
from genre_core import experiments
from genre_core.data.preprocess import feature_matrix
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.explain_model import ExplainModelSpec
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.experiments.recipe import DataSpec, RecipeError
from genre_core.experiments.train import ModelChoice, TrainSpec
from genre_core.explain import TrackExplainer, TrackExplanation, importance_table
from genre_core.explain.importance import scored_rows
from genre_core.explain.shapley import background
from genre_core.explain.stored import model_rows, stored_model
from genre_core.runs.progress import TaskState

FEATURES = ("danceability", "energy", "tempo")


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("explain-model") / "tracks.csv"
    make_tracks(300, seed=3).to_csv(path, index=False)
    return str(path)


def fitted(model: str):
    """A model fitted on ``make_tracks(300)`` with its test and training feature rows."""
    tracks = make_tracks(300, seed=3)
    config = TrainConfig(model, {}, features=FEATURES, split=SplitSpec.of(test=0.3))
    result = train_model(tracks, "genre", config, TaskState(n_boot=10))
    test = tracks.loc[result.held_out.rows]
    reference = tracks.drop(index=result.held_out.rows)
    return result.pipeline, test, reference


@pytest.mark.parametrize("model", ["svm", "logreg"])
def test_a_session_model_with_its_rows_gives_the_values_computed_here(model):
    pipeline, test, reference = fitted(model)
    X, X_ref = feature_matrix(test, FEATURES), feature_matrix(reference, FEATURES)
    here = TrackExplainer(pipeline, FEATURES, X_ref).explain(X[4])
    inputs = {"pipeline": pipeline, "features": FEATURES, "x": X[4], "reference": background(X_ref)}
    events = []
    outcome = experiments.run(ExplainModelSpec(position=4), events.append, inputs=inputs)
    explanation = outcome.result
    assert isinstance(explanation, TrackExplanation)
    assert explanation.kind == ("permutation" if model == "svm" else "linear")
    np.testing.assert_allclose(explanation.shap, here.shap)
    assert outcome.summary["shap"]["genre"] == here.predicted
    assert [e["stage"] for e in events] == ["start", "done"]

    y = test["genre"].to_numpy(str)
    X_rows, y_rows = scored_rows(X, y, rows=60)  # what the page sends: the rows scored only
    spec = ExplainModelSpec(compute="importance", rows=60)
    inputs = {"pipeline": pipeline, "features": FEATURES, "X": X_rows, "y": y_rows}
    table = experiments.run(spec, inputs=inputs).result
    assert table.equals(importance_table(pipeline, X, y, FEATURES, rows=60))


def test_a_stored_run_is_explained_from_the_recipe_alone(csv_path, store):
    data = DataSpec(csv_path, label="genre", features=FEATURES)
    trained = experiments.run(TrainSpec(data, SplitSpec.of(test=0.3), (ModelChoice("logreg"),)))
    (run_id,) = trained.run_ids
    found = stored_model(run_id)
    table = data.load()
    test, reference = model_rows(
        "run", found.pipeline, found.features, found.held_out.rows, table.frame, "genre"
    )
    here = TrackExplainer(found.pipeline, FEATURES, feature_matrix(reference, FEATURES))
    expected = here.explain(feature_matrix(test, FEATURES)[2])

    outcome = experiments.run(ExplainModelSpec(data, run_id=run_id, position=2))
    np.testing.assert_allclose(outcome.result.shap, expected.shap)
    assert outcome.summary["track"]["position"] == 2
    assert outcome.summary["track"]["title"] == test["track_name"].iloc[2]

    title = test["track_name"].iloc[5]
    by_title = experiments.run(ExplainModelSpec(data, run_id=run_id, track=title))
    assert by_title.summary["track"]["title"] == title

    ranked = experiments.run(ExplainModelSpec(data, run_id=run_id, compute="importance"))
    assert sorted(ranked.result["feature"]) == sorted(FEATURES)


def test_the_cli_explains_a_stored_run_by_its_id(csv_path, store, tmp_path, capsys):
    data = DataSpec(csv_path, label="genre", features=FEATURES)
    trained = experiments.run(TrainSpec(data, SplitSpec.of(test=0.3), (ModelChoice("rf"),)))
    (run_id,) = trained.run_ids
    options = ["--features", ",".join(FEATURES), "--run-id", run_id, "--position", "1"]
    recipe, printed = spec_and_run(
        capsys, tmp_path, "explain-model", "--data", csv_path, "--label", "genre", *options
    )
    assert recipe["kind"] == "explain-model" and recipe["run_id"] == run_id
    assert printed["shap"]["explainer"] == "tree" and printed["track"]["position"] == 1
    assert {v["feature"] for v in printed["shap"]["values"]} == set(FEATURES)


def test_what_is_missing_is_named(csv_path, store):
    with pytest.raises(RecipeError, match="run_id: name the stored run"):
        experiments.run(ExplainModelSpec())
    with pytest.raises(DataError):
        experiments.run(ExplainModelSpec(run_id="no-such-run"))
    with pytest.raises(RecipeError, match="compute: .*track, importance"):
        ExplainModelSpec(compute="everything").check()
    data = DataSpec(csv_path, label="genre", features=FEATURES)
    trained = experiments.run(TrainSpec(data, SplitSpec.of(test=0.3), (ModelChoice("logreg"),)))
    with pytest.raises(RecipeError, match="position: the run has 90 test tracks"):
        experiments.run(ExplainModelSpec(data, run_id=trained.run_ids[0], position=90))
    pipeline, _, _ = fitted("logreg")
    # a session model without its rows and without a stored run: nothing to read them from
    with pytest.raises(RecipeError, match="run_id: a job given no rows"):
        experiments.run(ExplainModelSpec(), inputs={"pipeline": pipeline, "features": FEATURES})
