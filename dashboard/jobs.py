"""The dashboard's side of the job engine (:mod:`genre_core.runs.engine`).

One engine per server (``st.cache_resource``): an embedded Dask cluster of worker processes, or
the cluster named by the settings (``[jobs] scheduler`` in ``.streamlit/genre_lab.toml`` or
``$GENRE_SCHEDULER``). Nothing heavy runs in the Streamlit process: a page submits a recipe and
follows its job through a :class:`JobView`, which reads what the engine's watcher collected.
A job's id is unguessable; a session finds its own jobs (and any job whose id it is given, as
in a link) and never lists another's.
"""

from __future__ import annotations

import secrets
import time

import streamlit as st

from genre_core.runs import engine as engines
from genre_core.settings import lab_settings


@st.cache_resource(show_spinner="Starting the job engine (worker processes)…")
def engine() -> engines.Engine:
    """The server's one engine, started on first use."""
    settings = lab_settings()
    return engines.Engine(
        settings["scheduler"] or None,
        workers=settings["workers"],
        memory_limit=settings["memory_limit"],
        per_session=settings["per_session"],
        queue_limit=settings["queue_per_session"],
        nice=settings["nice"],
    )


def session_owner() -> str:
    """This browser session's id: its jobs are its own (quotas, queue order)."""
    state = st.session_state
    if "session.owner" not in state:
        state["session.owner"] = secrets.token_hex(8)
    return state["session.owner"]


class JobView:
    """A page's handle on an engine job.

    It reads through to the engine's :class:`~genre_core.runs.engine.Job` (``id``, ``title``,
    ``running``, ``queued``, ``error``, ``elapsed`` ...); ``collected`` is this session's own
    (whether this session has drawn the job's end).
    """

    def __init__(self, job: engines.Job) -> None:
        self.job = job
        self.collected = not job.running  # a job found finished is drawn, not re-announced

    def __getattr__(self, name: str):
        if name == "job":  # not set yet (a copy being made): no recursion
            raise AttributeError(name)
        return getattr(self.job, name)

    @property
    def status(self) -> str:
        return "queued" if self.job.queued else self.job.status

    @property
    def events(self) -> list[dict]:
        """The job's progress events so far (the engine's own markers left out)."""
        return [e for e in list(self.job.events) if not str(e.get("stage", "")).startswith("_")]

    @property
    def result(self):
        return self.job.outcome

    @property
    def place(self) -> int | None:
        return engine().place(self.job)

    @property
    def started(self) -> float:
        """When it started (or was submitted), on the ``time.monotonic`` clock."""
        return time.monotonic() - (time.time() - (self.job.started or self.job.submitted))

    def stop(self) -> None:
        engine().stop(self.job)


# pages annotate their job handles as ``jobs.Job``
Job = JobView


def submit(recipe, **options) -> JobView:
    """Queue ``recipe`` for this session; ``options`` go to the kind's ``run`` (``source=``)."""
    return JobView(engine().submit(recipe, session_owner(), options=options))


def find(job_id: str) -> JobView | None:
    job = engine().job(job_id) if job_id else None
    return JobView(job) if job is not None else None


def workers() -> int:
    return engine().workers
