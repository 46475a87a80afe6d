"""From a number to the tracks: why a fitted model says what it says about one track.

Pure numbers over a fitted scikit-learn Pipeline (the classical zoo, or a network in its
Pipeline) and the raw feature rows it reads; no figures, no Streamlit.

- :mod:`~genre_core.explain.shapley`: SHAP values of one track (TreeExplainer, LinearExplainer,
  or a bounded permutation explainer), :class:`TrackExplainer`, :class:`TrackExplanation`
- :mod:`~genre_core.explain.importance`: global permutation importance on a bounded sample
- :mod:`~genre_core.explain.whatif`: every genre's probability for a track with edited features,
  a Bayesian posterior's band over its draws, and :class:`PosteriorClassifier` (a posterior as a
  classifier over the raw features, so everything above explains it too)
- :mod:`~genre_core.explain.counterfactual`: the nearest real track of a genre asked for
"""

from genre_core.explain.counterfactual import Counterfactual, nearest_of_genre
from genre_core.explain.importance import importance_table
from genre_core.explain.shapley import TrackExplainer, TrackExplanation, explainer_kind
from genre_core.explain.whatif import PosteriorClassifier, posterior_band, what_if

__all__ = [
    "Counterfactual",
    "PosteriorClassifier",
    "TrackExplainer",
    "TrackExplanation",
    "explainer_kind",
    "importance_table",
    "nearest_of_genre",
    "posterior_band",
    "what_if",
]
