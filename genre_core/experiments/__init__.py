"""One module per kind of job: its recipe (``Spec``) and ``run(spec, task)``.

>>> from genre_core import experiments
>>> spec = experiments.load_recipe(open("recipe.json").read())
>>> outcome = experiments.run(spec)          # progress and cancel are optional
>>> outcome.summary["runs"][0]["accuracy"]

A kind's ``run`` takes the recipe and one :class:`~genre_core.runs.progress.TaskState` (where
the events go, the stop flag, the run's options) and returns an :class:`Outcome`: the JSON
summary the CLI prints, the run ids it logged to the run history, and the kind's own result
object for the page's figures.
Modules are imported on first use, so a classical fit never imports torch.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from genre_core.data.dataset import Dataset
from genre_core.errors import DataError
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.runs.progress import CancelFlag, Progress, TaskState

# kind -> module holding ``Spec`` and ``run``
KINDS: dict[str, str] = {
    "train": "genre_core.experiments.train",
    "grid": "genre_core.experiments.grid",
    "net": "genre_core.experiments.net",
    "transfer": "genre_core.experiments.transfer",
    "bayes": "genre_core.experiments.bayes",
    "bayes-tables": "genre_core.experiments.bayes_tables",
    "merge-curve": "genre_core.experiments.merge_curve",
    "label-issues": "genre_core.experiments.label_issues",
    "leakage": "genre_core.experiments.leakage",
    "explain": "genre_core.experiments.explain",
    "explain-model": "genre_core.experiments.explain_model",
    "predict": "genre_core.experiments.predict_job",
    "search": "genre_core.experiments.search",
}


@dataclass
class Outcome:
    """What a job returns, whatever its kind.

    Attributes
    ----------
    recipe
        The recipe that ran.
    summary
        Plain JSON values: ``kind``, and per run (``runs``) the model, accuracy with its
        interval, macro-F1, per-genre scores and the run id; what ``genre-lab run --json``
        prints.
    result
        The kind's own result (a ``TrainResult``, a ``NetResult``, ...), for figures.
    run_ids
        The runs logged to the run history (empty with ``log=False`` or a failing store).
    warnings
        Sentences a user should read (a store that failed to log, a shortcut, ...).
    """

    recipe: Recipe
    summary: dict
    result: Any = None
    run_ids: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def of_run(
        cls, recipe: Recipe, summary: dict, result: Any, run_id: str | None, warnings: list[str]
    ) -> Outcome:
        """The outcome of a job that logs at most one run (``run_id``: ``None`` when it did
        not)."""
        return cls(recipe, summary, result, (run_id,) if run_id else (), tuple(warnings))


def module(kind: str):
    """The module of a kind of job."""
    if kind not in KINDS:
        raise RecipeError(f"kind: unknown kind '{kind}'; choose one of: {', '.join(KINDS)}.")
    return importlib.import_module(KINDS[kind])


def recipe_class(kind: str) -> type[Recipe]:
    return module(kind).Spec


def load_recipe(data: str | bytes | Mapping[str, Any]) -> Recipe:
    """A checked recipe from its JSON text or dict.

    Raises
    ------
    RecipeError
        Naming the field at fault (or saying the text is not JSON).
    """
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError) as error:
            raise RecipeError(f"the recipe is not valid JSON: {error}") from None
    if not isinstance(data, Mapping):
        raise RecipeError("a recipe is a JSON object with a 'kind' field.")
    kind = data.get("kind")
    if not kind:
        raise RecipeError(f"kind: missing; a recipe names its kind ({', '.join(KINDS)}).")
    return recipe_class(str(kind)).from_dict(data)


def run(
    recipe: Recipe,
    progress: Progress | None = None,
    cancel: CancelFlag | None = None,
    *,
    dataset: Dataset | None = None,
    **options,
) -> Outcome:
    """Run any recipe: check it, then hand it to its kind's ``run``.

    ``progress`` receives event dicts (``{"stage": ..., ...}``); ``cancel`` is checked
    cooperatively (a set event ends the job with :class:`~genre_core.runs.progress.Cancelled`);
    ``dataset`` is an already loaded table. ``options`` are the run's (``n_boot=``,
    ``source=``: see :class:`~genre_core.runs.progress.TaskState`).
    """
    recipe.check()
    task = TaskState(progress, cancel, **options)
    return module(recipe.kind).run(recipe, task, dataset=dataset)


__all__ = [
    "KINDS",
    "DataSpec",
    "DataError",
    "Outcome",
    "Recipe",
    "RecipeError",
    "TaskState",
    "load_recipe",
    "module",
    "recipe_class",
    "run",
]
