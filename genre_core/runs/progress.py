"""Progress events and cooperative cancellation, shared by every kind of job.

A job reports through ``progress(event)``, an event being a dict with a ``stage`` ("split",
"fit", "epoch", "trial", "done", ...) and plain values; it checks ``cancel`` (anything with
``is_set()``: a ``threading.Event``, a Dask ``Event``) between steps and raises
:class:`Cancelled` when it is set. Both travel together, with the run's options, as one
:class:`TaskState` from a kind's ``run`` down to each of its steps.

A long step of known size (boosting rounds, batches of trees, batches of embedded titles)
reports through a :class:`StepReporter`: events with ``done``, ``total``, the ``elapsed``
seconds and an estimate of the seconds left (``eta``), which :func:`step_text` puts in words.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

Progress = Callable[[dict], None]
MAX_STEP_EVENTS = 100  # events a step sends at most, however many rounds it has


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


class Cancelled(Exception):
    """Raised inside a long step when its stop event was set."""


def emit(progress: Progress | None, **event) -> None:
    """Send ``event`` to ``progress`` when there is one."""
    if progress is not None:
        progress(event)


def check_cancel(cancel: CancelFlag | None) -> None:
    """Raise :class:`Cancelled` when ``cancel`` is set."""
    if cancel is not None and cancel.is_set():
        raise Cancelled()


class StepReporter:
    """``report(done, total)`` for a long step: checks ``cancel`` every time and sends
    ``{**fields, "done", "total", "elapsed", "eta"}`` to ``progress`` (seconds since the
    reporter was made, and the seconds left at the pace so far), about
    :data:`MAX_STEP_EVENTS` times per step at most, the last one always.

    >>> report = StepReporter(progress, cancel, stage="fit", model="xgboost", unit="round")
    >>> report(37, 100)  # {"stage": "fit", ..., "done": 37, "total": 100, "elapsed": 4.1, ...}

    Raises
    ------
    Cancelled
        From ``report`` when ``cancel`` is set.
    """

    def __init__(
        self, progress: Progress | None, cancel: CancelFlag | None = None, **fields
    ) -> None:
        self.progress = progress
        self.cancel = cancel
        self.fields = fields
        self.started = time.perf_counter()
        self.sent = -1  # the last share sent, in 1/MAX_STEP_EVENTS

    def __call__(self, done: int, total: int) -> None:
        check_cancel(self.cancel)
        share = done * MAX_STEP_EVENTS // max(total, 1)
        if self.progress is None or (share <= self.sent and done < total):
            return
        self.sent = share
        elapsed = time.perf_counter() - self.started
        eta = elapsed / done * max(total - done, 0) if done else None
        emit(self.progress, **self.fields, done=done, total=total, elapsed=elapsed, eta=eta)


@dataclass(frozen=True)
class TaskState:
    """What a job's steps share with whoever started the job, passed whole from the kind's
    ``run`` down to each fit: where the events go, the flag that stops the job, and the run's
    options.

    >>> task = TaskState(events.append, stop, n_boot=100)
    >>> result = train_model(frame, "genre", config, task)

    Attributes
    ----------
    progress
        Receives the job's events; ``None``: nobody listens.
    cancel
        Checked between steps; ``None``: the job cannot be stopped.
    n_boot
        Bootstrap resamples of each accuracy interval.
    source
        Where the job was started, as the run history shows it (a page's name, ``"cli"``);
        ``None``: the kind's own default.
    inputs
        Objects a page hands its job besides the recipe (a fitted model it holds, the rows
        it explains): pickled by Dask from the web server, never read from a user's file;
        ``None`` for a job the recipe alone describes.
    """

    progress: Progress | None = None
    cancel: CancelFlag | None = None
    n_boot: int = 1000
    source: str | None = None
    inputs: Mapping[str, Any] | None = None

    def emit(self, **event) -> None:
        """Send ``event`` to ``progress`` when there is one."""
        emit(self.progress, **event)

    @property
    def cancelled(self) -> bool:
        """Whether a stop was asked for."""
        return self.cancel is not None and self.cancel.is_set()

    def check_cancel(self) -> None:
        """Raise :class:`Cancelled` when a stop was asked for."""
        check_cancel(self.cancel)

    def steps(self, **fields) -> StepReporter:
        """A :class:`StepReporter` of one long step, its events carrying ``fields``."""
        return StepReporter(self.progress, self.cancel, **fields)

    def tagged(self, **fields) -> TaskState:
        """The same task, its events carrying ``fields`` too (which run of several)."""
        progress = self.progress
        if progress is None:
            return self
        return replace(self, progress=lambda event: progress({**event, **fields}))


def step_text(event: dict) -> str:
    """A step's event in words: ``"xgboost: round 37 of 100 · 4 s elapsed · about 7 s left"``,
    ``"rf: 30 of 100 trees · …"``, ``"embedding titles: 2,048 of 9,000 · …"``."""
    done, total = event.get("done", 0), event.get("total", 0)
    unit = event.get("unit", "")
    if event.get("stage") == "embed":
        text = f"embedding titles: {done:,} of {total:,}"
    elif unit == "round":
        text = f"{event.get('model', '')}: round {done:,} of {total:,}"
    else:
        text = f"{event.get('model', '')}: {done:,} of {total:,} {unit}".rstrip()
    if event.get("elapsed") is not None:
        text += f" · {_seconds(event['elapsed'])} elapsed"
    if event.get("eta") is not None and done < total:
        text += f" · about {_seconds(event['eta'])} left"
    return text


def _seconds(value: float) -> str:
    if value < 90:
        return f"{value:.0f} s"
    return f"{value / 60:.0f} min"
