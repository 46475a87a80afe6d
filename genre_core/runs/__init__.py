"""Running jobs and keeping what they produced.

- :mod:`~genre_core.runs.progress`: progress events, ``Cancelled``, cooperative cancellation,
  ``TaskState`` (a job's progress, stop flag and options, handed to each of its steps)
- :mod:`~genre_core.runs.budget`: one thread budget per job (torch, XGBoost, OpenMP, BLAS)
- :mod:`~genre_core.runs.engine`: the job engine on Dask (``Engine``, ``Job``)
- :mod:`~genre_core.runs.worker`: what runs in a worker (``run_job``, the worker setup)
- :mod:`~genre_core.runs.records`, :mod:`~genre_core.runs.store`,
  :mod:`~genre_core.runs.history`: the run history on MLflow
- :mod:`~genre_core.runs.checkpoints`: networks as safetensors + JSON, never pickles
- :mod:`~genre_core.runs.studies`: where Optuna studies live
"""
