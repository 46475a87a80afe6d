"""The server-wide cap on background jobs: the rest wait in order and know their place."""

from __future__ import annotations

import threading
import time

from dashboard import jobs


def _wait(job: jobs.Job, status: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.drain()
        if job.status == status:
            return
        time.sleep(0.02)
    raise AssertionError(f"{job.title} is {job.status}, not {status}")


def _blocking(release: threading.Event):
    def work(emit, cancel):
        emit({"stage": "began"})
        while not release.is_set() and not cancel.is_set():
            time.sleep(0.01)
        return "result"

    return work


def test_the_cap_queues_jobs_in_order_and_starts_them_as_slots_free(monkeypatch):
    monkeypatch.setenv("GENRE_MAX_JOBS", "1")
    assert jobs.max_jobs() == 1
    first_go, second_go, third_go = threading.Event(), threading.Event(), threading.Event()
    first = jobs.start("first", _blocking(first_go))
    second = jobs.start("second", _blocking(second_go))
    third = jobs.start("third", _blocking(third_go))
    try:
        assert first.status == "running" and first.place is None
        assert (second.status, second.place) == ("queued", 1)
        assert (third.status, third.place) == ("queued", 2)
        assert second.running and second.queued  # not finished: pages keep polling it
        second.stop()  # a queued job ends at once, and the one behind moves up
        _wait(second, "stopped")
        assert second.events == [] and third.place == 1
        first_go.set()
        _wait(first, "done")
        assert first.result == "result"
        _wait(third, "running")
        assert third.place is None and third.events == [{"stage": "began"}]
    finally:
        for event in (first_go, second_go, third_go):
            event.set()
        _wait(third, "done")


def test_the_cap_comes_from_genre_lab_toml(monkeypatch, tmp_path):
    monkeypatch.delenv("GENRE_MAX_JOBS", raising=False)
    assert jobs.max_jobs() == 2  # the shipped genre_lab.toml
    settings = tmp_path / "genre_lab.toml"
    settings.write_text("[jobs]\nmax_concurrent = 3\n")
    monkeypatch.setattr(jobs, "SETTINGS", settings)
    assert jobs.max_jobs() == 3
    settings.write_text("not toml [")
    assert jobs.max_jobs() == 2
