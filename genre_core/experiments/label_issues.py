"""Label issues: tracks whose genre is likely wrong, and the genres that overlap most; the
recipe of kind "label-issues".

A classical model gives every track out-of-fold probabilities (cross-validation grouped by
song, so no copy of a song is ever trained on while another copy is scored). cleanlab's
confident learning then flags the tracks whose given genre the model, trained without them,
finds unlikely (``cleanlab.filter.find_label_issues``, ranked by the probability of the given
genre), and measures which pairs of genres share the most tracks
(``cleanlab.dataset.find_overlapping_classes``): the Merge page lists them beside the pairs the
confusion matrix suggests. The same song filed under several playlists' genres is the first
suspect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import clone

from genre_core.data.audit import song_keys
from genre_core.data.dataset import Dataset
from genre_core.data.splits import group_codes
from genre_core.errors import DataError
from genre_core.experiments import Outcome
from genre_core.experiments.fitting import TrainConfig, cv_folds, model_inputs
from genre_core.experiments.sampling import rows_title
from genre_core.experiments.train import OneModelRecipe
from genre_core.models.classical import MODELS, make_model, model_title, resolve_params
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import TaskState

SHOWN = 500  # flagged tracks kept in the result, most suspect first

OPTIONS = ParamSet(
    (
        Param(
            "model",
            "choice",
            "hgb",
            choices=tuple(MODELS),
            label="Model",
            help="the classical model giving the out-of-fold probabilities",
        ),  # fmt: skip
        Param(
            "folds", "int", 5, 2, 20, label="Folds", help="cross-validation folds, grouped by song"
        ),  # fmt: skip
        Param("seed", "int", 0, 0, 2**31 - 1, help="the folds' and the model's random state"),
    )
)


@dataclass(frozen=True)
class LabelIssues:
    """What a "label-issues" job gives the page.

    ``issues``: the flagged tracks, most suspect first (at most :data:`SHOWN`), with their
    title and artist when the table has them, the genre given, the genre the model finds most
    likely and the probability it gives each. ``overlaps``: genre pairs with the share of
    tracks they are estimated to swap (``joint``) and how many (``tracks``), most first.
    """

    issues: pd.DataFrame
    overlaps: pd.DataFrame
    flagged: int
    rows: int
    accuracy: float  # out-of-fold accuracy of the model
    dataset: str
    title: str

    @property
    def share(self) -> float:
        return self.flagged / max(self.rows, 1)


def find_issues(
    labels: np.ndarray, proba: np.ndarray, classes: list[str]
) -> tuple[np.ndarray, pd.DataFrame]:
    """(positions of the likely mislabelled rows, most suspect first; the overlapping genre
    pairs) from out-of-fold probabilities (columns in the order of ``classes``)."""
    from cleanlab.dataset import find_overlapping_classes
    from cleanlab.filter import find_label_issues

    codes = np.searchsorted(classes, labels)
    # one process: a job runs in a worker process, which may not start others (and has one
    # thread of budget anyway)
    flagged = find_label_issues(codes, proba, return_indices_ranked_by="self_confidence", n_jobs=1)
    pairs = find_overlapping_classes(labels=codes, pred_probs=proba)
    overlaps = pd.DataFrame(
        {
            "genre": [classes[int(a)] for a in pairs["Class Index A"]],
            "other genre": [classes[int(b)] for b in pairs["Class Index B"]],
            "tracks": pairs["Num Overlapping Examples"].astype(int),
            "joint": pairs["Joint Probability"].astype(float),
        }
    )
    return np.asarray(flagged, dtype=int), overlaps[overlaps["tracks"] > 0].reset_index(drop=True)


def out_of_fold(pipeline, X, y, folds, task: TaskState, classes: list[str]) -> np.ndarray:
    """Probabilities of every row from the fold that left it out (a ``fold`` event each)."""
    proba = np.zeros((len(y), len(classes)))
    for i, (train, test) in enumerate(folds):
        task.check_cancel()
        model = clone(pipeline).fit(X[train], y[train])
        columns = [classes.index(str(c)) for c in model.classes_]
        proba[np.ix_(test, columns)] = model.predict_proba(X[test])
        task.emit(stage="fold", fold=i + 1, folds=len(folds))
    return proba


@dataclass(frozen=True)
class LabelIssuesSpec(OneModelRecipe):
    """Tracks whose genre is likely wrong, and the genres that overlap (see the module).

    Parameters
    ----------
    data
        The table (its merge map and genres applied).
    model, preset, params
        The classical model giving the out-of-fold probabilities.
    folds
        Cross-validation folds, grouped by song.
    seed
        The folds' and the model's random state.
    """

    kind: ClassVar[str] = "label-issues"
    title: ClassVar[str] = "Label issues"

    folds: int = 5
    seed: int = 0

    OPTIONS: ClassVar[ParamSet] = OPTIONS


Spec = LabelIssuesSpec


def run(
    spec: LabelIssuesSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None
) -> Outcome:
    """Find the label issues of ``spec``'s table: ``dataset`` is a page's loaded table, else
    the recipe's own source is read. Emits ``start``, a ``fold`` per fold, then ``issues``.

    Raises
    ------
    Cancelled
        When the task is stopped (checked before each fold).
    DataError
        For data the recipe cannot use (fewer songs than folds, one genre, ...).
    """
    table = spec.load_table(dataset)
    params = resolve_params(spec.model, spec.params, spec.preset)
    config = TrainConfig(spec.model, params, features=tuple(table.roles.features), seed=spec.seed)
    frame = table.frame.reset_index(drop=True)
    label = table.roles.label
    kept, X, y, layout = model_inputs(frame, label, config)
    if len(kept) != len(frame):
        raise DataError("label issues need every row of the table; some were dropped.")
    _, keys = song_keys(table)
    keys = pd.Series(keys.to_numpy(), dtype="string")
    groups = group_codes(keys.fillna(pd.Series(np.arange(len(keys)), dtype="string") + "\x1f"))
    classes = sorted(map(str, np.unique(y)))
    task.emit(stage="start", rows=len(y), folds=spec.folds, model=spec.model)
    folds = cv_folds(y, groups, spec.folds, spec.seed)
    pipeline = make_model(spec.model, params, config.prep, spec.seed, layout=layout)
    proba = out_of_fold(pipeline, X, y, folds, task, classes)
    flagged, overlaps = find_issues(y, proba, classes)
    given = np.searchsorted(classes, y)
    likely = proba.argmax(1)
    shown = flagged[:SHOWN]
    columns = {}
    for role in (table.roles.id_column, *table.roles.text[:1], table.roles.artist_column):
        if role and role in frame.columns:
            columns[role] = frame[role].iloc[shown].astype("string").to_numpy()
    issues = pd.DataFrame(
        {
            "row": shown,
            **columns,
            "given genre": y[shown],
            "likely genre": [classes[i] for i in likely[shown]],
            "p(given)": proba[shown, given[shown]],
            "p(likely)": proba[shown, likely[shown]],
        }
    )
    accuracy = float((likely == given).mean())
    task.emit(stage="issues", flagged=len(flagged), rows=len(y))
    title = model_title(spec.model, params) + rows_title(spec.sampled_rows(table))
    result = LabelIssues(issues, overlaps, len(flagged), len(y), accuracy, table.name, title)
    summary = {
        "kind": spec.kind,
        "data": table.name,
        "model": spec.model,
        "title": title,
        "rows": len(y),
        "flagged": len(flagged),
        "out_of_fold_accuracy": round(accuracy, 4),
        "issues": [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in issues.head(50).round(4).to_dict("records")
        ],
        "overlaps": overlaps.head(20).round(4).to_dict("records"),
    }
    return Outcome(spec, summary, result)
