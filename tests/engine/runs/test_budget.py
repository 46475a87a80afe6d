"""One thread budget per job: native pools and torch follow it, and models read it."""

from __future__ import annotations

import torch
from threadpoolctl import threadpool_info

from genre_core.models.classical import make_model
from genre_core.runs.budget import thread_budget, threads, torch_device


def test_a_budget_limits_every_pool_and_is_restored_after():
    outside = threads()
    before = torch.get_num_threads()
    with thread_budget(1) as n:
        assert n == 1 and threads() == 1 and torch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
        rf = make_model("rf", {}).named_steps["model"]
        assert rf.n_jobs == 1  # the model's n_jobs is the job's budget, not a constant
    assert threads() == outside and torch.get_num_threads() == before


def test_the_machine_cores_or_the_setting_when_no_job_runs(monkeypatch):
    monkeypatch.setenv("GENRE_THREADS", "3")
    assert threads() == 3
    monkeypatch.delenv("GENRE_THREADS")
    assert threads() >= 1


def test_torch_runs_on_the_gpu_only_when_there_is_one_and_it_is_allowed(monkeypatch):
    monkeypatch.setenv("GENRE_DEVICE", "cpu")
    assert torch_device() == "cpu"
    monkeypatch.delenv("GENRE_DEVICE")
    assert torch_device() == ("cuda" if torch.cuda.is_available() else "cpu")


RACE = """
import sys, threading
threading.Thread(target=lambda: __import__("torch"), daemon=True).start()
while "torch" not in sys.modules:
    pass
partial = getattr(sys.modules["torch"].__spec__, "_initializing", False)
from genre_core.runs.budget import thread_budget
with thread_budget(1):
    import torch
    assert torch.get_num_threads() == 1
print("partial" if partial else "complete")
"""


def test_a_job_starting_while_the_worker_still_imports_torch_waits_for_it():
    """A worker imports torch in the background when it starts; a job that starts meanwhile
    found a half-imported module ("partially initialized module 'torch' has no attribute
    'get_num_threads'") before the budget waited for the import."""
    import subprocess
    import sys

    from conftest import ROOT

    done = subprocess.run(
        [sys.executable, "-c", RACE], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "partial"  # the race was really run


FIRST_IMPORT = """
import sys
assert "torch" not in sys.modules
from genre_core.runs.budget import thread_budget
with thread_budget(1):
    import torch  # first loaded inside the budget (a job's first network in a fresh process)
    print(torch.get_num_threads())
"""


def test_torch_first_imported_inside_a_budget_follows_it():
    """threadpoolctl limits the libraries loaded when the budget starts; torch imported later
    kept its own default (the machine's cores): a plain process's first network ran on two
    threads beside another job and took 4x as long."""
    import os
    import subprocess
    import sys

    import pytest

    from conftest import ROOT

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: torch's own default is one thread already")
    done = subprocess.run(
        [sys.executable, "-c", FIRST_IMPORT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "1"
