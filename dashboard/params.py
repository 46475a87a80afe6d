"""Widgets drawn from the one parameter schema (:mod:`genre_core.params`).

A :class:`~genre_core.params.Param` says once what a setting is; here it becomes a widget whose
session key is ``"<prefix>.<name>"``. Numbers, choices and yes/no settings keep their engine
value in session state; lists (hidden layers), per-layer values and optional values are text
boxes holding ``Param.format(value)``, read back by ``Param.parse``: one form, one parser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from genre_core.params import Param, ParamSet


def is_text(param: Param) -> bool:
    """Whether the widget is a text box (its session value is the formatted text)."""
    return param.kind in ("ints", "text") or param.per_layer or param.optional


def widget_value(param: Param, value: Any) -> Any:
    """An engine value as the widget holds it."""
    return param.format(value) if is_text(param) else value


def widget_defaults(prefix: str, params: ParamSet) -> dict[str, Any]:
    """The session defaults of a form: ``{"<prefix>.<name>": widget value}``."""
    return {f"{prefix}.{p.name}": widget_value(p, p.default) for p in params}


def param_widget(param: Param, key: str, container=st, **kwargs) -> Any:
    """Draw the widget of ``param`` under session key ``key``; return its value (as held).

    ``kwargs`` go to the Streamlit widget; ``choices`` narrows a choice's options and
    ``max_value`` a whole number's upper bound (a limit that depends on the data).
    """
    label = kwargs.pop("label", param.title)
    help_text = kwargs.pop("help", param.help or None)
    if is_text(param):
        hint = " Empty or 'none': off." if param.optional else ""
        if param.per_layer:
            hint += " One value, or one per hidden layer (comma-separated)."
        return container.text_input(
            label, key=key, help=((help_text or "") + hint).strip(), **kwargs
        )
    if param.kind == "bool":
        return container.toggle(label, key=key, help=help_text, **kwargs)
    if param.kind == "choice":
        kwargs.setdefault("format_func", str)
        choices = list(kwargs.pop("choices", param.choices))
        return container.selectbox(label, choices, key=key, help=help_text, **kwargs)
    if param.kind == "int":
        high = int(kwargs.pop("max_value", param.high))
        kwargs.setdefault("step", 1)
        return container.number_input(
            label, int(param.low), high, key=key, help=help_text, **kwargs
        )
    return container.number_input(
        label,
        float(param.low),
        float(param.high),
        key=key,
        help=help_text,
        **{
            "format": "%.2e" if param.log else "%g",
            "step": None if param.log else _float_step(param),
            **kwargs,
        },
    )


def form_widget(prefix: str, params: ParamSet, name: str, container=st, **kwargs) -> Any:
    """:func:`param_widget` of the setting ``name`` of ``params``, keyed ``"<prefix>.<name>"``."""
    return param_widget(params.get(name), f"{prefix}.{name}", container, **kwargs)


def param_grid(
    prefix: str,
    params: ParamSet,
    names: Sequence[str],
    *,
    per_row: int = 4,
    disabled: Mapping[str, bool] | None = None,
    labels: Mapping[str, str] | None = None,
) -> None:
    """The widgets of the settings ``names``, ``per_row`` columns a row; ``disabled`` greys
    out the settings that do nothing with the current choices, ``labels`` renames some."""
    disabled, labels = disabled or {}, labels or {}
    for start in range(0, len(names), per_row):
        for name, column in zip(names[start : start + per_row], st.columns(per_row), strict=False):
            extra = {"label": labels[name]} if name in labels else {}
            form_widget(prefix, params, name, column, disabled=disabled.get(name, False), **extra)


def _float_step(param: Param) -> float:
    span = float(param.high) - float(param.low)
    return 0.01 if span <= 1 else 0.1 if span <= 10 else 1.0


def read_params(
    prefix: str, params: ParamSet, owner: str = "", labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The form's values in engine form, parsed by the schema.

    ``labels`` are the widget labels a page renamed (as given to :func:`param_grid`).

    Raises
    ------
    DataError
        Naming the widget's label and the parameter whose widget holds a bad value.
    """
    state = st.session_state
    labels = labels or {}
    return {
        p.name: p.parse(
            state.get(f"{prefix}.{p.name}", widget_value(p, p.default)),
            owner,
            label=labels.get(p.name, p.title),
        )
        for p in params
    }


def set_params(prefix: str, params: ParamSet, values: Mapping[str, Any]) -> None:
    """Put engine values (a preset, a loaded recipe) into the form's widgets."""
    for p in params:
        if p.name in values:
            st.session_state[f"{prefix}.{p.name}"] = widget_value(p, values[p.name])
