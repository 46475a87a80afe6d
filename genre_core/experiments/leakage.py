"""How much of the accuracy was fake: the same model on a random split and on a split grouped
by song; the recipe of kind "leakage".

A random split sends copies of one song to both sides when the table repeats songs (the same
track in several playlists, the same title and artist twice): the model is then tested on songs
it was trained on, and its accuracy says more about its memory than about genres. This job
trains the recipe's model twice on the same rows, once with a random (stratified) split and
once with every song whole on one side, and reports both accuracies with their intervals, their
difference with its interval (the two test sets resampled independently), per genre too, and
how many test tracks of the random split were also in its training part, with the accuracy on
those and on the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from genre_core.data.audit import song_keys
from genre_core.data.dataset import Dataset
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import Outcome
from genre_core.experiments.fitting import TrainConfig, TrainResult, train_model
from genre_core.experiments.sampling import rows_title
from genre_core.experiments.train import OneModelRecipe
from genre_core.models.classical import MODELS, model_title, resolve_params
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import TaskState

SONG = "_song"  # the column the grouped split groups by: one value per song

OPTIONS = ParamSet(
    (
        Param(
            "model",
            "choice",
            "hgb",
            choices=tuple(MODELS),
            label="Model",
            help="the classical model trained on both splits",
        ),  # fmt: skip
        Param(
            "test",
            "float",
            0.2,
            0.05,
            0.5,
            label="Test share",
            help="the share of rows (or songs) held out, the same for both splits",
        ),  # fmt: skip
        Param("seed", "int", 0, 0, 2**31 - 1, help="the splits' and the model's random state"),
    )
)


@dataclass(frozen=True)
class Leakage:
    """Both runs and what separates them (see the module).

    ``per_genre``: recall of each genre on each split and their difference. ``leaked``: test
    rows of the random split whose song is also in its training part, of ``n_test``;
    ``leaked_accuracy`` and ``clean_accuracy``: the random split's accuracy on those and on
    the others (NaN when there are none).
    """

    random: TrainResult
    grouped: TrainResult
    difference: float
    difference_ci95: tuple[float, float]
    per_genre: pd.DataFrame
    leaked: int
    n_test: int
    leaked_accuracy: float
    clean_accuracy: float
    key: str
    dataset: str
    title: str

    def sentences(self) -> list[str]:
        """The finding in words a student understands."""
        r = self.random.evaluation
        g = self.grouped.evaluation
        low, high = self.difference_ci95
        lines = [
            f"Random split: {r.metrics['accuracy']:.1%} accuracy "
            f"({_interval(r)}); grouped by song: {g.metrics['accuracy']:.1%} ({_interval(g)}).",
            f"The random split adds {100 * self.difference:+.1f} points "
            f"(95% interval {100 * low:+.1f} to {100 * high:+.1f}).",
        ]
        if self.leaked:
            others = (
                f" and on {self.clean_accuracy:.1%} of the others"
                if self.leaked < self.n_test
                else ""
            )
            lines.append(
                f"{self.leaked:,} of its {self.n_test:,} test tracks "
                f"({self.leaked / self.n_test:.1%}) were also in training (the same song, "
                f"{self.key}): the model was right on {self.leaked_accuracy:.1%} of those"
                f"{others}."
            )
        else:
            lines.append("No test track of the random split was also in its training part.")
        return lines


def _interval(evaluation) -> str:
    low, high = evaluation.intervals["accuracy"]
    return f"95% interval {low:.1%} to {high:.1%}"


def difference_interval(
    a: np.ndarray, b: np.ndarray, n_boot: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """A 95% bootstrap interval of ``mean(a) - mean(b)`` for two independent samples of 0/1."""
    rng = np.random.default_rng(seed)
    n_boot = max(n_boot, 100)
    diffs = rng.binomial(len(a), a.mean(), n_boot) / len(a) - rng.binomial(
        len(b), b.mean(), n_boot
    ) / len(b)
    low, high = np.percentile(diffs, [2.5, 97.5])
    return float(low), float(high)


def recalls(result: TrainResult) -> pd.Series:
    held = result.held_out
    frame = pd.DataFrame({"true": held.true, "right": held.true == held.pred})
    return frame.groupby("true")["right"].mean()


@dataclass(frozen=True)
class LeakageSpec(OneModelRecipe):
    """The same model on a random split and on a split grouped by song (see the module).

    Parameters
    ----------
    data
        The table (its merge map and genres applied).
    model, preset, params
        The classical model.
    test
        The share held out by both splits.
    seed
        The splits' and the model's random state.
    """

    kind: ClassVar[str] = "leakage"
    title: ClassVar[str] = "How much of the accuracy was fake"

    test: float = 0.2
    seed: int = 0

    OPTIONS: ClassVar[ParamSet] = OPTIONS


Spec = LeakageSpec


def run(spec: LeakageSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None):
    """Train ``spec``'s model on both splits: ``dataset`` is a page's loaded table, else the
    recipe's own source is read. Emits ``start`` and a ``split`` event per training.

    Raises
    ------
    Cancelled
        When the task is stopped (between and within the two fits).
    DataError
        For a table without repeated songs to group by, or data the model cannot use.
    """
    table = spec.load_table(dataset)
    key, keys = song_keys(table)
    if key == "features":
        raise DataError(
            "this table has no track id, nor titles and artists, to tell one song from "
            "another: there is no grouped split to compare with."
        )
    frame = table.frame.reset_index(drop=True)
    frame[SONG] = pd.Series(keys.to_numpy(), dtype="string").fillna(
        pd.Series(np.arange(len(frame)), dtype="string") + "\x1f"
    )
    params = resolve_params(spec.model, spec.params, spec.preset)
    label = table.roles.label
    runs = {}
    splits = {
        "random": SplitSpec.of(test=spec.test, seed=spec.seed),
        "grouped": SplitSpec.of("group", SONG, test=spec.test, seed=spec.seed),
    }
    task.emit(stage="start", model=spec.model, rows=len(frame), total=2)
    for index, (name, split) in enumerate(splits.items()):
        task.check_cancel()
        task.emit(stage="split", split=name, index=index, total=2)
        config = TrainConfig(
            spec.model, params, features=tuple(table.roles.features), split=split, seed=spec.seed
        )
        runs[name] = train_model(frame, label, config, TaskState(None, task.cancel, task.n_boot))
    random, grouped = runs["random"], runs["grouped"]
    right_r = random.held_out.true == random.held_out.pred
    right_g = grouped.held_out.true == grouped.held_out.pred
    test_rows = np.asarray(random.held_out.rows)
    trained = np.setdiff1d(np.arange(len(frame)), test_rows)
    leaked = frame[SONG].iloc[test_rows].isin(set(frame[SONG].iloc[trained])).to_numpy()
    per_genre = pd.DataFrame({"random": recalls(random), "grouped": recalls(grouped)})
    per_genre["difference"] = per_genre["random"] - per_genre["grouped"]
    per_genre = per_genre.rename_axis("genre").reset_index()
    result = Leakage(
        random,
        grouped,
        float(right_r.mean() - right_g.mean()),
        difference_interval(right_r, right_g, task.n_boot, spec.seed),
        per_genre,
        int(leaked.sum()),
        len(test_rows),
        float(right_r[leaked].mean()) if leaked.any() else float("nan"),
        float(right_r[~leaked].mean()) if (~leaked).any() else float("nan"),
        key,
        table.name,
        model_title(spec.model, params) + rows_title(spec.sampled_rows(table)),
    )
    summary = {
        "kind": spec.kind,
        "data": table.name,
        "model": spec.model,
        "title": result.title,
        "random_accuracy": round(random.evaluation.metrics["accuracy"], 4),
        "grouped_accuracy": round(grouped.evaluation.metrics["accuracy"], 4),
        "difference": round(result.difference, 4),
        "difference_ci95": [round(v, 4) for v in result.difference_ci95],
        "leaked_test_rows": result.leaked,
        "test_rows": result.n_test,
        "song": key,
        "per_genre": per_genre.round(4).to_dict("records"),
        "sentences": result.sentences(),
    }
    return Outcome(spec, summary, result)
