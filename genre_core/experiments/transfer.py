"""The kind "transfer": a recipe (:class:`TransferSpec`) for the comparison of
:mod:`genre_core.experiments.transfer_protocol` (freeze, fine-tune or start from scratch when a
network learns one more genre), and :func:`run`, which runs it and logs each option's run.

>>> spec = TransferSpec(data=DataSpec("spotify-30k"), epochs=5)
>>> outcome = run(spec)
>>> [(r["option"], r["accuracy"], r["epochs_to_target"]) for r in outcome.summary["runs"]]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from genre_core.data.preprocess import PrepConfig
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError
from genre_core.experiments.transfer_protocol import (
    OPTIONS,
    SEED_FIGURES,
    SEED_NEW_GENRE,
    SEED_SOURCE_GENRES,
    SOURCE,
    RunResult,
    TransferConfig,
    TransferResult,
    default_genres,
    epochs_to_target,
    run_transfer,
    seconds_to_epoch,
)
from genre_core.metrics.evaluation import evaluation_summary
from genre_core.models.presets import NET_PARAMS, PRESETS, RECURRENT
from genre_core.params import Param, ParamSet
from genre_core.runs.progress import TaskState

if TYPE_CHECKING:
    from genre_core.data.dataset import Dataset
    from genre_core.experiments import Outcome


# ---- the recipe -------------------------------------------------------------------------------

DEFAULT_PRESET = "development"
DEFAULT_SPLIT = SplitSpec.by_track(validation=0.2, test=0.2)
EPOCHS_CAP = 20  # a preset's epochs are capped so that four networks train in minutes
# The transfer network is an MLP (its body is reused layer by layer): the schema without the
# architecture kind, the recurrent settings, and max_epochs (the recipe's ``epochs``).
NETWORK_PARAMS = ParamSet(p for p in NET_PARAMS if p.name not in ("kind", "max_epochs", *RECURRENT))
TRANSFER_PARAMS = ParamSet(
    [
        Param("source_genres", "text", ", ".join(SEED_SOURCE_GENRES), label="Source genres",
              help="The genres the source network learns, comma-separated."),
        Param("new_genre", "text", SEED_NEW_GENRE, label="Genre to add",
              help="The adapted network learns the source genres and this one."),
        Param("compare", "text", ", ".join(OPTIONS), label="Options",
              help="Which of freeze, fine-tune and scratch to run, comma-separated."),
        Param("epochs", "int", EPOCHS_CAP, 1, 2000, label="Epochs",
              help="For the source network and for each option alike."),
        Param("source_epochs", "int", None, 1, 2000, optional=True, label="Source epochs",
              help="The source network's epochs; none: the same as the options'."),
        Param("target", "float", 0.5, 0.01, 1.0, label="Target accuracy",
              help="Validation accuracy whose first epoch is reported for each option."),
        Param("feature_set", "choice", "numeric", choices=("numeric", "numeric+text"),
              label="Feature set", help="numeric+text adds the titles' sentence embeddings."),
    ]
)  # fmt: skip


def preset_network(name: str) -> tuple[dict, int]:
    """A preset's network settings (those of :data:`NETWORK_PARAMS`) and its epochs, capped at
    :data:`EPOCHS_CAP`.

    Raises
    ------
    RecipeError
        For an unknown preset or a recurrent one (transfer reuses an MLP's body).
    """
    if name not in PRESETS:
        raise RecipeError(f"preset: unknown network preset '{name}'; choose one of: "
                          f"{', '.join(mlp_presets())}.")  # fmt: skip
    params = {**NET_PARAMS.defaults, **PRESETS[name].params}
    if params["kind"] != "mlp":
        raise RecipeError(f"preset: '{name}' is a recurrent network; transfer reuses an MLP's "
                          f"body (choose one of: {', '.join(mlp_presets())}).")  # fmt: skip
    settings = {k: v for k, v in params.items() if k in NETWORK_PARAMS.names}
    return settings, min(int(params["max_epochs"]), EPOCHS_CAP)


def mlp_presets() -> list[str]:
    """The presets a transfer can start from (the MLPs)."""
    return [n for n, p in PRESETS.items() if p.params.get("kind", "mlp") == "mlp"]


FORM = ("epochs", "source_epochs", "target", "feature_set")


def form_params(preset: str = DEFAULT_PRESET) -> ParamSet:
    """The settings a form draws from the schema (epochs, source epochs, target, feature set,
    then the network's), their defaults those of ``preset``."""
    network, epochs = preset_network(preset)
    values = {**network, "epochs": epochs}
    params = [*TRANSFER_PARAMS.select(FORM), *NETWORK_PARAMS]
    return ParamSet(replace(p, default=values.get(p.name, p.default)) for p in params)


def event_curves(events: Sequence[dict]) -> dict[str, list[dict]]:
    """The per-epoch records of a running comparison's events, by run (the source first)."""
    curves: dict[str, list[dict]] = {}
    for event in events:
        if event.get("stage") == "epoch":
            curves.setdefault(event["run"], []).append(event)
    return curves


def _genres(text: str) -> tuple[str, ...]:
    return tuple(g.strip() for g in str(text).split(",") if g.strip())


@dataclass(frozen=True)
class TransferSpec(Recipe):
    """A transfer comparison as a recipe (what the Transfer page and ``genre-lab run`` run).

    ``params`` holds the network's settings in engine form (:data:`NETWORK_PARAMS`; missing
    ones take the schema's defaults); ``epochs`` is every network's, ``source_epochs`` the
    source network's when it differs; ``compare`` the options run; ``origin`` names where the
    recipe was made (the run history's "source").
    """

    kind: ClassVar[str] = "transfer"
    title: ClassVar[str] = "Transfer to one more genre"
    data: DataSpec = DataSpec()
    source_genres: tuple[str, ...] = SEED_SOURCE_GENRES
    new_genre: str = SEED_NEW_GENRE
    split: SplitSpec = DEFAULT_SPLIT
    params: dict[str, Any] = field(default_factory=lambda: preset_network(DEFAULT_PRESET)[0])
    compare: tuple[str, ...] = tuple(OPTIONS)
    epochs: int = EPOCHS_CAP
    source_epochs: int | None = None
    target: float = 0.5
    feature_set: str = "numeric"
    seed: int = 0
    log: bool = True
    origin: str = "recipe"

    def __post_init__(self) -> None:
        # JSON has lists where the engine has tuples (hidden layers, per-layer values)
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in self.params.items()}
        object.__setattr__(self, "params", params)

    # the defaults shown are the default preset's (what a recipe gets without --preset)
    OPTIONS: ClassVar[ParamSet] = ParamSet(
        [*TRANSFER_PARAMS.select(["source_genres", "new_genre", "compare"]), *form_params()]
    )
    DEFAULT_SPLIT: ClassVar[SplitSpec] = DEFAULT_SPLIT
    PARSED: ClassVar[ParamSet] = TRANSFER_PARAMS  # the network's settings: in from_settings

    def check(self) -> None:
        super().check()
        self.check_options(FORM)
        if len(set(self.source_genres)) < 2:
            raise RecipeError("source_genres: choose at least two source genres.")
        if not self.new_genre:
            raise RecipeError("new_genre: choose the genre to add.")
        if self.new_genre in self.source_genres:
            raise RecipeError(
                f"new_genre: '{self.new_genre}' is already a source genre; add another one."
            )
        unknown = [o for o in self.compare if o not in OPTIONS]
        if unknown:
            raise RecipeError(f"compare: unknown option '{unknown[0]}'; choose from "
                              f"{', '.join(OPTIONS)}.")  # fmt: skip
        if not self.compare:
            raise RecipeError(f"compare: choose at least one option ({', '.join(OPTIONS)}).")
        if self.split.validation <= 0:
            raise RecipeError("split.validation: transfer needs a validation share (the curves "
                              "and the epochs to target are measured on it).")  # fmt: skip
        for name, value in self.params.items():
            if name not in NETWORK_PARAMS.names:
                raise RecipeError(
                    f"params.{name}: not a setting of the transfer network (an MLP; its epochs "
                    f"are 'epochs'); the settings are: {', '.join(NETWORK_PARAMS.names)}."
                )
            try:
                NETWORK_PARAMS.get(name).parse(value, "network")
            except DataError as error:
                raise RecipeError.of_field(f"params.{name}", error) from None
        try:
            self.config().check()
        except DataError as error:
            raise RecipeError.of_field("params", error) from None

    def config(
        self, features: Sequence[str] = (), text: Sequence[str] = (), rows: int | None = None
    ) -> TransferConfig:
        """The engine's :class:`TransferConfig` for a table with these feature and title
        columns (``rows``: the rows of the recipe's sample of it)."""
        params = {**NETWORK_PARAMS.resolve(self.params, "network"), "max_epochs": self.epochs}
        return TransferConfig(
            tuple(self.source_genres), self.new_genre, params, PrepConfig("median", "standard"),
            tuple(features), self.split, tuple(self.compare), float(self.target), int(self.seed),
            self.feature_set, tuple(text), self.source_epochs, rows,
        )  # fmt: skip

    @property
    def sample_genres(self) -> tuple[str, ...]:
        """A sample is drawn from the rows of the source genres and the genre added."""
        return (*self.source_genres, self.new_genre)

    @classmethod
    def from_settings(
        cls, data: DataSpec, split: SplitSpec, settings: dict, rest: dict, preset: str | None
    ) -> TransferSpec:
        """A recipe from parsed settings: the preset's network (``development``), then the
        network's texts in ``rest``; ``seed`` seeds the split and the networks."""
        own = dict(settings)
        seed = own.pop("seed")
        network, epochs = preset_network(preset or DEFAULT_PRESET)
        try:
            own = TRANSFER_PARAMS.resolve({"epochs": epochs, **own}, "transfer")
            network |= NETWORK_PARAMS.parse(rest, "network")
        except DataError as error:
            raise RecipeError(str(error)) from None
        return cls(
            data=data, source_genres=_genres(own["source_genres"]),
            new_genre=own["new_genre"].strip(), split=replace(split, seed=seed), params=network,
            compare=_genres(own["compare"]), epochs=own["epochs"],
            source_epochs=own["source_epochs"], target=own["target"],
            feature_set=own["feature_set"], seed=seed,
        )  # fmt: skip


Spec = TransferSpec


def summary(result: TransferResult, run_ids: Mapping[str, str] | None = None) -> dict:
    """The comparison as plain JSON: per option its test accuracy with its interval, per-genre
    scores, epochs to the target, seconds and run id; the source network apart."""
    run_ids = run_ids or {}
    source = result.source
    return {
        "kind": TransferSpec.kind,
        "stopped": result.stopped,
        "output_layer": result.output_layer,
        "sizes": dict(result.sizes),
        "source": None if source is None else {
            "accuracy": round(float(source.evaluation.metrics["accuracy"]), 4),
            "epochs": len(source.history), "seconds": round(source.seconds, 2),
        },
        "runs": [
            {
                "option": name, "title": OPTIONS[name], **evaluation_summary(run.evaluation),
                "epochs_to_target": run.epochs_to_target, "epochs": len(run.history),
                "seconds": round(run.seconds, 2), "run_id": run_ids.get(name),
            }
            for name, run in result.runs.items()
        ],
    }  # fmt: skip


def run(
    spec: TransferSpec, task: TaskState = TaskState(), *, dataset: Dataset | None = None
) -> Outcome:
    """Run the comparison of ``spec`` and log each finished option to the run history.

    ``dataset`` is a table already loaded (before the recipe's roles, merges and genres);
    without it the recipe loads its own. A stopped comparison returns what finished
    (``result.stopped``) and logs it; a store that fails to log is a warning, not an error.
    """
    from genre_core.experiments import Outcome

    spec.check()
    dataset = spec.load_table(dataset, task.progress)
    roles = dataset.roles
    spec = replace(spec, split=spec.split_on(dataset))  # "track" and "artist" made concrete
    config = spec.config(roles.features, roles.text, spec.sampled_rows(dataset))
    result = run_transfer(dataset.frame, roles.label, config, task)
    run_ids: dict[str, str] = {}
    warnings = spec.sample_warnings(dataset)
    if spec.log:
        for record in result.records():
            run_id = spec.log_to_history(
                task, record, warnings, source=spec.origin, dataset=dataset.name
            )
            if run_id:
                run_ids[record.params["option"]] = run_id
    return Outcome(spec, summary(result, run_ids), result, tuple(run_ids.values()), tuple(warnings))


__all__ = [
    "EPOCHS_CAP",
    "NETWORK_PARAMS",
    "OPTIONS",
    "SEED_FIGURES",
    "SEED_NEW_GENRE",
    "SEED_SOURCE_GENRES",
    "SOURCE",
    "TRANSFER_PARAMS",
    "RunResult",
    "Spec",
    "TransferConfig",
    "TransferResult",
    "TransferSpec",
    "default_genres",
    "epochs_to_target",
    "event_curves",
    "form_params",
    "mlp_presets",
    "preset_network",
    "run",
    "run_transfer",
    "seconds_to_epoch",
    "summary",
]
