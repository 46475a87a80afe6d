"""A long fit reports itself: a fit event per boosting round or batch of trees, with the seconds
elapsed and left, and a stop request honoured within a round; the embedding's events reach the
Train kind's progress too."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import make_tracks
from genre_core.data.dataset import from_user_frame
from genre_core.experiments import train
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.experiments.recipe import DataSpec
from genre_core.experiments.train import ModelChoice, TrainSpec
from genre_core.models.classical import fit_pipeline, make_model
from genre_core.runs.progress import Cancelled, TaskState, step_text

FEATURES = ("danceability", "energy", "tempo")


class Flag:
    """A cancel flag a test sets from the progress callback."""

    def __init__(self) -> None:
        self.on = False

    def is_set(self) -> bool:
        return self.on


def fits(events: list[dict]) -> list[dict]:
    return [e for e in events if e["stage"] == "fit"]


def test_an_xgboost_fit_reports_every_round_with_time_elapsed_and_left():
    events: list[dict] = []
    config = TrainConfig("xgboost", {"n_estimators": 20}, features=FEATURES)
    result = train_model(make_tracks(150), "genre", config, TaskState(events.append, n_boot=10))
    rounds = fits(events)
    assert [e["done"] for e in rounds] == list(range(1, 21))
    assert {e["total"] for e in rounds} == {20} and {e["model"] for e in rounds} == {"xgboost"}
    assert all(e["elapsed"] >= 0 and e["eta"] >= 0 for e in rounds)
    elapsed = [e["elapsed"] for e in rounds]
    assert elapsed == sorted(elapsed) and rounds[-1]["eta"] == 0
    assert step_text(rounds[4]).startswith("xgboost: round 5 of 20 · ")
    assert "left" in step_text(rounds[4]) and "left" not in step_text(rounds[-1])
    assert events.index(rounds[-1]) < [e["stage"] for e in events].index("evaluate")
    result.record()  # the fitted model keeps no callback: it still serialises


def test_a_stop_request_ends_an_xgboost_fit_within_a_round():
    flag, events = Flag(), []

    def progress(event: dict) -> None:
        events.append(event)
        if event["stage"] == "fit" and event["done"] == 3:
            flag.on = True

    config = TrainConfig("xgboost", {"n_estimators": 20}, features=FEATURES)
    with pytest.raises(Cancelled):
        train_model(make_tracks(150), "genre", config, TaskState(progress, flag))
    assert [e["done"] for e in fits(events)] == [1, 2, 3]


def test_stop_during_a_train_job_keeps_no_half_fitted_model():
    flag = Flag()

    def progress(event: dict) -> None:
        flag.on = flag.on or (event["stage"] == "fit" and event["done"] == 3)

    spec = TrainSpec(
        DataSpec(features=FEATURES),
        models=(ModelChoice("xgboost", None, {"n_estimators": 20}),),
        log=False,
    )
    outcome = train.run(spec, TaskState(progress, flag), dataset=_dataset(150))
    assert outcome.result.runs == ()


def test_a_forest_grows_in_batches_into_the_forest_of_one_fit():
    frame = make_tracks(150)
    X, y = frame[list(FEATURES)].to_numpy(), frame["genre"].to_numpy()
    params = {"n_estimators": 35}
    whole = fit_pipeline(make_model("rf", params, seed=3), X, y)
    reports: list[tuple[int, int]] = []
    grown = fit_pipeline(make_model("rf", params, seed=3), X, y, lambda *r: reports.append(r))
    assert reports == [(n, 35) for n in (4, 8, 12, 16, 20, 24, 28, 32, 35)]
    assert np.array_equal(whole.predict_proba(X), grown.predict_proba(X))
    forest = grown[-1]
    assert forest.get_params()["warm_start"] is False and len(forest.estimators_) == 35


def test_the_train_kind_forwards_the_embedding_events(monkeypatch):
    from genre_core.data.features import Layout
    from genre_core.experiments import fitting

    def fake_matrix(table, *, progress, numeric, **_):
        for done in (2048, 4096, 5000):
            progress(done, 5000)
        X = table[list(numeric)].to_numpy()
        return X, Layout(numeric=X.shape[1])

    monkeypatch.setattr(fitting, "build_matrix", fake_matrix)
    events: list[dict] = []
    spec = TrainSpec(DataSpec(features=FEATURES), feature_set="numeric+text", log=False)
    train.run(spec, TaskState(events.append, n_boot=10), dataset=_dataset(150))
    embeds = [e for e in events if e["stage"] == "embed"]
    assert [(e["done"], e["total"]) for e in embeds] == [(2048, 5000), (4096, 5000), (5000, 5000)]
    assert all(e["elapsed"] >= 0 for e in embeds) and embeds[0]["eta"] >= 0
    assert step_text(embeds[0]).startswith("embedding titles: 2,048 of 5,000 · ")


def _dataset(n: int):
    return from_user_frame(make_tracks(n), "tracks.csv", label="genre")
