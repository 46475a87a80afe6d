"""Progress events and cooperative cancellation, shared by every kind of job.

A job reports through ``progress(event)``, an event being a dict with a ``stage`` ("split",
"fit", "epoch", "trial", "done", ...) and plain values; it checks ``cancel`` (anything with
``is_set()``: a ``threading.Event``, a Dask ``Event``) between steps and raises
:class:`Cancelled` when it is set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Progress = Callable[[dict], None]


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
