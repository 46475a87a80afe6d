"""The "best" model: gradient-boosted trees on the numeric features, stacked on the out-of-fold
genre probabilities of a logistic regression on the title embeddings.

Trees split one column at a time, so 384 embedding dimensions drown the dozen audio features
(the zoo shows trees the embedding's first principal components only); a linear model reads the
whole embedding well. :class:`StackedBoostClassifier` fits the linear model on the text block
in ``stack_folds`` folds of the training rows and gives the trees, besides the numeric
features, each row's genre probabilities from the fold that did not see it. Rows with the same
title (the same embedding) sit in the same fold: a title seen with its genre in another fold
would make the probabilities look surer than they are for new titles, and the trees would
trust them too much. Under a grouped split, ``fit`` takes the training rows' groups (artists,
tracks) and keeps each group in one fold as well: with the artist's name in the text, an
artist's other songs in other folds would make the probabilities sure of every training row
(spotify-youtube, artist-grouped: 0.612 without the groups, 0.680 with them), while no test
artist is in training. ``text_neighbours`` adds, out of fold the same way, the genre shares of
the nearest training titles (:mod:`~genre_core.models.neighbours`). At prediction, the text
models refitted on every training row give the features. Everything is fitted inside ``fit``,
on the rows it is given.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.preprocessing import LabelEncoder

from genre_core.models.boosting import XGBOOST_PARAMS, FitReport, XGBLabelClassifier
from genre_core.models.neighbours import TitleNeighbours
from genre_core.params import Param, ParamSet


def same_rows(block: np.ndarray) -> np.ndarray:
    """An integer per row, equal for rows whose values are all equal (the same title)."""
    block = np.ascontiguousarray(block)
    keys = block.view(np.dtype((np.void, block.dtype.itemsize * block.shape[1]))).ravel()
    return np.unique(keys, return_inverse=True)[1].ravel()


def joint_groups(first: np.ndarray, second) -> np.ndarray:
    """An integer per row, equal for rows linked by sharing a value of ``first`` or of
    ``second`` (directly or through other rows)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a = np.unique(first, return_inverse=True)[1].ravel()
    b = np.unique(np.asarray(second), return_inverse=True)[1].ravel() + a.max() + 1
    # a bipartite graph: each row links its value of ``first`` to its value of ``second``
    bipartite = coo_matrix((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])))
    return connected_components(bipartite, directed=False)[1][a]


# "best": XGBoost's settings and those of the linear model whose out-of-fold probabilities
# on the title embeddings it is stacked on (genre_core.models.best)
BEST_PARAMS = ParamSet(
    (
        *XGBOOST_PARAMS,
        Param(
            "text_C",
            "float",
            1.0,
            1e-4,
            1e4,
            log=True,
            label="Text C",
            help="Inverse regularisation of the logistic regression on the title embeddings.",
            search=(1e-2, 10.0),
        ),
        Param(
            "stack_folds",
            "int",
            5,
            2,
            20,
            help="Folds of the training rows giving the out-of-fold title probabilities.",
            search=(5, 5),
        ),
        Param(
            "text_neighbours",
            "int",
            0,
            0,
            200,
            label="Title neighbours",
            help="Also stack the genre shares of the k training titles nearest each title "
            "(cosine on the embeddings, out of fold like the linear model); 0: off.",
            search=(0, 0),
        ),
    )
)


class StackedBoostClassifier(ClassifierMixin, BaseEstimator):
    """XGBoost on ``[numeric columns, out-of-fold text features]``.

    Parameters
    ----------
    n_estimators, max_depth, learning_rate, subsample, colsample_bytree, min_child_weight
        The trees' hyperparameters, and ``reg_lambda``, as
        :class:`~genre_core.models.classical.XGBLabelClassifier` takes them.
    text_C
        Inverse regularisation strength of the logistic regression on the text columns.
    stack_folds
        Folds of the training rows that give the out-of-fold probabilities.
    text_neighbours
        With k > 0, the genre shares of each title's k nearest training titles and the
        similarity of the nearest are stacked too (out of fold likewise).
    n_numeric
        How many leading columns are numeric features; the others (title embeddings, an
        artist's one-hot code) feed the linear model. ``None``: every column is numeric and
        the model is plain boosting. :func:`~genre_core.models.classical.make_model` sets it
        from the input's layout.
    n_jobs
        The trees' threads; ``None``: the job's thread budget
        (:func:`~genre_core.runs.budget.threads`).
    random_state
        Seeds the folds and the trees.

    Attributes
    ----------
    classes_
        The genres, sorted.
    text_model_
        The logistic regression fitted on every training row (``None`` without text columns).
    neighbours_
        The :class:`~genre_core.models.neighbours.TitleNeighbours` of every training row
        (``None`` unless ``text_neighbours``).
    oof_proba_
        The training rows' out-of-fold text features the trees were fitted on: the linear
        model's genre probabilities, then the neighbours' shares and nearest similarity.
    booster_
        The fitted trees.
    """

    __init__ = BEST_PARAMS.estimator_init(n_numeric=None, n_jobs=None, random_state=0)
    reports_rounds = True  # fit takes ``report`` (see classical.fit_pipeline)
    fits_groups = True  # fit takes a grouped split's ``groups`` of the training rows

    def _blocks(self, X) -> tuple[np.ndarray, np.ndarray | None]:
        X = np.asarray(X, dtype=float)
        n = X.shape[1] if self.n_numeric is None else int(self.n_numeric)
        if not 0 <= n <= X.shape[1]:
            raise ValueError(f"n_numeric={n} but the input has {X.shape[1]} columns.")
        return X[:, :n], (X[:, n:] if n < X.shape[1] else None)

    def _linear(self) -> LogisticRegression:
        return LogisticRegression(C=self.text_C, max_iter=1000, random_state=self.random_state)

    def fit(self, X, y, report: FitReport | None = None, groups=None):
        """Fit the text models fold by fold, then the trees; ``report(round, rounds)`` after
        each boosting round (it may raise to end the fit). ``groups``: the rows' groups of a
        grouped split (artists, tracks); rows of one group share a fold besides those of one
        title, so the stacked features are as unsure as on the split's unseen groups."""
        numeric, text = self._blocks(X)
        y = np.asarray(y)
        self.n_features_in_ = numeric.shape[1] + (0 if text is None else text.shape[1])
        self.encoder_ = LabelEncoder().fit(y)
        self.classes_ = self.encoder_.classes_
        self.text_model_ = self.neighbours_ = self.oof_proba_ = None
        inputs = numeric
        if text is not None:
            self.oof_proba_ = self._out_of_fold(text, y, groups)
            self.text_model_, self.neighbours_ = self._text_models(text, y)
            inputs = np.hstack([numeric, self.oof_proba_])
        xgb = {p.name: getattr(self, p.name) for p in XGBOOST_PARAMS}
        self.booster_ = XGBLabelClassifier(
            **xgb, n_jobs=self.n_jobs, random_state=self.random_state
        ).fit(inputs, y, report=report)
        return self

    def _text_models(self, text: np.ndarray, y: np.ndarray):
        """The linear model and, with ``text_neighbours``, the neighbour shares on ``text``."""
        linear = self._linear().fit(text, y)
        k = int(self.text_neighbours or 0)
        return linear, (TitleNeighbours(k, self.classes_).fit(text, y) if k else None)

    def _text_features(self, models, text: np.ndarray) -> np.ndarray:
        """Genre probabilities of the linear model (every genre of ``classes_``, one absent
        from the models' rows at 0), then the neighbours' genre shares."""
        linear, neighbours = models
        proba = np.zeros((len(text), len(self.classes_)))
        columns = np.searchsorted(self.classes_, linear.classes_)  # a genre may be absent
        proba[:, columns] = linear.predict_proba(text)
        return proba if neighbours is None else np.hstack([proba, neighbours.transform(text)])

    def _out_of_fold(self, text: np.ndarray, y: np.ndarray, groups=None) -> np.ndarray:
        """Each row's text features from models fitted on the other folds; rows with the same
        text, or of one of ``groups``, in one fold."""
        groups = same_rows(text) if groups is None else joint_groups(same_rows(text), groups)
        k = min(int(self.stack_folds), len(np.unique(groups)))
        folds = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=self.random_state)
        out = None
        for train, held in folds.split(text, y, groups):
            features = self._text_features(self._text_models(text[train], y[train]), text[held])
            if out is None:
                out = np.zeros((len(y), features.shape[1]))
            out[held] = features
        return out

    def _inputs(self, X) -> np.ndarray:
        numeric, text = self._blocks(X)
        if (text is None) != (self.text_model_ is None):
            raise ValueError("X has other columns than the rows the model was fitted on.")
        if text is None:
            return numeric
        features = self._text_features((self.text_model_, self.neighbours_), text)
        return np.hstack([numeric, features])

    def predict_proba(self, X):
        return self.booster_.predict_proba(self._inputs(X))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
