"""Background jobs for the pages: a worker thread runs engine code and only puts events on a
queue; the page drains the queue from an ``st.fragment(run_every=...)`` and draws them.

Nothing here calls ``st.*`` from the worker thread. A server-wide cap (``[jobs]
max_concurrent`` in ``.streamlit/genre_lab.toml``, or ``$GENRE_MAX_JOBS``) limits how many
jobs of all sessions run at once; the others wait in a first-come queue and know their place.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import tomllib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genre_core.errors import DataError
from genre_core.runs.progress import Cancelled

Work = Callable[[Callable[[dict], None], threading.Event], Any]
SETTINGS = Path(__file__).resolve().parent.parent / ".streamlit" / "genre_lab.toml"


def max_jobs() -> int:
    """The server-wide cap on jobs running at once (at least 1; 2 when unset)."""
    value = os.environ.get("GENRE_MAX_JOBS", "").strip()
    if not value:
        try:
            with SETTINGS.open("rb") as handle:
                value = tomllib.load(handle)["jobs"]["max_concurrent"]
        except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
            value = 2
    try:
        return max(1, int(value))
    except ValueError:
        return 2


@dataclass
class Job:
    """A queued, running or finished job, kept in session state.

    ``status`` is "queued", "running", "done", "stopped" or "failed"; ``events`` is every
    event drained so far, ``result`` what the work function returned, ``error`` the message of
    a failure. ``running`` is true while queued too: the job is not finished.
    """

    title: str
    inbox: queue.Queue = field(default_factory=queue.Queue)
    cancel: threading.Event = field(default_factory=threading.Event)
    status: str = "running"
    events: list[dict] = field(default_factory=list)
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    thread: threading.Thread | None = None
    collected: bool = False  # the page has taken the result
    work: Work | None = None

    @property
    def running(self) -> bool:
        return self.status in ("queued", "running")

    @property
    def queued(self) -> bool:
        return self.status == "queued"

    @property
    def place(self) -> int | None:
        """1 for the next job to start, 2 for the one after...; None once started."""
        return _SLOTS.place(self)

    def stop(self) -> None:
        """Ask the work to stop at its next check; a queued job ends at once."""
        self.cancel.set()
        if _SLOTS.withdraw(self):
            self.inbox.put({"stage": "_end", "status": "stopped", "result": None, "error": None})

    def drain(self) -> list[dict]:
        """Move the queued events into ``events`` and update the status; return the new ones."""
        new = []
        while True:
            try:
                event = self.inbox.get_nowait()
            except queue.Empty:
                break
            if event.get("stage") == "_end":
                self.status, self.result, self.error = (
                    event["status"],
                    event["result"],
                    event["error"],
                )
                self.finished = time.monotonic()
                continue
            new.append(event)
        self.events.extend(new)
        return new


def start(title: str, work: Work) -> Job:
    """Run ``work(emit, cancel)`` in a daemon thread; it reports through ``emit(event)``.

    When :func:`max_jobs` jobs already run, the job waits (status "queued") and starts as
    soon as one of them ends.
    """
    job = Job(title, work=work)
    _SLOTS.submit(job)
    return job


def _launch(job: Job) -> None:
    def run() -> None:
        status, result, error = "done", None, None
        try:
            result = job.work(job.inbox.put, job.cancel)
        except Cancelled:
            status = "stopped"
        except DataError as exc:
            status, error = "failed", str(exc)
        except Exception as exc:  # a bug: keep the page alive and say what happened
            status, error = "failed", f"internal error ({type(exc).__name__}: {exc})"
            traceback.print_exc()
        finally:
            _SLOTS.release()
        if status == "done" and job.cancel.is_set():
            status = "stopped"
        job.inbox.put({"stage": "_end", "status": status, "result": result, "error": error})

    job.status, job.started = "running", time.monotonic()
    job.thread = threading.Thread(target=run, name=f"genre-lab job: {job.title}", daemon=True)
    job.thread.start()


class _Slots:
    """The server-wide count of running jobs and the queue of those waiting, first come first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active = 0
        self.waiting: list[Job] = []

    def submit(self, job: Job) -> None:
        with self.lock:
            if self.active >= max_jobs():
                job.status = "queued"
                self.waiting.append(job)
                return
            self.active += 1
        _launch(job)

    def release(self) -> None:
        with self.lock:
            self.active -= 1
            if not self.waiting or self.active >= max_jobs():
                return
            self.active += 1
            job = self.waiting.pop(0)
        _launch(job)

    def withdraw(self, job: Job) -> bool:
        with self.lock:
            for i, waiting in enumerate(self.waiting):
                if waiting is job:
                    del self.waiting[i]
                    job.status = "stopped"
                    return True
            return False

    def place(self, job: Job) -> int | None:
        with self.lock:
            return next((i + 1 for i, w in enumerate(self.waiting) if w is job), None)


_SLOTS = _Slots()
