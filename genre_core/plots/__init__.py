"""Pure plotly figure builders: numbers and tables in, a ``go.Figure`` out.

Every text from a user's file (genres, features, run and parameter names, titles) goes through
:func:`genre_core.plots.text.as_text` before it reaches a figure: plotly renders a subset of HTML.

- :mod:`~genre_core.plots.text`: the one escape for data text
- :mod:`~genre_core.plots.explore`: balance, distributions, correlations, PCA (Data, Explore)
- :mod:`~genre_core.plots.models`: confusion matrices, PR/ROC curves, per-genre bars
- :mod:`~genre_core.plots.networks`: learning curves, transfer curves
- :mod:`~genre_core.plots.bayes`: posteriors, uncertainty
- :mod:`~genre_core.plots.search`: a study's trials, its Fig. 3, parallel coordinates
- :mod:`~genre_core.plots.compare`: stored runs side by side
"""
