"""One thread budget per job: torch, XGBoost, OpenMP, BLAS and joblib use the threads the job
was given, never a constant.

A Dask worker runs its job inside :func:`thread_budget` with the worker's own thread count; the
CLI and tests run in-process with the machine's cores (or ``$GENRE_THREADS``). Models ask
:func:`threads` for their ``n_jobs``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping

_BUDGET: list[int] = []
_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
"""Read once by a native library when it loads: a library first loaded inside a budget (torch
imported by a job's first network) takes its thread count from them."""


def default_threads() -> int:
    """``$GENRE_THREADS``, else the cores this process may use."""
    value = os.environ.get("GENRE_THREADS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def threads() -> int:
    """The thread budget of the job running now (the innermost :func:`thread_budget`)."""
    return _BUDGET[-1] if _BUDGET else default_threads()


@contextlib.contextmanager
def thread_budget(n: int | None = None) -> Iterator[int]:
    """Run the block with at most ``n`` threads in every native pool (and in :func:`threads`).

    More threads than cores only contend: on two shared cores, two jobs of two OpenMP threads
    each spin against each other (a 3-second XGBoost fit took minutes that way).
    """
    from threadpoolctl import threadpool_limits

    n = max(1, int(n or default_threads()))
    torch = sys.modules.get("torch")
    if torch is not None and getattr(torch.__spec__, "_initializing", False):
        import importlib  # torch is being imported (a worker's warm-up): wait for it to finish

        torch = importlib.import_module("torch")
    before = torch.get_num_threads() if torch is not None else None
    saved = {key: os.environ.get(key) for key in _ENV}
    os.environ.update(dict.fromkeys(_ENV, str(n)))
    _BUDGET.append(n)
    try:
        with threadpool_limits(limits=n):
            if torch is not None:
                torch.set_num_threads(n)
            yield n
    finally:
        _BUDGET.pop()
        set_env(saved)
        if torch is not None and before is not None:
            torch.set_num_threads(before)


def set_env(values: Mapping[str, str | None]) -> None:
    """Set environment variables; ``None`` unsets one (to restore what was saved)."""
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def torch_device(force_cpu: bool | None = None) -> str:
    """ "cuda" when torch sees a GPU and ``$GENRE_DEVICE`` (or ``force_cpu``) does not say
    "cpu"; else "cpu"."""
    if force_cpu is None:
        force_cpu = os.environ.get("GENRE_DEVICE", "").strip().lower() == "cpu"
    if force_cpu:
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
