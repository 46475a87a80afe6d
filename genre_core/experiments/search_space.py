"""Search spaces: the dimensions a study samples, read from the models' parameter schema.

A :class:`Dim` is a number range or a list of choices of one hyperparameter. Its kind, bounds and
the values a user writes all come from the hyperparameter's :class:`~genre_core.params.Param`
(a classical model's ``MODELS[m].params``, the network's
:data:`~genre_core.models.presets.NET_PARAMS`), and :meth:`Param.parse` reads every value: one
parser for the page, the CLI and a recipe file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import product
from typing import Any

import numpy as np

from genre_core.errors import DataError
from genre_core.experiments.recipe import RecipeError
from genre_core.models.classical import MODELS, get_model
from genre_core.models.presets import NET_PARAMS
from genre_core.params import Param, ParamSet

NETWORK = "net"  # the model name of genre_core.models.networks.NetClassifier in a search
SPACES = ("default", "development")  # the named starting spaces (the CLI's --space, a preset)

# Table 4 of "Development of a Neural Network-Based Music Genre Classification Tool": 3 × 2^6 = 192
# configurations, 20 epochs each (80/20 train/validation). Its "gradient clipping value" is a norm
# clip here, as in the report's Table 3 network
# (genre_core.models.presets.PRESETS["development-grid"]).
DEVELOPMENT_GRID: dict[str, list] = {
    "hidden": ["64, 32", "16, 16, 16", "128, 16"],
    "batch_norm": [True, False],
    "dropout": [0.3, 0.7],
    "lr": [1e-3, 1e-4],
    "batch_size": [16, 32],
    "max_epochs": [20],
    "optimizer": ["adam", "sgd"],
    "clip_norm": [0.5, 1.5],
}
DEVELOPMENT_BEST = {
    "hidden": "128, 16",
    "batch_norm": False,
    "dropout": 0.3,
    "lr": 1e-3,
    "batch_size": 32,
    "max_epochs": 20,
    "optimizer": "adam",
    "clip_norm": 1.5,
}

# The narrower starting ranges the schema gives (Param.search), so a default search stays
# affordable.
DEFAULT_RANGES: dict[str, dict[str, tuple]] = {
    name: {p.name: p.search for p in spec.params if p.search is not None}
    for name, spec in MODELS.items()
}


SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("none", "median", "hyperband")
OBJECTIVES = {
    "accuracy": "validation accuracy",
    "f1_macro": "validation macro-F1",
    "genre_factor": "The Genre Factor's score ½·(w1·(1−Δacc) + w2·acc_val)",
}
NETWORK_TITLE = "Neural network (MLP)"

# The settings of a search (the CLI's options; the model's hyperparameters come as NAME=VALUE:
# a fixed value, a range "low : high[: log]" or values "a | b").
OPTIONS = ParamSet(
    (
        Param("model", "choice", "logreg", choices=(*MODELS, NETWORK), help="the model searched"),
        Param(
            "objective", "choice", "accuracy", choices=tuple(OBJECTIVES),
            help="what a trial maximises: " + "; ".join(f"{k}: {v}" for k, v in OBJECTIVES.items()),
        ),
        Param("w1", "float", 0.5, 0.0, 10.0, label="w1 (1 − Δacc)",
              help="the Genre Factor's weight of 1 − Δaccuracy"),
        Param("w2", "float", 1.0, 0.0, 10.0, label="w2 (validation)",
              help="the Genre Factor's weight of the validation accuracy"),
        Param("folds", "int", 3, 1, 20, label="Folds",
              help="cross-validation folds; 1: a single hold-out"),
        Param("holdout", "float", 0.2, 0.05, 0.5, label="Hold-out share",
              help="the share of rows a single hold-out (1 fold) scores on"),
        Param(
            "sampler", "choice", "tpe", choices=SAMPLERS, label="Sampler",
            help="TPE learns from finished trials; grid tries every combination (number "
            "ranges get 'grid points' values); random samples.",
        ),
        Param(
            "pruner", "choice", "median", choices=PRUNERS, label="Pruner",
            help="Stops a trial whose intermediate score (per epoch for networks, per fold "
            "otherwise) falls below the median of earlier trials (median) or in successive "
            "halving (Hyperband).",
        ),
        Param("n_trials", "int", 30, 1, 100_000, label="Trials", flag="trials",
              help="the study's total trials, shared by all its workers"),
        Param("grid_points", "int", 3, 2, 10, label="Grid points per range",
              help="values a grid sampler tries per number range"),
        Param("rows", "int", None, 20, 100_000_000, optional=True, label="Rows sampled",
              help="a fixed stratified sample of this many rows keeps each trial quick"),
        Param("study", "text", "", label="Study name",
              help="the study created or joined; empty: a new name from the model and time"),
        Param("storage", "text", None, optional=True, label="Storage (SQLAlchemy URL)",
              help="where studies live; empty: SQLite under data/studies/"),
        Param("trials_here", "int", None, 0, 100_000, optional=True,
              help="run at most this many trials in this process (0: none)"),
        Param("train_best", "bool", False,
              help="then train the best configuration on the split and test it once"),
        Param("log", "bool", True, help="log the trained best configuration to the run history"),
    )
)  # fmt: skip


@dataclass(frozen=True)
class Dim:
    """One searched hyperparameter: a number range (``int``/``float``, ``log`` scale) or a list
    of ``choices`` (None, bools, numbers or strings; a list value such as hidden layers is kept
    as its text, "128, 16", since a study's choices are plain values)."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple = ()

    def __post_init__(self) -> None:
        if self.kind == "choice":
            if not self.choices:
                raise DataError(f"'{self.name}' needs at least one value to choose from.")
        elif self.kind in ("int", "float"):
            if self.low is None or self.high is None or not self.low <= self.high:
                raise DataError(f"'{self.name}': the lowest value must not exceed the highest.")
            if self.log and self.low <= 0:
                raise DataError(f"'{self.name}': a log scale needs a lowest value above 0.")
        else:
            raise DataError(f"'{self.name}': unknown kind '{self.kind}'.")

    def grid(self, points: int = 3) -> list:
        """The values a grid tries: the choices, or ``points`` values spread over the range."""
        if self.kind == "choice":
            return list(self.choices)
        if self.low == self.high:
            return [int(self.low) if self.kind == "int" else float(self.low)]
        spread = np.geomspace if self.log else np.linspace
        values = spread(self.low, self.high, max(2, points))
        if self.kind == "int":
            return sorted({int(round(v)) for v in values})
        return [float(f"{v:.4g}") for v in values]

    def suggest(self, trial) -> Any:
        """The value an Optuna trial samples."""
        if self.kind == "choice":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.kind == "int":
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, float(self.low), float(self.high), log=self.log)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["choices"] = list(self.choices)
        return out

    @classmethod
    def from_dict(cls, data: Mapping) -> Dim:
        return cls(**{**data, "choices": tuple(data.get("choices", ()))})


def model_names() -> list[str]:
    """The models a study can search: the classical zoo and the network."""
    return [*MODELS, NETWORK]


def model_title(model: str) -> str:
    """A model's name in words."""
    return NETWORK_TITLE if model == NETWORK else MODELS[model].title


def model_params(model: str) -> ParamSet:
    """The parameter schema of a model a study can search.

    Raises
    ------
    DataError
        For an unknown model, naming those there are.
    """
    if model == NETWORK:
        return NET_PARAMS
    if model not in MODELS:
        raise DataError(f"unknown model '{model}'; choose one of: {', '.join(model_names())}.")
    return ParamSet(get_model(model).params)


def owner(model: str) -> str:
    """How messages name a model's parameters ("the network", "knn")."""
    return "the network" if model == NETWORK else model


def default_space(model: str) -> tuple[Dim, ...]:
    """A sensible search space for a model, built from its parameter schema.

    The network's default space is Table 4's 192-configuration grid.
    """
    if model == NETWORK:
        return grid_space(DEVELOPMENT_GRID)
    ranges = DEFAULT_RANGES.get(model, {})
    dims = []
    for p in model_params(model):
        if p.kind in ("choice", "bool"):
            choices = p.choices if p.kind == "choice" else (True, False)
            dims.append(Dim(p.name, "choice", choices=tuple(choices)))
        else:
            low, high = ranges.get(p.name, (p.low, p.high))
            dims.append(Dim(p.name, p.kind, low, high, log=p.log and low > 0))
    return tuple(dims)


def named_space(model: str, name: str = "default") -> tuple[Dim, ...]:
    """A starting space by name: "default" (the model's own) or "development" (Table 4's grid).

    Raises
    ------
    DataError
        For an unknown name, or "development" for a classical model.
    """
    if name == "development":
        if model != NETWORK:
            raise DataError("the development space is the network grid: use the model net.")
        return grid_space(DEVELOPMENT_GRID)
    if name == "default":
        return default_space(model)
    raise DataError(f"the space must be 'default' or 'development', not '{name}'.")


def grid_space(grid: Mapping[str, Sequence]) -> tuple[Dim, ...]:
    """A space of choices only, one dimension per grid entry."""
    return tuple(Dim(name, "choice", choices=tuple(values)) for name, values in grid.items())


def grid_values(space: Sequence[Dim], points: int = 3) -> dict[str, list]:
    """The grid a grid sampler walks: every choice, ``points`` values per number range."""
    return {dim.name: dim.grid(points) for dim in space}


def grid_configurations(space: Sequence[Dim], points: int = 3) -> list[dict]:
    """Every configuration of the grid, as dicts."""
    values = grid_values(space, points)
    return [dict(zip(values, combo, strict=True)) for combo in product(*values.values())]


def check_space(model: str, space: Sequence[Dim]) -> None:
    """Raise a :class:`DataError` for a dimension the model does not have, or out of its range."""
    if not space:
        raise DataError("the search space is empty: search at least one hyperparameter.")
    names = [d.name for d in space]
    if len(set(names)) != len(names):
        raise DataError("a hyperparameter appears twice in the search space.")
    params = model_params(model)
    for dim in space:
        param = params.get(dim.name, owner(model))
        for value in dim.grid(2):
            param.parse(value, owner(model))
    if model == NETWORK:
        from genre_core.models.networks import NetClassifier

        corners = [{d.name: d.grid(2)[i % len(d.grid(2))] for d in space} for i in range(2)]
        for config in corners:
            NetClassifier(**decode_params(NETWORK, config)).check_settings()


def dim_text(dim: Dim) -> str:
    """A dimension as one line of text: ``0.001 : 100 : log`` or ``adam | sgd``."""
    if dim.kind == "choice":
        return " | ".join(_choice_text(c) for c in dim.choices)
    low, high = (int(v) if dim.kind == "int" else v for v in (dim.low, dim.high))
    return f"{low:g} : {high:g}" + (" : log" if dim.log else "")


def _choice_text(value: Any) -> str:
    if value is None:
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def is_dim_text(text: str) -> bool:
    """Whether a value names a dimension (a range ``low : high`` or values ``a | b``)."""
    return "|" in str(text) or ":" in str(text)


def parse_dim(model: str, name: str, text: str) -> Dim:
    """The inverse of :func:`dim_text`; every value read by the parameter's own parser.

    Raises
    ------
    DataError
        Naming the parameter and what is wrong with its text.
    """
    param = model_params(model).get(name, owner(model))
    text = str(text or "").strip()
    if not text:
        raise DataError(f"'{name}': give a range (low : high) or values (a | b).")
    if ":" in text and "|" not in text:
        parts = [p.strip() for p in text.split(":")]
        log = len(parts) == 3 and parts[2].lower() == "log"
        if len(parts) not in (2, 3) or (len(parts) == 3 and not log):
            raise DataError(f"'{name}': a range is 'low : high' or 'low : high : log'.")
        if param.kind not in ("int", "float") or param.per_layer and "," in text:
            raise DataError(f"'{name}' is not a number: give its values (a | b), not a range.")
        low, high = (param.parse(p, owner(model)) for p in parts[:2])
        return Dim(name, param.kind, low, high, log=log)
    values = [v.strip() for v in text.split("|") if v.strip()]
    choices = tuple(choice_value(param, param.parse(v, owner(model))) for v in values)
    return Dim(name, "choice", choices=tuple(dict.fromkeys(choices)))


def choice_value(param: Param, value: Any) -> Any:
    """An engine value as a study's choice: a list (hidden layers, per-layer values) as text."""
    return param.format(value) if isinstance(value, (list, tuple)) else value


def decode_params(model: str, raw: Mapping[str, Any]) -> dict:
    """Sampled values as the model takes them: each text read by its parameter's parser
    (a network's hidden layers "128, 16" become ``(128, 16)``)."""
    params = model_params(model)
    out = {}
    for name, value in raw.items():
        param = params.get(name, owner(model))
        if isinstance(value, str) and param.kind != "text":
            value = param.parse(value, owner(model))
        out[name] = value
    return out


def build_space(
    model: str, values: Mapping[str, Any], space: str = "default"
) -> tuple[tuple[Dim, ...], dict[str, Any]]:
    """The searched dimensions and the fixed values of a model, from texts keyed by parameter.

    A value written as a range (``low : high[: log]``) or as values (``a | b``) is searched,
    replacing the named space's dimension; any other value is fixed (and not searched).

    Raises
    ------
    RecipeError
        Naming the field (``space.NAME`` or ``base.NAME``) that is unknown or wrong.
    """
    params = model_params(model)
    dims = {d.name: d for d in named_space(model, space)}
    base = {}
    for key, value in values.items():
        searched = isinstance(value, str) and is_dim_text(value)
        try:
            name = params.get(key, owner(model)).name
            if searched:
                dims[name] = parse_dim(model, name, value)
            else:
                base[name] = params.get(name).parse(value, owner(model))
                dims.pop(name, None)
        except DataError as error:
            raise RecipeError(f"{'space' if searched else 'base'}.{key}: {error}") from None
    return tuple(dims.values()), base
