"""Numbers about predictions, never figures.

- :mod:`~genre_core.metrics.evaluation`: ``evaluate`` (metrics with bootstrap intervals,
  per-genre table, confusion, PR/ROC curves, baselines), ``evaluation_summary``
- :mod:`~genre_core.metrics.leaderboard`: runs side by side with their intervals
- :mod:`~genre_core.metrics.compare`: McNemar's test of two runs on the same test rows
"""
