"""XGBoost in the zoo: its hyperparameters, and a classifier that takes genre names as labels
and reports every boosting round (the Train page's progress, Stop)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder

from genre_core.params import Param, ParamSet
from genre_core.runs.budget import threads

# ``report(done, total)``: called after each boosting round or batch of trees of a fit
FitReport = Callable[[int, int], None]

XGBOOST_PARAMS = ParamSet(
    (
        Param("n_estimators", "int", 300, 10, 3000, help="Boosting rounds.", search=(50, 400)),
        Param("max_depth", "int", 6, 1, 20, search=(2, 12)),
        Param("learning_rate", "float", 0.1, 1e-3, 1.0, log=True, search=(0.01, 0.3)),
        Param(
            "subsample", "float", 1.0, 0.1, 1.0, help="Share of rows per tree.", search=(0.5, 1.0)
        ),
        Param(
            "colsample_bytree",
            "float",
            1.0,
            0.1,
            1.0,
            help="Share of features per tree.",
            search=(0.5, 1.0),
        ),
        Param("min_child_weight", "float", 1.0, 0.0, 100.0, search=(0.5, 20.0)),
        Param(
            "reg_lambda",
            "float",
            1.0,
            0.0,
            100.0,
            help="L2 penalty on leaf weights.",
            search=(0.1, 10.0),
        ),
    )
)


def round_callback(report: FitReport, rounds: int):
    """An XGBoost training callback calling ``report(round, rounds)`` after every round."""
    from xgboost.callback import TrainingCallback

    class RoundReport(TrainingCallback):
        def after_iteration(self, model, epoch: int, evals_log) -> bool:
            report(epoch + 1, rounds)
            return False  # never stops training early: a report that must stop it raises

    return RoundReport()


class XGBLabelClassifier(ClassifierMixin, BaseEstimator):
    """XGBoost's classifier taking genre names as labels (XGBoost itself wants 0..K-1)."""

    reports_rounds = True  # fit takes ``report`` (see fit_pipeline)

    # the keywords of XGBOOST_PARAMS with their defaults, and two that are not the model's
    __init__ = XGBOOST_PARAMS.estimator_init(n_jobs=None, random_state=0)

    def fit(self, X, y, report: FitReport | None = None):
        """Fit; ``report(round, rounds)`` is called after every boosting round (it may raise,
        e.g. :class:`~genre_core.runs.progress.Cancelled`, to end the fit)."""
        from xgboost import XGBClassifier

        self.encoder_ = LabelEncoder().fit(y)
        self.classes_ = self.encoder_.classes_
        callbacks = None if report is None else [round_callback(report, self.n_estimators)]
        self.booster_ = XGBClassifier(
            tree_method="hist",
            eval_metric="mlogloss",
            callbacks=callbacks,
            **{**self.get_params(), "n_jobs": self.n_jobs or threads()},
        ).fit(X, self.encoder_.transform(y))
        self.booster_.set_params(callbacks=None)  # the fitted model keeps no reference to a job
        self.n_features_in_ = self.booster_.n_features_in_
        return self

    def predict_proba(self, X):
        return self.booster_.predict_proba(X)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
