"""The job engine: recipes run in the worker processes of a Dask cluster.

By default :class:`Engine` starts an embedded ``LocalCluster`` of worker *processes* (one thread
each, with a memory limit); given a scheduler address (``tcp://host:8786``) it uses that cluster
instead, whose workers may live on other machines (``dask scheduler`` / ``dask worker``).

A job is a recipe sent to a worker (:func:`~genre_core.runs.worker.run_job`). The worker runs
it inside its thread budget and reports progress events on its engine's Dask ``Queue``; Stop
sets a Dask
``Event`` the job checks between steps, and a job that ignores it is cancelled and its worker
restarted. A watcher thread in the engine drains every job's events into the job's record, so a
page (or a second tab with the job's id) reads a job's whole history without touching Dask. A
worker that dies fails only its job, once (no retry), with a message saying so; the nanny
restarts it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from genre_core.errors import DataError
from genre_core.runs.worker import EVENTS, NICE, STOP, Ended, run_job, worker_setup

STOP_GRACE = 5.0  # seconds a job may take to notice Stop before it is cancelled
POLL = 0.25  # seconds between the watcher's rounds
SHARED_ENV = (  # what an embedded cluster's jobs take from the server that submits them
    "GENRE_DATA_DIR", "GENRE_CACHE_DIR", "GENRE_RUNS_DIR", "MLFLOW_TRACKING_URI",
    "GENRE_EMBED_FP32", "GENRE_DEVICE",
)  # fmt: skip


def shared_env() -> dict[str, str | None]:
    """This process's :data:`SHARED_ENV`, ``None`` for what it leaves unset: a job unsets it
    too, whatever its worker was started with (the workers of an embedded cluster outlive
    changes to the server's environment, as between tests)."""
    return {key: os.environ.get(key) for key in SHARED_ENV}


FAILED_WORKER = (
    "the worker process running this job died (it was killed, ran out of memory, or a native "
    "library crashed); the job was not retried, and the worker has been restarted."
)


# ---- in the web server or the CLI -------------------------------------------------------------


@dataclass
class Job:
    """What the engine knows of one job; read by pages, written by the engine's watcher.

    ``status``: "waiting" (held back: its session already runs a job), "queued" (sent to the
    cluster, not started), "running", "done", "stopped" or "failed".
    """

    id: str
    title: str
    kind: str
    owner: str
    recipe: dict
    options: dict = field(default_factory=dict)
    submitted: float = field(default_factory=time.time)
    status: str = "waiting"
    events: list[dict] = field(default_factory=list)
    outcome: Any = None
    error: str | None = None
    started: float | None = None
    finished: float | None = None
    worker: str | None = None
    stop_asked: float | None = None
    stop_seen: bool = False  # the job said it saw Stop and is winding down
    attempts: int = 0

    @property
    def running(self) -> bool:
        """Not finished yet (waiting, queued or running)."""
        return self.status in ("waiting", "queued", "running")

    @property
    def queued(self) -> bool:
        return self.status in ("waiting", "queued")

    @property
    def elapsed(self) -> float:
        start = self.started or self.submitted
        return (self.finished or time.time()) - start


# An embedded cluster's workers:
# - start from a fork server: "spawn" runs the parent's __main__ again in every new worker, and
#   in the web server __main__ is the page script Streamlit is running, so each worker (and each
#   restart) ran a whole page without a browser, data loading included;
# - run without Dask's statistical profiler, which samples every thread's stack every 10 ms for
#   nothing here reads it (15% of a worker's processor in the class benchmark);
# - wake less often for what only Dask's web dashboard shows (none is started): the watchdog
#   that notices a blocked event loop (every 20 ms in each of the scheduler, nannies and
#   workers) and the machine statistics (every 500 ms). An idle cluster of two workers used
#   11% of a core, 5% with these; the memory limit is still checked every 200 ms.
QUIET_WORKERS = {
    "distributed.worker.multiprocessing-method": "forkserver",
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "100ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "200ms",
}


class Engine:
    """Submit recipes to a Dask cluster and follow them.

    Parameters
    ----------
    address
        An existing scheduler (``tcp://host:8786``); ``None`` starts an embedded LocalCluster.
    workers
        Worker processes of the embedded cluster (default: the machine's cores).
    memory_limit
        Per worker (e.g. "4GiB"; default: the machine's memory shared out).
    per_session
        Jobs of one session (owner) running at once; the others wait, in order.
    queue_limit
        Jobs one session may have waiting.
    nice
        How much lower than the web server the workers run (0 to 19, Unix ``nice``): a page
        stays quick to draw while every worker is busy.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        memory_limit: str | None = None,
        per_session: int = 1,
        queue_limit: int = 3,
        nice: int = NICE,
    ) -> None:
        import dask
        from distributed import Client, LocalCluster, Queue

        # A worker that dies fails its job once, with a message, instead of retrying it
        # (a job that eats memory would otherwise kill worker after worker).
        dask.config.set({"distributed.scheduler.allowed-failures": 0, **QUIET_WORKERS})
        self.cluster = None
        if address:
            try:
                self.client = Client(address, timeout="10s")
            except OSError as error:
                raise DataError(f"no Dask scheduler answers at {address}: {error}") from None
        else:
            self.cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                memory_limit=memory_limit or "auto",
                dashboard_address=None,
                silence_logs=logging.CRITICAL,
            )
            self.client = Client(self.cluster)
        with contextlib.suppress(Exception):  # a nicety: a job imports what it needs anyway
            self.client.register_plugin(worker_setup(nice))
        self.per_session = max(1, per_session)
        self.queue_limit = max(0, queue_limit)
        self._jobs: dict[str, Job] = {}
        self._futures: dict[str, Any] = {}
        self._events_name = EVENTS.format(secrets.token_hex(8))
        self._events = Queue(self._events_name, client=self.client)
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="genre-lab engine", daemon=True)
        self._watcher.start()

    # ---- submitting ------------------------------------------------------------------------

    def submit(
        self, recipe, owner: str = "cli", *, title: str | None = None, options: dict | None = None
    ) -> Job:
        """Queue a recipe for ``owner`` (a browser session, the CLI) and return its job;
        ``options`` go to the kind's ``run`` (e.g. ``source="train"`` for the run history).

        Raises
        ------
        DataError
            When the owner already has :attr:`queue_limit` jobs waiting.
        """
        recipe.check()
        with self._lock:
            mine = [j for j in self._jobs.values() if j.owner == owner and j.running]
            waiting = [j for j in mine if j.status == "waiting"]
            if len(waiting) >= self.queue_limit and len(mine) >= self.per_session:
                raise DataError(
                    f"you already have {len(waiting)} jobs waiting; stop one or wait for one "
                    "to finish."
                )
            job = Job(
                id=secrets.token_urlsafe(16),
                title=title or recipe.title or recipe.kind,
                kind=recipe.kind,
                owner=owner,
                recipe=recipe.to_dict(),
                options=dict(options or {}),
            )
            self._jobs[job.id] = job
            self._dispatch()
        return job

    def _dispatch(self) -> None:
        """Send waiting jobs to the cluster while their owners run fewer than allowed."""
        for job in sorted(self._jobs.values(), key=lambda j: j.submitted):
            if job.status != "waiting":
                continue
            active = sum(
                1
                for j in self._jobs.values()
                if j.owner == job.owner and j.status in ("queued", "running")
            )
            if active >= self.per_session:
                continue
            self._send(job)

    def _send(self, job: Job) -> None:
        from distributed import fire_and_forget

        upload, env = None, {}
        if self.cluster is None:  # workers elsewhere may lack the user's file
            upload = _upload_of(job.recipe)
        else:  # workers on this machine use this server's folders and run store
            env = shared_env()
        job.attempts += 1
        self._futures[job.id] = self.client.submit(
            run_job,
            job.recipe,
            job.id,
            upload,
            job.options,
            env,
            self._events_name,
            key=f"genre-lab-job-{job.id}-{job.attempts}",
            pure=False,
        )
        if self.cluster is None:
            # an external cluster keeps the job when this client goes (a web server restart):
            # it runs to its end and its run lands in the history
            fire_and_forget(self._futures[job.id])
        job.status = "queued"

    # ---- reading ---------------------------------------------------------------------------

    def job(self, job_id: str) -> Job | None:
        """The job with this id (any session that has the id may follow it), or ``None``."""
        with self._lock:
            return self._jobs.get(str(job_id))

    def jobs_of(self, owner: str) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.owner == owner]

    def place(self, job: Job) -> int | None:
        """1 for the next job to start server-wide, 2 for the one after...; None once started."""
        with self._lock:
            if not job.queued:
                return None
            ahead = [j for j in self._jobs.values() if j.queued and j.submitted < job.submitted]
            return len(ahead) + 1

    @property
    def workers(self) -> int:
        try:
            return len(self.client.scheduler_info(n_workers=-1)["workers"])
        except Exception:  # the scheduler is unreachable for a moment
            return 0

    def wait(
        self, job: Job, timeout: float | None = None, on_event: Callable[[dict], None] | None = None
    ) -> Job:
        """Block until ``job`` ends (the CLI and tests); ``on_event`` sees each event once."""
        seen = 0
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                new, seen = job.events[seen:], len(job.events)
                done = not job.running
            for event in new:
                if on_event is not None and not str(event.get("stage", "")).startswith("_"):
                    on_event(event)
            if done:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job.id} still {job.status} after {timeout} s")
            time.sleep(POLL / 2)

    # ---- stopping --------------------------------------------------------------------------

    def stop(self, job: Job) -> None:
        """Ask the job to stop at its next check; a job not started yet ends at once."""
        from distributed import Event

        with self._lock:
            if not job.running:
                return
            if job.status == "waiting":
                self._finish(job, "stopped")
                return
            job.stop_asked = time.monotonic()
        Event(STOP.format(job.id), client=self.client).set()
        if job.status == "queued":
            future = self._futures.get(job.id)
            if future is not None:
                future.cancel(force=True)

    def _enforce_stop(self, job: Job) -> None:
        """Cancel a job that ignored Stop for :data:`STOP_GRACE` seconds and restart its worker
        (in the background: a restart takes seconds, the watcher must go on)."""
        future = self._futures.get(job.id)
        if future is not None:
            future.cancel(force=True)
        self._finish(job, "stopped", "the job did not stop by itself and was cancelled.")
        if job.worker:

            def restart(address: str = job.worker) -> None:
                try:
                    self.client.restart_workers([address], timeout=120, raise_for_error=False)
                except Exception:  # noqa: BLE001 - the worker may already be gone
                    pass

            threading.Thread(target=restart, name="genre-lab restart", daemon=True).start()

    # ---- the watcher -----------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._closed.wait(POLL):
            try:
                self._round()
            except Exception:  # noqa: BLE001 - the watcher must outlive a scheduler hiccup
                time.sleep(1)

    def _round(self) -> None:
        self._drain()
        with self._lock:
            active = [j for j in self._jobs.values() if j.status in ("queued", "running")]
        if any(self._ended(job) for job in active):
            self._drain()  # a job's last events are on the queue before its future ends
        for job in active:
            future = self._futures.get(job.id)
            if future is None:
                continue
            if future.status == "finished":
                result = future.result()
                if isinstance(result, Ended):
                    self._finish(job, result.status, result.error)
                else:
                    self._finish(job, "done", outcome=result)
            elif future.status == "error":
                error = future.exception()
                if job.started is None and job.attempts < 2 and _killed(error):
                    # never started: its worker was restarted under it (a job that ignored
                    # Stop, a crash); it did nothing wrong, so it goes back in the queue once
                    with self._lock:
                        self._futures.pop(job.id, None)
                        self._send(job)
                    continue
                self._finish(job, *_failure(error))
            elif future.status == "cancelled":
                self._finish(job, "stopped")
            elif (
                job.stop_asked is not None
                and not job.stop_seen
                and job.status == "running"
                and time.monotonic() - job.stop_asked > STOP_GRACE
            ):
                self._enforce_stop(job)
        with self._lock:
            self._dispatch()

    def _ended(self, job: Job) -> bool:
        future = self._futures.get(job.id)
        return future is not None and future.status in ("finished", "error", "cancelled")

    def _drain(self) -> None:
        """Every job's new events, from the engine's one queue (one call however many jobs)."""
        try:
            events = self._events.get(batch=True)
        except Exception:  # noqa: BLE001 - the scheduler is unreachable for a moment
            return
        if not events:
            return
        with self._lock:
            for event in events:
                job = self._jobs.get(str(event.pop("_job", "")))
                if job is None or not job.running:
                    continue
                if event.get("stage") == "_stopping":
                    job.stop_seen = True
                if event.get("stage") == "_started":
                    job.status = "running" if job.status == "queued" else job.status
                    job.started = time.time()
                    job.worker = event.get("worker")
                job.events.append(event)

    def _finish(self, job: Job, status: str, error: str | None = None, outcome=None) -> None:
        with self._lock:
            if not job.running:
                return
            if status == "done" and job.stop_asked is not None:
                status = "stopped"
            # readers poll without the lock: the outcome must be there before the status says so
            job.outcome, job.error, job.finished = outcome, error, time.time()
            job.status = status
            future = self._futures.pop(job.id, None)
        if future is not None:
            future.release()  # a finished result is never recomputed when its worker dies

    def close(self) -> None:
        self._closed.set()
        self._watcher.join(timeout=5)
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _failure(error: BaseException | None) -> tuple[str, str | None]:
    """(status, message) for a job's exception."""
    from distributed import KilledWorker

    if isinstance(error, KilledWorker):
        return "failed", FAILED_WORKER
    if isinstance(error, DataError):
        return "failed", str(error)
    if isinstance(error, MemoryError):
        return "failed", "the job ran out of memory; try fewer rows or a smaller model."
    return "failed", f"internal error ({type(error).__name__}: {error})"


def _killed(error: BaseException | None) -> bool:
    from distributed import KilledWorker

    return isinstance(error, KilledWorker)


def _upload_of(recipe: dict) -> bytes | None:
    from genre_core.data.uploads import stored_upload

    data = recipe.get("data") or {}
    sha = data.get("sha256")
    source = str(data.get("source") or "")
    if not sha or os.path.isfile(source):
        return None
    return stored_upload(sha)
