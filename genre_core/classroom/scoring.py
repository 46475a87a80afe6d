"""Numbers of the class board: a model scored on the hidden rows, ranks with ties, baselines,
and the human-against-model score of "Guess the genre"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from genre_core.classroom.hidden import HALVES, HiddenSet
from genre_core.data.preprocess import feature_matrix
from genre_core.errors import DataError
from genre_core.metrics.evaluation import bootstrap_intervals


@dataclass(frozen=True)
class HalfScore:
    """A model's accuracy (with its 95% bootstrap interval) and macro-F1 on one half."""

    accuracy: float
    low: float
    high: float
    f1_macro: float
    n: int


def score_predictions(
    truth: Sequence[str], predicted: Sequence[str], classes: Sequence[str], seed: int = 0
) -> HalfScore:
    """Accuracy with its percentile bootstrap interval and macro-F1 of ``predicted``."""
    truth, predicted = [str(v) for v in truth], [str(v) for v in predicted]
    if not truth:
        raise DataError("no hidden rows to score.")
    low, high = bootstrap_intervals(truth, predicted, classes, seed=seed)["accuracy"]
    return HalfScore(
        float(accuracy_score(truth, predicted)),
        low,
        high,
        float(f1_score(truth, predicted, labels=list(classes), average="macro", zero_division=0)),
        len(truth),
    )


def score_model(
    pipeline, features: Sequence[str], classes: Sequence[str], hidden: HiddenSet
) -> dict[str, HalfScore]:
    """A fitted numeric-feature pipeline scored on each half of the hidden rows.

    Raises
    ------
    DataError
        When the model's genres are not the lesson's, or a feature is missing.
    """
    label = hidden.label
    genres = sorted(map(str, hidden.public.labels.unique()))
    if sorted(map(str, classes)) != genres:
        raise DataError(
            "this model was trained on other genres than the lesson's "
            f"({', '.join(genres)}); the board scores the lesson's genres."
        )
    missing = [f for f in features if f not in hidden.frame.columns]
    if missing or not features:
        raise DataError(f"the hidden rows have no column {', '.join(missing) or '(no feature)'}.")
    predicted = np.asarray(pipeline.predict(feature_matrix(hidden.frame, features))).astype(str)
    truth = hidden.frame[label].astype(str).to_numpy()
    return {
        half: score_predictions(truth[hidden.half == half], predicted[hidden.half == half], genres)
        for half in HALVES
    }


def baselines(hidden: HiddenSet, half: str = "public") -> dict[str, float]:
    """Accuracy of guessing on a half of the hidden rows: ``random`` (1/K) and ``majority``
    (always the most common genre of the rows students train on)."""
    labels = hidden.public.labels.astype(str)
    truth = hidden.rows(half)[hidden.label].astype(str)
    majority = labels.value_counts().idxmax()
    return {"random": 1 / labels.nunique(), "majority": float((truth == majority).mean())}


def tie_ranks(accuracy: Sequence[float], low: Sequence[float], high: Sequence[float]) -> list[int]:
    """Each entry's rank: 1 + the entries whose whole interval lies above its own.

    Entries whose intervals overlap the leader's all rank first: a difference the test set
    cannot tell apart is shown as a tie, not as an order.
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    del accuracy  # the order within a tie is by accuracy, in the caller's sort
    return [int(1 + np.sum(low > h)) for h in high]


def board_table(rows: pd.DataFrame, half: str = "public") -> pd.DataFrame:
    """Submissions ranked on a half: best accuracy first, ties within the interval sharing a
    rank (``rank`` ``"=1"`` when shared). Only each student's best submission is ranked."""
    if rows.empty:
        return rows.assign(rank=[])
    prefix = f"{half}_"
    best = (
        rows.sort_values([prefix + "accuracy", "created"], ascending=[False, True])
        .drop_duplicates("nickname")
        .reset_index(drop=True)
    )
    ranks = tie_ranks(best[prefix + "accuracy"], best[prefix + "low"], best[prefix + "high"])
    shared = pd.Series(ranks).duplicated(keep=False)
    best.insert(0, "rank", [f"={r}" if s else str(r) for r, s in zip(ranks, shared, strict=True)])
    return best


def guess_scores(guesses: pd.DataFrame) -> pd.DataFrame:
    """Human against model per genre: guesses, the human's and the model's share right."""
    columns = ["genre", "tracks", "human", "model"]
    if guesses.empty:
        return pd.DataFrame(columns=columns)
    right = guesses.assign(
        human=guesses["human"] == guesses["truth"], model=guesses["model"] == guesses["truth"]
    )
    table = right.groupby("truth").agg(
        tracks=("human", "size"), human=("human", "mean"), model=("model", "mean")
    )
    total = pd.DataFrame(
        {
            "tracks": [len(right)],
            "human": [right["human"].mean()],
            "model": [right["model"].mean()],
        },
        index=["all genres"],
    )
    return pd.concat([table, total]).rename_axis("genre").reset_index()[columns]


__all__ = [
    "HalfScore",
    "baselines",
    "board_table",
    "guess_scores",
    "score_model",
    "score_predictions",
    "tie_ranks",
]
