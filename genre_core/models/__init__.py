"""Models: estimators with the scikit-learn contract, and their parameter schemas.

- :mod:`~genre_core.models.classical`: the classical zoo (``MODELS``, ``make_model``,
  ``resolve_params``): logistic regression, SVM, KNN, random forest, XGBoost, histogram boosting,
  and "best" (:mod:`~genre_core.models.best`: XGBoost stacked on out-of-fold title probabilities)
- :mod:`~genre_core.models.layers`: the MLP builder, seeded initialisation, freezing a body
- :mod:`~genre_core.models.callbacks`: skorch callbacks, one concern each
- :mod:`~genre_core.models.networks`: ``NetClassifier``, a network as a scikit-learn classifier
- :mod:`~genre_core.models.sequences`: the seeds' LSTMs and the title model
- :mod:`~genre_core.models.presets`: ``NET_PARAMS`` (every network setting) and the seeds' networks
- :mod:`~genre_core.models.bayes_config`, :mod:`~genre_core.models.bayes_data`,
  :mod:`~genre_core.models.bayes`, :mod:`~genre_core.models.posterior`: the Bayesian models in Pyro

Modules are imported on use: the classical zoo does not import torch.
"""
