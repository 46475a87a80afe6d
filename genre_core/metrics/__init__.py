"""Numbers about predictions, never figures.

- :mod:`~genre_core.metrics.evaluation`: ``evaluate`` (metrics with bootstrap intervals,
  per-genre table, confusion, PR/ROC curves, baselines), ``evaluation_summary``
- :mod:`~genre_core.metrics.leaderboard`: runs side by side with their intervals
- :mod:`~genre_core.metrics.compare`: McNemar's test of two runs on the same test rows
- :mod:`~genre_core.metrics.calibration`: reliability bins, ECE, risk-coverage curves (by the
  top probability or a Bayesian model's predictive entropy)
- :mod:`~genre_core.metrics.tracks`: the evaluated rows one by one, the tracks of a confusion
  cell, a genre's mistakes
"""
