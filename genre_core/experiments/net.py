"""The kind "net": train one network (an MLP or a sequence model) on a table, as a recipe.

:class:`NetSpec` holds the data, the split (a network needs a validation share: it is watched
every epoch), the network's settings in engine form (:data:`~genre_core.models.presets.NET_PARAMS`)
and the preparation; :func:`run` trains it, logs it to the run history and returns an
:class:`~genre_core.experiments.Outcome` whose result is a :class:`NetResult`.

>>> spec = NetSpec.from_options(DataSpec("spotify-30k"), None, {"epochs": "5"}, "development")
>>> outcome = run(spec)
>>> outcome.summary["runs"][0]["accuracy"]

:func:`~genre_core.experiments.net_training.train_network` is the step underneath, on an
already loaded table (the search uses it); it and :class:`NetResult` are importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from genre_core.data.preprocess import PrepConfig
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.fitting import training_table
from genre_core.experiments.net_training import (
    DEFAULT_SPLIT,
    NetConfig,
    NetResult,
    predict_frame,
    predict_tracks,
    train_network,
)
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.experiments.sampling import rows_title
from genre_core.metrics.evaluation import evaluation_summary
from genre_core.models.presets import (
    FEATURE_SETS,
    NET_IMPUTERS,
    NET_KINDS,
    NET_PARAMS,
    NET_SCALERS,
    PRESETS,
    preset_params,
)
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import TaskState

if TYPE_CHECKING:  # torch is imported when a network trains, not when a recipe is read
    from genre_core.data.dataset import Dataset
    from genre_core.experiments import Outcome


# What a net recipe sets besides the network (the CLI's options, with NET_PARAMS).
NET_OPTIONS = ParamSet(
    [
        Param("feature_set", "choice", "numeric", choices=FEATURE_SETS, label="Inputs",
              help="numeric features, or numeric + the titles' 384-d sentence embeddings "
              "(the title model always reads the titles as words)."),
        Param("imputer", "choice", "median", choices=NET_IMPUTERS, label="Imputer",
              help="How missing feature values are filled."),
        Param("scaler", "choice", "standard", choices=NET_SCALERS, label="Scaler",
              help="Kept in the saved file as numbers."),
        Param("initial", "text", None, optional=True, label="Start from weights",
              help="A saved network (.safetensors) whose matching layers start the training."),
    ]
)  # fmt: skip


# ---- the recipe -------------------------------------------------------------------------------


def network_settings(values: Mapping[str, Any] | None, where: str = "params") -> dict[str, Any]:
    """Every network setting in engine form: the schema's defaults with ``values`` (texts or
    engine values) parsed over them.

    Raises
    ------
    RecipeError
        Naming the setting (``params.dropout: ...``).
    """
    out = dict(NET_PARAMS.defaults)
    for key, value in (values or {}).items():
        try:
            param = NET_PARAMS.get(str(key), "the network")
            out[param.name] = param.parse(value, "network")
        except DataError as error:
            raise RecipeError.of_field(f"{where}.{key}", error) from None
    return out


def check_preset(preset: str | None) -> None:
    """Raise :class:`RecipeError` naming ``preset`` unless it is one of :data:`PRESETS`."""
    if preset is not None and preset not in PRESETS:
        raise RecipeError(
            f"preset: unknown network preset '{preset}'; choose one of: {', '.join(PRESETS)}."
        )


@dataclass(frozen=True)
class NetSpec(Recipe):
    """Train one network: what the Networks page and ``genre-lab run`` run.

    Parameters
    ----------
    data, split
        The table and its split; the validation share is watched every epoch (early stopping,
        the learning-rate plateau, the best weights), the test share is used once.
    params
        Every network setting in engine form (:data:`~genre_core.models.presets.NET_PARAMS`;
        missing ones take the schema's defaults, and are filled in).
    preset
        The seed report's network the settings started from (informative).
    feature_set, imputer, scaler
        What the network reads and how the numeric features are prepared.
    initial, initial_sha256
        A saved network (.safetensors path, or the name of an upload kept by its hash) whose
        matching layers start the training.
    seed
        Seeds the weights, the shuffling and the dropout masks (the split has its own).
    log
        Log the run to the run history when done.
    """

    kind: ClassVar[str] = "net"
    title: ClassVar[str] = "Train a network"

    data: DataSpec = DataSpec()
    split: SplitSpec = SplitSpec.by_track(
        validation=DEFAULT_SPLIT.validation, test=DEFAULT_SPLIT.test
    )
    params: dict[str, Any] = field(default_factory=lambda: dict(NET_PARAMS.defaults))
    preset: str | None = None
    feature_set: str = "numeric"
    imputer: str = "median"
    scaler: str = "standard"
    initial: str | None = None
    initial_sha256: str | None = None
    seed: int = 0
    log: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", network_settings(self.params))

    # the network's settings and the recipe's own (inputs, preparation, initial weights)
    OPTIONS: ClassVar[ParamSet] = ParamSet([*NET_PARAMS, *NET_OPTIONS])
    PARSED: ClassVar[ParamSet] = NET_OPTIONS  # the network's settings: by network_settings
    DEFAULT_SPLIT: ClassVar[SplitSpec] = SplitSpec.by_track(
        validation=DEFAULT_SPLIT.validation, test=DEFAULT_SPLIT.test
    )

    def check(self) -> None:
        super().check()
        check_preset(self.preset)
        self.check_options(("feature_set", "imputer", "scaler"))
        if not self.split.validation > 0:
            raise RecipeError(
                "split.validation: a network needs a validation share (above 0) to watch its "
                "loss every epoch."
            )
        p = self.params
        layers = len(p["hidden"])
        for name in ("batch_norm", "dropout"):
            if isinstance(p[name], tuple) and len(p[name]) != layers:
                raise RecipeError(
                    f"params.{name}: {len(p[name])} values for {layers} hidden layers; give one "
                    "value, or one per layer."
                )
        if p["kind"] != "mlp" and not p["rnn_units"]:
            raise RecipeError(
                f"params.rnn_units: a {NET_KINDS[p['kind']]} needs at least one recurrent layer."
            )
        if p["kind"] == "title" and self.feature_set != "numeric":
            raise RecipeError(
                "feature_set: the title model reads the titles as words; use 'numeric'."
            )
        if self.initial_sha256 and not self.initial:
            raise RecipeError("initial: name the file whose hash initial_sha256 gives.")

    @classmethod
    def from_settings(
        cls, data: DataSpec, split: SplitSpec, settings: dict, rest: dict, preset: str | None
    ) -> NetSpec:
        """A recipe from parsed settings and the network's as texts in ``rest`` (keyed by
        name or flag), over the ``preset``'s settings (else the schema's defaults)."""
        check_preset(preset)
        params = preset_params(preset) if preset else dict(NET_PARAMS.defaults)
        for key, raw in rest.items():
            try:
                params[NET_PARAMS.get(key, "the network").name] = raw
            except DataError as error:
                raise RecipeError.of_field(key, error) from None
        own = {"feature_set": PRESETS[preset].feature_set if preset else "numeric", **settings}
        return cls(data, split, network_settings(params), preset, **own)

    def check_data(self, dataset: Dataset) -> None:
        """Raise a :class:`DataError` when this network cannot train on ``dataset`` (its roles
        applied): a setting no network trains with, or a feature, a genre or the title
        columns it reads missing."""
        from genre_core.models.networks import NetClassifier

        try:
            NetClassifier(**self.params).check_settings()
        except DataError as error:
            raise RecipeError.of_field("params", error) from None
        roles = dataset.roles
        if (self.params["kind"] == "title" or self.feature_set != "numeric") and not roles.text:
            raise RecipeError(
                "data.text: this network reads the titles, but the dataset has no title column: "
                "choose one (e.g. track_name) under Roles on the Data page."
            )
        training_table(dataset.frame, roles.label, roles.features, self.data.genres)

    def untrained_module(self, n_features: int, n_genres: int):
        """The network this recipe builds for ``n_features`` numeric features (the title
        block's columns added) and ``n_genres``, untrained: what a page previews.

        Raises
        ------
        DataError
            For settings no network can be built with.
        """
        from genre_core.models.networks import NetClassifier
        from genre_core.models.sequences import block_width

        width = max(1, n_features)
        if self.params["kind"] == "title":
            width += int(self.params["title_length"])
        elif self.feature_set == "numeric+text":
            width += block_width({"titles": "embedding"})
        return NetClassifier(**self.params).build_module(width, n_genres)

    def config(self, dataset: Dataset, split: SplitSpec | None = None) -> NetConfig:
        """The :class:`NetConfig` of this recipe on ``dataset`` (its roles already applied)."""
        roles = dataset.roles
        return NetConfig(
            dict(self.params),
            PrepConfig(self.imputer, self.scaler),
            tuple(roles.features),
            tuple(self.data.genres),
            split or self.split,
            int(self.seed),
            self.feature_set,
            tuple(roles.text),
            self.sampled_rows(dataset),
        )

    def initial_state(self) -> dict | None:
        """The tensors of the ``initial`` network file, or ``None``.

        Raises
        ------
        RecipeError
            Naming ``initial`` when the file cannot be found or is not the recipe's.
        """
        if not self.initial:
            return None
        from genre_core.data.fetch import sha256_of
        from genre_core.data.uploads import stored_upload
        from genre_core.runs.checkpoints import network_state

        path = Path(self.initial)
        raw = None
        if path.is_file():
            if self.initial_sha256 and sha256_of(path) != self.initial_sha256:
                raise RecipeError(f"initial: {path.name} is not the file of this recipe.")
            raw = path.read_bytes()
        elif self.initial_sha256:
            raw = stored_upload(self.initial_sha256)
        if raw is None:
            raise RecipeError(f"initial: no network file '{self.initial}' here.")
        try:
            return network_state(raw, path.name)
        except DataError as error:
            raise RecipeError.of_field("initial", error) from None


Spec = NetSpec


def run(spec: NetSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None) -> Outcome:
    """Train the recipe's network, log it, and summarise it.

    Emits the training's events (``embed``, ``start``, one ``epoch`` per epoch) then
    ``logged`` or ``store-error``. A stop request ends training before the next batch; the
    weights kept are evaluated and logged like any other.

    Raises
    ------
    DataError
        For data or settings the network cannot use (naming the field when it is the recipe's).
    """
    from genre_core.experiments import Outcome

    table, split = spec.table_and_split(dataset)
    spec.check_data(table)
    initial = spec.initial_state()
    config = spec.config(table, split)
    result = train_network(table.frame, table.roles.label, config, task, initial_state=initial)
    warnings = spec.sample_warnings(table)
    if result.stop_reason == "diverged":
        warnings.append(result.stop_message)
    run_id = None
    if spec.log:
        run_id = spec.log_to_history(task, result, warnings, dataset=table.name)
    summary = {
        "kind": spec.kind,
        "data": table.name,
        "split": split.text,
        "runs": [
            {
                "model": result.model,
                "title": (PRESETS[spec.preset].title if spec.preset else result.model)
                + rows_title(config.rows),
                **evaluation_summary(result.evaluation),
                "stop_reason": result.stop_reason,
                "epochs": len(result.history),
                "kept_epoch": result.kept_epoch,
                "fit_seconds": round(result.seconds, 3),
                "run_id": run_id,
            }
        ],
    }
    return Outcome.of_run(spec, summary, result, run_id, warnings)


__all__ = [
    "DEFAULT_SPLIT",
    "NET_OPTIONS",
    "NetConfig",
    "NetResult",
    "NetSpec",
    "Spec",
    "network_settings",
    "predict_frame",
    "predict_tracks",
    "run",
    "train_network",
]
