"""The worker's side of the job engine (:mod:`genre_core.runs.engine`): what runs inside a
Dask worker process.

:func:`run_job` runs one recipe inside the worker's thread budget, sends its progress events to
its engine's Dask ``Queue`` and checks Stop (a Dask ``Event``) between steps;
:func:`worker_setup` is the plugin every worker gets: jobs at a lower priority than the web
server, and the heavy libraries imported while the worker is idle.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from genre_core.errors import DataError
from genre_core.runs.budget import set_env

EVENTS = "genre-lab-events-{}"  # one Dask Queue per engine: its watcher drains it in one call
STOP = "genre-lab-stop-{}"
COALESCED = ("embed", "fit")  # counters of many small steps (batches, boosting rounds): their
# intermediate values may be skipped; each event is a round trip to the scheduler


class _StopFlag:
    """A Dask Event read at most twice a second (each read is a round trip to the scheduler).

    The first time it reads "set" it tells the engine (``on_seen``): a job that has seen Stop
    is winding down (evaluating what it kept, logging it) and is not cancelled for slowness.
    """

    def __init__(self, event, on_seen: Callable[[], None]) -> None:
        self.event = event
        self.on_seen = on_seen
        self.checked = 0.0
        self.value = False

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self.value and now - self.checked > 0.5:
            self.checked = now
            self.value = bool(self.event.is_set())
            if self.value:
                self.on_seen()
        return self.value


class _Sender:
    """Progress events, tagged with the job's id, onto its engine's Dask Queue: every event at
    once, but for the counters of many small steps (embedding batches, boosting rounds), sent at
    most four times a second (the last always). Sending each of an XGBoost fit's 300 rounds cost
    the class benchmark a round trip to the scheduler per round."""

    def __init__(self, queue, job_id: str) -> None:
        self.queue = queue
        self.job_id = job_id
        self.held: dict | None = None
        self.sent = 0.0

    def __call__(self, event: dict) -> None:
        event = {**_plain(event), "_job": self.job_id}
        now = time.monotonic()
        if event.get("stage") in COALESCED and event.get("done") != event.get("total"):
            if now - self.sent < 0.25:
                self.held = event
                return
        self.flush()
        self.queue.put(event)
        self.sent = now

    def flush(self) -> None:
        if self.held is not None:
            held, self.held = self.held, None
            self.queue.put(held)


def _plain(event: dict) -> dict:
    """The event with numpy scalars as Python numbers (the queue's messages are msgpack)."""
    out = {}
    for key, value in event.items():
        if hasattr(value, "item") and callable(value.item):
            value = value.item()
        elif isinstance(value, tuple):
            value = list(value)
        out[str(key)] = value
    return out


def run_job(
    recipe: dict,
    job_id: str,
    upload: bytes | None = None,
    options: dict | None = None,
    env: dict | None = None,
    events: str | None = None,
):
    """Run a recipe on a Dask worker: the worker's thread budget, events on the Dask Queue
    ``events`` (its engine's; default: one of the job's own), Stop from the job's event;
    ``env`` (the submitting server's data, cache and run-store settings, for workers on its
    machine) holds for the job's duration. Returns the
    :class:`~genre_core.experiments.Outcome`."""
    from distributed import Event, Queue, get_worker

    from genre_core import experiments
    from genre_core.data.uploads import keep_upload
    from genre_core.runs.budget import thread_budget
    from genre_core.runs.progress import Cancelled
    from genre_core.runs.store import quiet_logs

    quiet_logs()
    worker = get_worker()
    threads = worker.state.nthreads
    send = _Sender(Queue(events or EVENTS.format(job_id)), job_id)
    stop = _StopFlag(Event(STOP.format(job_id)), lambda: send({"stage": "_stopping"}))
    if upload is not None:
        keep_upload(upload)  # a worker on another machine gets the user's file with the job
    send({"stage": "_started", "worker": worker.address, "pid": os.getpid(), "threads": threads})
    with thread_budget(threads), _environment(env or {}):
        try:
            return experiments.run(experiments.load_recipe(recipe), send, stop, **(options or {}))
        except Cancelled:
            return Ended("stopped")
        except DataError as error:  # bad input, said plainly: not a worker error to log
            return Ended("failed", str(error))
        finally:
            send.flush()


@contextlib.contextmanager
def _environment(values: dict[str, str | None]):
    """Set environment variables for one job (a worker runs one job at a time); ``None``
    unsets one."""
    saved = {key: os.environ.get(key) for key in values}
    set_env(values)
    try:
        yield
    finally:
        set_env(saved)


WARM_MODULES = (  # what most jobs import: loaded once per worker, while it is idle
    "genre_core.experiments.train", "genre_core.experiments.net", "genre_core.models.classical",
    "genre_core.models.networks", "xgboost",
)  # fmt: skip
NICE = 10  # jobs yield the processor to the web server: pages stay quick while a class trains


def lower_priority(increment: int) -> None:
    """Run this process ``increment`` nice levels below its parent (the nanny, started by the
    web server or ``dask worker``), in every thread: on Linux a nice value belongs to each
    thread. Setting it again changes nothing; it never fails a worker."""
    if increment <= 0 or not hasattr(os, "setpriority"):
        return
    with contextlib.suppress(OSError):
        target = min(19, os.getpriority(os.PRIO_PROCESS, os.getppid()) + increment)
        tasks = [0]
        if os.path.isdir("/proc/self/task"):
            tasks = [int(task) for task in os.listdir("/proc/self/task")]
        for task in tasks:
            with contextlib.suppress(OSError):  # a thread that has just ended
                if os.getpriority(os.PRIO_PROCESS, task) < target:
                    os.setpriority(os.PRIO_PROCESS, task, target)


def warm_up() -> None:
    """Import the job kinds' heavy libraries (torch, XGBoost, scikit-learn) in the background
    of a worker that has just started, so the first job it runs does not pay for them (several
    seconds on a busy machine). A job that starts meanwhile waits only for what is left."""
    import importlib

    def load() -> None:
        for name in WARM_MODULES:
            with contextlib.suppress(Exception):  # a missing extra fails its job, not here
                importlib.import_module(name)
        with contextlib.suppress(Exception):
            _first_step()

    threading.Thread(target=load, name="genre-lab warm-up", daemon=True).start()


def _first_step() -> None:
    """One optimiser step of a tiny network: torch loads what it needs only on a first
    backward pass and step (its compiler's modules among them), which made a worker's first
    network job take twice as long as the next ones."""
    import torch

    layer = torch.nn.Linear(4, 2)
    optimizer = torch.optim.Adam(layer.parameters())
    loss = torch.nn.functional.cross_entropy(layer(torch.zeros(8, 4)), torch.zeros(8).long())
    loss.backward()
    optimizer.step()


def worker_setup(nice: int = NICE):
    """A worker plugin for every worker of the cluster, restarted ones included: jobs at a
    lower priority than the web server (``nice``), and their libraries imported ahead."""
    from distributed import WorkerPlugin

    class WorkerSetup(WorkerPlugin):
        name = "genre-lab-worker-setup"

        def setup(self, worker) -> None:
            lower_priority(nice)
            warm_up()

    return WorkerSetup()


@dataclass(frozen=True)
class Ended:
    """What a job that did not finish returns instead of an outcome: stopped, or failed with
    a message for the user (expected endings are results, not worker errors)."""

    status: str
    error: str | None = None
