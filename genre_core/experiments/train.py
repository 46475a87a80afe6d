"""Train classical models: the recipe of kind "train" and its :func:`run`.

A :class:`TrainSpec` names the data, the split, one or more models of the zoo (each with a
preset and its own hyperparameters), the feature set, the preparation and an optional
cross-validation; :func:`run` trains each model on the training part, scores it on the test
part, cross-validates it when asked, and logs it to the run history. The steps themselves
(:func:`train_model`, :func:`cross_validate`, :func:`fit_all`, ...) live in
:mod:`genre_core.experiments.fitting`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from genre_core.data.dataset import Dataset
from genre_core.data.features import (
    ARTIST_WARNING,
    FEATURE_SETS,
    PROFILE_WARNING,
    check_feature_set,
)
from genre_core.data.preprocess import IMPUTERS, SCALERS, PrepConfig
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import Outcome
from genre_core.experiments.fitting import (
    TrainConfig,
    TrainResult,
    cross_validate,
    groups_for,
    train_model,
    training_table,
)
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.metrics.evaluation import evaluation_summary
from genre_core.metrics.tracks import track_columns
from genre_core.models.classical import (
    MODELS,
    ModelSpec,
    get_model,
    make_model,
    resolve_params,
)
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import Cancelled, TaskState

# ---- the recipe of kind "train" ----------------------------------------------------------------

OPTIONS = ParamSet(
    (
        Param(
            "models",
            "text",
            "logreg",
            label="Models",
            help=f"comma-separated models of the zoo: {', '.join(MODELS)}",
        ),
        Param(
            "feature_set",
            "choice",
            "numeric",
            choices=FEATURE_SETS,
            label="Feature set",
            help="numeric features, title embeddings (text), or both",
        ),
        Param("artist", "bool", False, help="use the artist as a feature"),
        Param(
            "artist_profile",
            "bool",
            False,
            help="add the artist's profile: each numeric feature's mean over the artist's "
            "songs, and their count",
        ),
        Param(
            "imputer", "choice", "median", choices=IMPUTERS, help="how missing values are filled"
        ),
        Param("scaler", "choice", "standard", choices=SCALERS, help="how features are scaled"),
        Param(
            "cv_folds",
            "int",
            0,
            0,
            20,
            label="Cross-validation folds",
            help="k-fold cross-validation of each model besides the test score (0: none; "
            "grouped folds when the split is grouped)",
        ),
    )
)


@dataclass(frozen=True)
class ModelChoice:
    """One model of a batch: its name, a preset of a seed report, and its own hyperparameters
    (over the preset; in their engine form)."""

    name: str
    preset: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> dict:
        """Every hyperparameter: defaults, then the preset, then ``params`` (checked)."""
        return resolve_params(self.name, self.params, self.preset)


def check_model_choice(
    model: str,
    preset: str | None,
    params: Mapping[str, Any],
    where: str = "",
    name: str = "model",
) -> ModelSpec:
    """Check a classical model choice: a model of the zoo, one of its presets, and
    hyperparameters its schema reads; the model's spec.

    Raises
    ------
    RecipeError
        Naming the field at fault: ``{where}{name}``, ``{where}preset`` or
        ``{where}params.NAME``.
    """
    try:
        spec = get_model(model)
    except DataError as error:
        raise RecipeError.of_field(f"{where}{name}", error) from None
    if preset and preset not in spec.presets:
        known = ", ".join(spec.presets) or "none"
        raise RecipeError(
            f"{where}preset: {model} has no preset '{preset}'; its presets are: {known}."
        )
    model_params(spec, params, f"{where}params")
    return spec


def model_params(spec: ModelSpec, values: Mapping[str, Any], where: str = "params") -> dict:
    """``values`` (texts or engine values) read by the model's schema, in engine form.

    Raises
    ------
    RecipeError
        Naming the field ``{where}.NAME`` the schema refuses.
    """
    out = {}
    for key, value in values.items():
        try:
            out[key] = spec.param(key).parse(value, spec.name)
        except DataError as error:
            raise RecipeError.of_field(f"{where}.{key}", error) from None
    return out


@dataclass(frozen=True)
class OneModelRecipe(Recipe):
    """A recipe of one classical model on a table that draws its own splits or folds: the
    ``model``, one of its ``preset``s and ``params`` over it; a kind adds its options (those of
    its ``OPTIONS`` besides ``model``) as fields after these."""

    data: DataSpec = DataSpec()
    model: str = "hgb"
    preset: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        check_model_choice(self.model, self.preset, self.params)
        self.check_options([name for name in self.options().names if name != "model"])
        super().check()

    @classmethod
    def from_settings(
        cls, data: DataSpec, split: SplitSpec, settings: dict, rest: dict, preset: str | None
    ) -> OneModelRecipe:
        """The recipe of parsed ``settings``, the model's hyperparameters as texts in ``rest``
        (``C=0.5``); the split is the kind's own."""
        model = settings.pop("model", cls.options().get("model").default)
        return cls(data, model, preset, model_params(get_model(model), rest), **settings)


@dataclass(frozen=True)
class TrainSpec(Recipe):
    """Train one or more classical models on one split, optionally cross-validate each.

    Parameters
    ----------
    data, split
        The table and how its rows are held out (``split.seed`` draws the split).
    models
        The models, each with its preset and hyperparameters.
    feature_set
        "numeric", "text" (title embeddings) or "numeric+text".
    artist
        Use the artist column as a feature (honest only with a split grouped by artist).
    artist_profile
        Add each song's artist profile, the mean of every numeric feature over the artist's
        songs in the table and their count (:func:`~genre_core.data.features.artist_profile`;
        no genre is read; honest only with a split grouped by artist). The "best" model reads
        it under a split grouped by the artist column whether or not this is set.
    imputer, scaler
        The preparation of the numeric features.
    cv_folds
        k-fold cross-validation of every model on the kept rows (0: none).
    seed
        The models' random state.
    log
        Log each trained model to the run history.
    """

    kind: ClassVar[str] = "train"
    title: ClassVar[str] = "Train classical models"

    data: DataSpec = DataSpec()
    split: SplitSpec = SplitSpec.by_track()
    models: tuple[ModelChoice, ...] = (ModelChoice("logreg"),)
    feature_set: str = "numeric"
    artist: bool = False
    artist_profile: bool = False
    imputer: str = "median"
    scaler: str = "standard"
    cv_folds: int = 0
    seed: int = 0
    log: bool = True

    # the CLI gives a model's own hyperparameters as NAME=VALUE or MODEL.NAME=VALUE
    OPTIONS: ClassVar[ParamSet] = OPTIONS

    def check(self) -> None:
        super().check()
        if not self.models:
            raise RecipeError("models: choose at least one model.")
        for i, choice in enumerate(self.models):
            check_model_choice(choice.name, choice.preset, choice.params, f"models[{i}].", "name")
        for name in ("artist", "artist_profile", "log"):
            if not isinstance(getattr(self, name), bool):
                raise RecipeError(f"{name}: expected true or false, not {getattr(self, name)!r}.")
        self.check_options(("feature_set", "imputer", "scaler", "cv_folds"))
        if self.cv_folds == 1:
            raise RecipeError("cv_folds: cross-validation needs at least 2 folds (0: none).")
        if self.cv_folds and (self.feature_set != "numeric" or self.artist or self.artist_profile):
            raise RecipeError(
                "cv_folds: cross-validation uses numeric features only; set it to 0 (none) "
                "or use the numeric feature set without the artist or its profile."
            )
        if self.artist_profile and "numeric" not in self.feature_set:
            raise RecipeError(
                "artist_profile: the profile averages the numeric features; use the numeric "
                "or numeric+text feature set with it."
            )
        self.data.check_genres()

    @classmethod
    def from_settings(
        cls, data: DataSpec, split: SplitSpec, settings: dict, rest: dict, preset: str | None
    ) -> TrainSpec:
        """A batch from parsed settings, and model hyperparameters as texts in ``rest``
        (``C=0.5``: every chosen model that has it; ``svm.C=0.5``: that one)."""
        names = [n.strip() for n in str(settings.pop("models", "logreg")).split(",") if n.strip()]
        for i, name in enumerate(names):
            check_model_choice(name, None, {}, f"models[{i}].", "name")
        if preset and not any(preset in MODELS[n].presets for n in names):
            raise RecipeError(f"preset: none of {', '.join(names)} has a preset '{preset}'.")
        own: dict[str, dict[str, Any]] = {n: {} for n in names}
        for key, raw in rest.items():
            model, _, name = str(key).rpartition(".")
            targets = [model] if model else [n for n in names if _has_param(n, name)]
            if model and model not in own:
                raise RecipeError(f"{key}: {model} is not among the models ({', '.join(names)}).")
            if not targets:
                raise RecipeError(
                    f"{key}: none of {', '.join(names)} has a parameter '{name}'; "
                    f"the options are: {', '.join(OPTIONS.names)}."
                )
            for target in targets:
                try:
                    own[target][name] = MODELS[target].param(name).parse(raw, target)
                except DataError as error:
                    raise RecipeError.of_field(f"{key}", error) from None
        models = tuple(
            ModelChoice(n, preset if preset in MODELS[n].presets else None, own[n]) for n in names
        )
        return cls(data, split, models, **settings)

    def configs(self, dataset: Dataset) -> list[TrainConfig]:
        """One :class:`TrainConfig` per model, on ``dataset`` (its roles already applied)."""
        roles = dataset.roles
        for name in ("artist", "artist_profile"):
            if getattr(self, name) and roles.artist_column is None:
                raise RecipeError(f"{name}: {dataset.name} has no artist column to use.")
        artist = roles.artist_column if self.artist else None
        profile = roles.artist_column if self.artist_profile else None
        by_artist = self.split.method == "group" and self.split.group_column == roles.artist_column
        honest = by_artist and roles.artist_column and "numeric" in self.feature_set
        best_profile = roles.artist_column if honest else profile  # "best" reads it if honest
        features = tuple(roles.features) if "numeric" in self.feature_set else ()
        rows = self.sampled_rows(dataset)
        return [
            TrainConfig(
                choice.name,
                choice.resolved(),
                PrepConfig(self.imputer, self.scaler),
                features,
                tuple(self.data.genres),
                self.split,
                self.seed,
                feature_set=self.feature_set,
                text=tuple(roles.text),
                artist=artist,
                rows=rows,
                profile=best_profile if choice.name == "best" else profile,
            )
            for choice in self.models
        ]


Spec = TrainSpec


def _has_param(model: str, name: str) -> bool:
    return any(p.name == name for p in MODELS[model].params)


@dataclass(frozen=True)
class ModelRun:
    """One model of a batch: its result, its cross-validation summary and its run id."""

    result: TrainResult
    cv: dict | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class TrainBatch:
    """What a "train" job gives the page: the models trained, on which data."""

    runs: tuple[ModelRun, ...]
    dataset: str
    split: SplitSpec


def prepared(spec: Recipe, dataset: Dataset | None = None) -> Dataset:
    """The recipe's table for the training steps (:meth:`Recipe.load_table` with the genres
    left to the steps)."""
    return spec.load_table(dataset, genres=False)


def run(
    spec: TrainSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None
) -> Outcome:
    """Train every model of ``spec``, cross-validate each when asked, log each run.

    Emits ``{"stage": "start", "model", "index", "total"}`` per model, then the steps' own
    events (``embed``, ``split``, ``fit`` per boosting round or batch of trees, ``evaluate``,
    ``done``, ``cv``) and ``logged`` or ``store-error``. A model that cannot be trained is
    skipped with a warning; when none can, its error is raised. A stop request ends the batch
    within the current fit's next round or batch of trees (or after the fit, for the other
    models), keeping the models already trained.

    Raises
    ------
    DataError
        For data the recipe cannot use (unknown genre or column, one genre left, ...).
    """
    table, split = spec.table_and_split(dataset)
    configs = dataclasses.replace(spec, split=split).configs(table)
    check_feature_set(spec.feature_set, configs[0].features, configs[0].text)
    if "numeric" in spec.feature_set:  # fail before the first fit, not after it
        training_table(table.frame, table.roles.label, configs[0].features, spec.data.genres)
    runs: list[ModelRun] = []
    warnings = spec.sample_warnings(table)
    if configs[0].artist and split.group_column != configs[0].artist:
        warnings.append(ARTIST_WARNING)
    if configs[0].profile and split.group_column != configs[0].profile:
        warnings.append(PROFILE_WARNING)
    errors: list[DataError] = []
    names = track_columns(table.roles.text, table.roles.artist_column)
    for index, config in enumerate(configs):
        if task.cancelled:
            break
        task.emit(stage="start", model=config.model, index=index, total=len(configs))
        try:
            result = train_model(table.frame, table.roles.label, config, task, names=names)
            cv = _cross_validation(table, config, spec.cv_folds, task)
        except Cancelled:
            break
        except DataError as error:
            errors.append(error)
            warnings.append(f"{config.model}: {error}")
            task.emit(stage="error", model=config.model, message=str(error))
            continue
        run_id = None
        if spec.log:
            # the run's own recipe: this one model (a bundle reruns it from the history)
            own = dataclasses.replace(spec, models=(spec.models[index],))
            run_id = own.log_to_history(task, result, warnings, dataset=table.name)
        runs.append(ModelRun(result, cv, run_id))
    if errors and not runs:
        raise errors[0]
    batch = TrainBatch(tuple(runs), table.name, split)
    summary = {
        "kind": spec.kind,
        "data": table.name,
        "split": split.text,
        "runs": [
            {
                "model": r.result.config.model,
                "title": r.result.title,
                **evaluation_summary(r.result.evaluation),
                "params": r.result.params,
                "fit_seconds": round(r.result.fit_seconds, 3),
                **({"artist_profile": r.result.config.profile} if r.result.config.profile else {}),
                "cv": r.cv,
                "run_id": r.run_id,
            }
            for r in runs
        ],
    }
    run_ids = tuple(r.run_id for r in runs if r.run_id)
    return Outcome(spec, summary, batch, run_ids, tuple(warnings))


def _cross_validation(
    table: Dataset, config: TrainConfig, folds: int, task: TaskState
) -> dict | None:
    if not folds:
        return None
    rows, X, y = training_table(table.frame, table.roles.label, config.features, config.genres)
    pipeline = make_model(config.model, config.params, config.prep, config.seed)
    groups = groups_for(rows, config.split)
    return cross_validate(pipeline, X, y, task, groups=groups, k=folds, seed=config.seed).summary()


__all__ = [
    "ModelChoice",
    "ModelRun",
    "OneModelRecipe",
    "Spec",
    "TrainBatch",
    "TrainSpec",
    "check_model_choice",
    "model_params",
    "prepared",
    "run",
]
