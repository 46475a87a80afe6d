"""The one parameter schema: every hyperparameter of every model, network, Bayesian model and
split is declared once, as a :class:`Param`.

Page widgets, session defaults, CLI options, search dimensions, presets and validation all read
the same declaration, and :meth:`Param.parse` is the one parser from a text (the CLI, a text
box, a recipe file) or a widget's value to the value the engine takes. :meth:`Param.format` is
its inverse, so ``parse(format(v)) == v``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from genre_core.errors import DataError

KINDS = ("int", "float", "bool", "choice", "text", "ints")
_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0")
_NONE = ("none", "off", "")


@dataclass(frozen=True)
class Param:
    """One tunable setting.

    Parameters
    ----------
    name
        The engine's name (the estimator's keyword).
    kind
        "int", "float", "bool", "choice", "text", or "ints" (a list of whole numbers, such as
        hidden layer sizes; may be empty).
    default
        The value when nothing is given.
    low, high
        Inclusive bounds of a number (of each number of "ints"); ``log``: it spans orders of
        magnitude (a log slider, a log search dimension).
    choices
        The values of a "choice".
    optional
        ``None`` is a value too (written "none" or "off"): an unlimited depth, no clipping.
    per_layer
        One value for every hidden layer, or one value per layer ("0.2, 0, 0.2").
    label, help
        What a widget shows; the CLI's help text.
    flag
        The CLI option when it differs from the name (``--epochs`` for ``max_epochs``).
    search
        The narrower ``(low, high)`` a default search explores, so it stays affordable
        (``None``: from ``low`` to ``high``).
    """

    name: str
    kind: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    log: bool = False
    optional: bool = False
    per_layer: bool = False
    label: str = ""
    help: str = ""
    flag: str = ""
    search: tuple | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if self.kind in ("int", "float", "ints") and (self.low is None or self.high is None):
            raise ValueError(f"{self.name}: a number needs low and high")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"{self.name}: a choice needs choices")

    @property
    def title(self) -> str:
        """The widget label: ``label``, else the name in words."""
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def option(self) -> str:
        """The CLI option, e.g. ``--max-depth``."""
        return "--" + (self.flag or self.name).replace("_", "-")

    # ---- parsing --------------------------------------------------------------------------

    def parse(self, value: Any, owner: str = "", label: str = "") -> Any:
        """The value the engine takes, from a text or a Python value.

        ``label`` is the field the value was typed in, when it came from a form: the message
        names it first, as the user sees it ("Hidden layers").

        Raises
        ------
        DataError
            Naming the field, the parameter (and its ``owner``, e.g. "xgboost") and what is
            wrong.
        """
        where = f"{owner} parameter '{self.name}'" if owner else f"'{self.name}'"
        if label:
            where = f"{label}: {where}"
        if self.optional and _is_none(value):
            return None
        if self.kind == "ints":
            items = _items(value)
            return tuple(self._scalar(v, "int", where) for v in items)
        if self.per_layer:
            items = _items(value)
            if len(items) > 1 or isinstance(value, (list, tuple)):
                return tuple(self._scalar(v, self.kind, where) for v in items)
            if not items:
                raise DataError(f"{where} needs a value.")
            return self._scalar(items[0], self.kind, where)
        return self._scalar(value, self.kind, where)

    def _scalar(self, value: Any, kind: str, where: str) -> Any:
        if kind == "text":
            if value is None:
                raise DataError(f"{where} needs a value.")
            return str(value)
        if kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise DataError(f"{where} must be yes or no (true or false), not '{value}'.")
        if kind == "choice":
            for choice in self.choices:
                if choice == value or str(choice).lower() == str(value).strip().lower():
                    return choice
            raise DataError(
                f"{where} must be one of {', '.join(map(str, self.choices))}, not '{value}'."
            )
        if isinstance(value, bool):
            raise DataError(f"{where} must be a number, not '{value}'.")
        try:
            number = float(str(value).strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise DataError(f"{where} must be a number, not '{value}'.") from None
        if kind == "int":
            if not number.is_integer():
                raise DataError(f"{where} must be a whole number, not '{value}'.")
            number = int(number)
        if not math.isfinite(number) or not (self.low <= number <= self.high):
            raise DataError(
                f"{where} must be between {self.low:g} and {self.high:g}, not '{value}'."
            )
        return number

    # ---- formatting -----------------------------------------------------------------------

    def format(self, value: Any) -> str:
        """The value as text, as a user would type it (``parse`` reads it back)."""
        if value is None:
            return "none"
        if isinstance(value, (list, tuple)):
            return ", ".join(self._text(v) for v in value)
        return self._text(value)

    @staticmethod
    def _text(value: Any) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    def invalid_values(self) -> list:
        """Values :meth:`parse` must refuse (the schema-driven tests feed them)."""
        if self.kind == "bool":
            return ["maybe"]
        if self.kind == "choice":
            return ["no-such-choice"]
        if self.kind == "text":
            return []
        bad = ["abc", math.inf, self.low - 1 if self.low >= 1 else self.low - 0.5, self.high + 1]
        if self.kind in ("int", "ints"):
            bad.append(self.low + 0.5)
        return bad

    def to_dict(self) -> dict:
        """A JSON-friendly description (what a form renderer or another client reads)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["choices"] = list(self.choices)
        return out


def _is_none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _NONE)


def _items(value: Any) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [t.strip() for t in str(value).replace(";", ",").split(",") if t.strip()]


class ParamSet(tuple):
    """The parameters of one thing (a model, the network, a split), looked up by name."""

    def __new__(cls, params: Iterable[Param] = ()) -> ParamSet:
        return super().__new__(cls, tuple(params))

    @property
    def names(self) -> list[str]:
        return [p.name for p in self]

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self}

    def get(self, name: str, owner: str = "") -> Param:
        for p in self:
            if p.name == name or (p.flag and p.flag == name):
                return p
        who = f"{owner} has" if owner else "there is"
        known = ", ".join(self.names)
        raise DataError(f"{who} no parameter '{name}'; the parameters are: {known}.")

    def parse(self, values: Mapping[str, Any], owner: str = "") -> dict[str, Any]:
        """Each value parsed by its parameter; an unknown name is an error naming it."""
        out = {}
        for key, value in values.items():
            param = self.get(key, owner)
            out[param.name] = param.parse(value, owner)
        return out

    def resolve(self, values: Mapping[str, Any] | None = None, owner: str = "") -> dict[str, Any]:
        """The defaults with ``values`` parsed over them."""
        return {**self.defaults, **self.parse(values or {}, owner)}

    def select(self, names: Sequence[str]) -> ParamSet:
        return ParamSet(self.get(n) for n in names)

    def estimator_init(self, **extra: Any) -> Callable[..., None]:
        """A scikit-learn estimator's ``__init__``: every parameter of the set (then ``extra``)
        as a keyword with its default, each stored as the attribute of its name.

        Its signature lists them, so ``get_params``, ``clone`` and searches see the schema's
        parameters without the estimator declaring them a second time.
        """
        defaults = {**self.defaults, **extra}

        def __init__(self, **values: Any) -> None:
            for name in values:
                if name not in defaults:
                    raise TypeError(
                        f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                        f"'{name}'"
                    )
            for name, default in defaults.items():
                setattr(self, name, values.get(name, default))

        keyword = inspect.Parameter.KEYWORD_ONLY
        __init__.__signature__ = inspect.Signature(
            [
                inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                *(inspect.Parameter(n, keyword, default=d) for n, d in defaults.items()),
            ]
        )
        return __init__


def parse_assignments(items: Iterable[str] | None) -> dict[str, str]:
    """``["max_depth=6", "C=0.5"]`` (the CLI's ``--param``) to a dict of texts."""
    out = {}
    for item in items or ():
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip() or not value.strip():
            raise DataError(f"--param '{item}' is not of the form KEY=VALUE (for example C=0.5).")
        out[key.strip()] = value.strip()
    return out
