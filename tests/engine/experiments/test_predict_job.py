"""The "predict" recipe: unlabelled tracks predicted by a fitted model on a worker (the
Predict panel's job, issue 12). A session model handed over with the file's bytes gives the
table the panel computed in the web server before; a file that cannot be read fails with the
reader's message; a stored run predicts a CSV path from the recipe alone, also through the CLI
and on a LocalCluster worker."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import make_tracks, spec_and_run
from genre_core import experiments
from genre_core.data.registry import DATASETS
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.experiments.predict import predict_table, read_unlabeled, submission_table
from genre_core.experiments.predict_job import Predictions, PredictSpec
from genre_core.experiments.recipe import DataSpec, RecipeError
from genre_core.experiments.train import ModelChoice, TrainSpec
from genre_core.runs.engine import Engine
from genre_core.runs.progress import TaskState

FEATURES = ("danceability", "energy", "tempo")
MUSIC11 = DATASETS["music-genre-11"]


def fitted(genres=("pop", "rock", "rap")):
    tracks = make_tracks(300, genres=genres, seed=3)
    config = TrainConfig("logreg", {}, features=FEATURES, split=SplitSpec.of(test=0.3))
    return train_model(tracks, "genre", config, TaskState(n_boot=10)).pipeline


def unlabelled(n: int = 40) -> bytes:
    return make_tracks(n, seed=9).drop(columns="genre").to_csv(index=False).encode()


def test_a_session_model_and_an_upload_give_the_table_computed_here():
    pipeline, raw = fitted(), unlabelled()
    here = predict_table(pipeline, read_unlabeled(raw, "new.csv"), FEATURES)
    inputs = {"pipeline": pipeline, "features": list(FEATURES), "raw": raw, "filename": "new.csv"}
    events = []
    outcome = experiments.run(PredictSpec(), events.append, inputs=inputs)
    result = outcome.result
    assert isinstance(result, Predictions) and result.file == "new.csv"
    pd.testing.assert_frame_equal(result.table, here)
    assert result.submission is None and not result.submission_error  # no class names
    assert outcome.summary["rows"] == 40 and sum(outcome.summary["predicted"].values()) == 40
    assert [e["stage"] for e in events] == ["start", "done"]
    assert outcome.run_ids == ()  # nothing logged


def test_the_kaggle_submission_comes_with_a_model_of_every_class():
    names = tuple(MUSIC11.class_names[i] for i in sorted(MUSIC11.class_names))
    pipeline, raw = fitted(names), unlabelled(30)
    inputs = {"pipeline": pipeline, "features": FEATURES, "raw": raw, "filename": "t.csv"}
    result = experiments.run(PredictSpec(DataSpec("music-genre-11")), inputs=inputs).result
    expected = submission_table(result.table, MUSIC11.class_names)
    pd.testing.assert_frame_equal(result.submission, expected)
    assert result.submission.shape == (30, 11)

    inputs["pipeline"] = fitted()  # three genres: no submission, and the reason
    outcome = experiments.run(PredictSpec(DataSpec("music-genre-11")), inputs=inputs)
    assert outcome.result.submission is None
    assert "all 11 genres" in outcome.summary["submission_error"]


def test_a_bad_file_fails_with_the_readers_message():
    model = {"pipeline": fitted(), "features": FEATURES}
    missing = make_tracks(20).drop(columns=["genre", "tempo"]).to_csv(index=False).encode()
    with pytest.raises(DataError, match="lacks the feature column.*tempo"):
        experiments.run(PredictSpec(), inputs={**model, "raw": missing, "filename": "x.csv"})
    with pytest.raises(DataError, match="bin.csv"):
        experiments.run(PredictSpec(), inputs={**model, "raw": b"\x00\x01\x02" * 50,
                                               "filename": "bin.csv"})  # fmt: skip
    with pytest.raises(RecipeError, match="input: name the CSV"):
        experiments.run(PredictSpec(), inputs=model)
    with pytest.raises(RecipeError, match="run_id: name the stored run"):
        experiments.run(PredictSpec(input="test"))
    with pytest.raises(RecipeError, match="input: 'mine.csv' has no unlabelled test file"):
        experiments.run(PredictSpec(DataSpec("mine.csv"), input="test"), inputs=model)


def test_a_stored_run_predicts_a_csv_path_from_the_cli(tmp_path, store, capsys):
    path = tmp_path / "tracks.csv"
    make_tracks(240, seed=3).to_csv(path, index=False)
    data = DataSpec(str(path), label="genre", features=FEATURES)
    trained = experiments.run(TrainSpec(data, SplitSpec.of(test=0.3), (ModelChoice("logreg"),)))
    (run_id,) = trained.run_ids
    new = tmp_path / "new.csv"
    new.write_bytes(unlabelled(25))
    options = ["--features", ",".join(FEATURES), "--run-id", run_id, "--input", str(new)]
    recipe, printed = spec_and_run(
        capsys, tmp_path, "predict", "--data", str(path), "--label", "genre", *options
    )
    assert recipe["kind"] == "predict" and recipe["run_id"] == run_id
    assert printed["file"] == "new.csv" and printed["rows"] == 25 and printed["run_id"] == run_id

    with pytest.raises(RecipeError, match="input: .*gone.csv is not a file"):
        experiments.run(PredictSpec(data, run_id=run_id, input=str(tmp_path / "gone.csv")))


def test_on_a_worker_the_job_gives_the_table_and_a_bad_file_its_message():
    pipeline, raw = fitted(), unlabelled()
    inputs = {"pipeline": pipeline, "features": FEATURES, "raw": raw, "filename": "new.csv"}
    here = experiments.run(PredictSpec(), inputs=inputs).result
    engine = Engine(workers=1)
    try:
        job = engine.wait(engine.submit(PredictSpec(), "p", options={"inputs": inputs}), 300)
        assert job.status == "done", job.error
        pd.testing.assert_frame_equal(job.outcome.result.table, here.table)

        bad = {**inputs, "raw": b"danceability,energy\n0.1,0.2\n", "filename": "bad.csv"}
        job = engine.wait(engine.submit(PredictSpec(), "p", options={"inputs": bad}), 300)
        assert job.status == "failed" and "lacks the feature column(s)" in job.error
        assert "tempo" in job.error and "Traceback" not in job.error
    finally:
        engine.close()
