"""The worker's side of the engine: what a job sends, and how a worker is set up."""

from __future__ import annotations

import os

from genre_core.runs.engine import SHARED_ENV, shared_env
from genre_core.runs.worker import _environment, _Sender


class RecordingQueue:
    def __init__(self) -> None:
        self.sent: list[dict] = []

    def put(self, event: dict) -> None:
        self.sent.append(event)


def test_boosting_rounds_are_coalesced_but_the_last_is_always_sent() -> None:
    queue = RecordingQueue()
    send = _Sender(queue, "job-1")
    send({"stage": "start", "model": "xgboost"})
    for done in range(1, 301):  # a 300-round fit reported faster than four times a second
        send({"stage": "fit", "model": "xgboost", "done": done, "total": 300})
    send.flush()
    fits = [event for event in queue.sent if event["stage"] == "fit"]
    assert queue.sent[0]["stage"] == "start" and queue.sent[0]["_job"] == "job-1"
    assert 1 <= len(fits) < 10  # not one round trip to the scheduler per round
    assert fits[-1]["done"] == 300


def test_an_epoch_event_is_never_skipped() -> None:
    queue = RecordingQueue()
    send = _Sender(queue, "job-2")
    for epoch in range(1, 21):
        send({"stage": "epoch", "epoch": epoch, "train_loss": 1.0 / epoch})
    assert [event["epoch"] for event in queue.sent] == list(range(1, 21))


def test_a_held_counter_is_sent_before_the_next_stage() -> None:
    queue = RecordingQueue()
    send = _Sender(queue, "job-3")
    send({"stage": "fit", "done": 1, "total": 10})
    send({"stage": "fit", "done": 2, "total": 10})  # held: sent less than 0.25 s after
    send({"stage": "evaluate"})
    assert [(e["stage"], e.get("done")) for e in queue.sent] == [
        ("fit", 1),
        ("fit", 2),
        ("evaluate", None),
    ]


def test_a_job_takes_the_servers_folders_and_unsets_what_the_server_left_unset(monkeypatch):
    # a worker started while the server had a cache folder set, by a test say
    monkeypatch.setenv("GENRE_CACHE_DIR", "/tmp/left-over")
    monkeypatch.setenv("GENRE_RUNS_DIR", "/tmp/old-runs")
    worker_env = dict(os.environ)
    monkeypatch.delenv("GENRE_CACHE_DIR")
    monkeypatch.setenv("GENRE_RUNS_DIR", "/tmp/runs")
    env = shared_env()  # what the server sends with each job
    assert set(env) == set(SHARED_ENV) and env["GENRE_CACHE_DIR"] is None
    monkeypatch.setattr(os, "environ", worker_env)
    with _environment(env):
        assert "GENRE_CACHE_DIR" not in os.environ
        assert os.environ["GENRE_RUNS_DIR"] == "/tmp/runs"
    assert os.environ["GENRE_CACHE_DIR"] == "/tmp/left-over"  # the worker's own, back
    assert os.environ["GENRE_RUNS_DIR"] == "/tmp/old-runs"
