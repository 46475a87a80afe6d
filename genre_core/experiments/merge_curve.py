"""The merge curve: train, merge the two genres the model confuses most, train again, down to
a few genres; the recipe of kind "merge-curve" and the steps it runs.

Each step trains the same model on the same split of the same rows, only the labels change.
The pair merged next is the first suggestion of
:func:`~genre_core.data.merging.merge_suggestions` on the step's test confusion matrix, and
merged genres are named "a + b". Accuracy rises as genres merge, but so does the accuracy of
always answering the largest genre: every step keeps that majority baseline, since only the
margin over it is skill.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from genre_core.data.dataset import Dataset
from genre_core.data.merging import merge_suggestions
from genre_core.data.preprocess import select_genres
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import Outcome
from genre_core.experiments.fitting import TrainConfig, TrainResult, train_model
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.experiments.sampling import rows_title
from genre_core.experiments.train import check_model_choice, model_params
from genre_core.metrics.evaluation import evaluation_summary
from genre_core.models.classical import MODELS, get_model, model_title, resolve_params
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import TaskState

N_BOOT = 100  # bootstrap resamples of each step's accuracy interval: enough for a curve
QUICK_MODELS = ("logreg", "knn", "rf", "hgb")  # fast enough to train once per step on a page
DEFAULT_SPLIT = SplitSpec.by_track(test=0.3)

OPTIONS = ParamSet(
    (
        Param(
            "model",
            "choice",
            "logreg",
            choices=tuple(MODELS),
            label="Model",
            help="the classical model trained at every step",
        ),
        Param(
            "min_genres",
            "int",
            2,
            2,
            1000,
            label="Stop at genres",
            help="merge until this many genres are left",
        ),
        Param("seed", "int", 0, 0, 2**31 - 1, help="the model's random state"),
    )
)


@dataclass(frozen=True)
class MergeStep:
    """One point of the merge curve: the model's score with ``classes`` as the genres."""

    classes: tuple[str, ...]
    merged: tuple[str, str] | None  # the pair merged to get here; None at the start
    accuracy: float
    f1_macro: float
    confusion: np.ndarray
    majority: float  # accuracy of always answering the most common training genre
    accuracy_ci95: tuple[float, float] | None = None
    result: TrainResult | None = field(default=None, repr=False, compare=False)

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def merge_curve(
    frame: pd.DataFrame,
    label: str,
    config: TrainConfig,
    task: TaskState = TaskState(n_boot=N_BOOT),
    *,
    min_classes: int = 2,
) -> list[MergeStep]:
    """Train, merge the two most confused genres, and train again, down to ``min_classes``.

    ``config``'s genre subset is applied first. Each step emits
    ``{"stage": "step", "step", "total", "n_classes", "accuracy", "merged"}`` (its fit's own
    events are not sent).

    Raises
    ------
    Cancelled
        When the task is stopped (checked before each step, and within a step's fit).
    DataError
        For data a step cannot be trained on.
    """
    table = select_genres(frame, label, list(config.genres)).reset_index(drop=True)
    config = replace(config, genres=())
    labels = table[label].astype("string")
    total = max(labels.nunique() - min_classes + 1, 1)
    steps: list[MergeStep] = []
    merged = None
    fit_task = replace(task, progress=None)
    while True:
        task.check_cancel()
        result = train_model(table.assign(**{label: labels}), label, config, fit_task)
        evaluation = result.evaluation
        low, high = evaluation.intervals["accuracy"]
        step = MergeStep(
            evaluation.classes,
            merged,
            evaluation.metrics["accuracy"],
            evaluation.metrics["f1_macro"],
            evaluation.confusion,
            evaluation.baselines["majority"],
            (float(low), float(high)),
            result,
        )
        steps.append(step)
        task.emit(
            stage="step",
            step=len(steps),
            total=total,
            n_classes=step.n_classes,
            accuracy=step.accuracy,
            merged=list(merged) if merged else None,
        )
        if step.n_classes <= min_classes:
            return steps
        a, b, _ = merge_suggestions(step.confusion, list(step.classes))[0]
        merged = (a, b)
        labels = labels.replace({a: f"{a} + {b}", b: f"{a} + {b}"})


def steps_table(steps: list[MergeStep], digits: int = 4) -> pd.DataFrame:
    """One row per step: genres left, the pair merged, accuracy (and its 95% interval),
    macro-F1 and the majority baseline."""
    ci = [s.accuracy_ci95 or (np.nan, np.nan) for s in steps]
    return pd.DataFrame(
        {
            "genres": [s.n_classes for s in steps],
            "merged": ["" if s.merged is None else " and ".join(s.merged) for s in steps],
            "accuracy": [round(s.accuracy, digits) for s in steps],
            "accuracy low": [round(lo, digits) for lo, _ in ci],
            "accuracy high": [round(hi, digits) for _, hi in ci],
            "macro-F1": [round(s.f1_macro, digits) for s in steps],
            "majority baseline": [round(s.majority, digits) for s in steps],
        }
    )


# ---- the recipe --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeCurveSpec(Recipe):
    """Accuracy as the most confused genres merge, step by step.

    Parameters
    ----------
    data
        The table; its merge map (if any) is the curve's starting point.
    split
        The one split every step uses (``split.seed`` draws it).
    model, preset, params
        A classical model of the zoo, an optional preset of it, and hyperparameters over
        those (engine values, checked by the model's schema).
    min_genres
        Merge until this many genres are left.
    seed
        The model's random state (and the bootstrap of the intervals).
    log
        Log each step's model to the run history. Off by default: the merge curve was never
        logged, and its steps are a means (labels change at every step), not runs to compare.
    """

    kind: ClassVar[str] = "merge-curve"
    title: ClassVar[str] = "Accuracy as genres merge"

    data: DataSpec = DataSpec()
    split: SplitSpec = DEFAULT_SPLIT
    model: str = "logreg"
    preset: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    min_genres: int = 2
    seed: int = 0
    log: bool = False

    # the CLI gives a model's hyperparameters as NAME=VALUE (``--param C=0.5``)
    OPTIONS: ClassVar[ParamSet] = OPTIONS
    DEFAULT_SPLIT: ClassVar[SplitSpec] = DEFAULT_SPLIT

    def check(self) -> None:
        check_model_choice(self.model, self.preset, self.params)
        self.check_options(("min_genres", "seed"))
        super().check()
        if 0 < len(self.data.genres) <= self.min_genres:
            raise RecipeError(
                f"data.genres: {len(self.data.genres)} genre(s) leave nothing to merge down to "
                f"{self.min_genres}; keep more genres (none: all) or lower min_genres."
            )

    @classmethod
    def from_settings(
        cls, data: DataSpec, split: SplitSpec, settings: dict, rest: dict, preset: str | None
    ) -> MergeCurveSpec:
        """A merge curve from parsed settings, and the model's hyperparameters as texts in
        ``rest`` (``C=0.5``)."""
        model = settings.pop("model", OPTIONS.get("model").default)
        return cls(data, split, model, preset, model_params(get_model(model), rest), **settings)

    def config(self, dataset: Dataset) -> TrainConfig:
        """The model to train at every step, on ``dataset`` (its roles already applied)."""
        params = resolve_params(self.model, self.params, self.preset)
        return TrainConfig(
            self.model,
            params,
            features=tuple(dataset.roles.features),
            genres=tuple(self.data.genres),
            split=self.split_on(dataset),
            seed=self.seed,
            rows=self.sampled_rows(dataset),
        )


Spec = MergeCurveSpec


@dataclass(frozen=True)
class MergeCurve:
    """What a "merge-curve" job gives the page: the steps, on which data, with which model."""

    steps: tuple[MergeStep, ...]
    dataset: str
    title: str

    def table(self) -> pd.DataFrame:
        return steps_table(list(self.steps))


def run(
    spec: MergeCurveSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None
) -> Outcome:
    """Run the merge curve of ``spec``: ``dataset`` is a page's loaded table (before the
    recipe's roles, merge map and genres), else the recipe's own source is read.

    Emits ``{"stage": "start", "genres", "total"}``, then one ``step`` event per step (see
    :func:`merge_curve`), and with ``spec.log`` a ``logged`` or ``store-error`` per step.

    Each step's accuracy interval comes from :data:`N_BOOT` resamples, whatever the task's
    ``n_boot``.

    Raises
    ------
    Cancelled
        When the task is stopped; the steps done are not returned.
    DataError
        For data the recipe cannot use (fewer than three genres, one row of a genre, ...).
    """
    table = spec.load_table(dataset, genres=False)
    config = spec.config(table)
    label = table.roles.label
    present = select_genres(table.frame, label, list(config.genres))[label].nunique()
    if present <= spec.min_genres:
        raise DataError(
            f"{present} genre(s) leave nothing to merge down to {spec.min_genres}; "
            "keep more genres or lower the number to stop at."
        )
    task.emit(stage="start", genres=int(present), total=int(present - spec.min_genres + 1))
    steps = merge_curve(
        table.frame, label, config, replace(task, n_boot=N_BOOT), min_classes=spec.min_genres
    )
    run_ids: list[str | None] = [None] * len(steps)
    warnings: list[str] = []
    if spec.log:
        for i, step in enumerate(steps):
            run_ids[i] = spec.log_to_history(
                task, step.result, warnings, source=task.source or "merge-curve", dataset=table.name
            )
            if warnings:
                break  # the store is failing: the next steps would say the same
    title = model_title(spec.model, config.params) + rows_title(config.rows)
    summary = {
        "kind": spec.kind,
        "data": table.name,
        "split": config.split.text,
        "model": spec.model,
        "title": title,
        "steps": [
            {
                "genres": s.n_classes,
                "merged": list(s.merged) if s.merged else None,
                "classes": list(s.classes),
                "accuracy": round(s.accuracy, 4),
                "accuracy_ci95": [round(v, 4) for v in s.accuracy_ci95],
                "f1_macro": round(s.f1_macro, 4),
                "majority": round(s.majority, 4),
            }
            for s in steps
        ],
        "runs": [
            {
                "model": spec.model,
                "title": f"{title}, {s.n_classes} genres",
                **evaluation_summary(s.result.evaluation),
                "run_id": run_id,
            }
            for s, run_id in zip(steps, run_ids, strict=True)
        ],
    }
    return Outcome(
        spec,
        summary,
        MergeCurve(tuple(steps), table.name, title),
        tuple(r for r in run_ids if r),
        (*spec.sample_warnings(table), *warnings),
    )


__all__ = [
    "MergeCurve",
    "MergeCurveSpec",
    "MergeStep",
    "OPTIONS",
    "QUICK_MODELS",
    "Spec",
    "merge_curve",
    "run",
    "steps_table",
]
