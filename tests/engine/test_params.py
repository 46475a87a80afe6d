"""The one parameter schema: one parser, its inverse, and a clear message for every bad value
of every declared parameter (the schema generates the invalid values, as scikit-learn's
``_parameter_constraints`` do for its common tests)."""

from __future__ import annotations

import re

import pytest

from genre_core import experiments
from genre_core.errors import DataError
from genre_core.models.classical import MODELS
from genre_core.params import Param, ParamSet, parse_assignments


def declared() -> list[tuple[str, Param]]:
    """Every parameter the project declares: the classical models' and each kind's options."""
    found = [(name, p) for name, spec in MODELS.items() for p in spec.params]
    for kind in experiments.KINDS:
        found += [(kind, p) for p in experiments.recipe_class(kind).options()]
    return found


PARAMS = declared()


@pytest.mark.parametrize("owner, param", PARAMS, ids=[f"{o}.{p.name}" for o, p in PARAMS])
def test_every_bad_value_gets_a_message_naming_the_parameter(owner, param):
    for value in param.invalid_values():
        with pytest.raises(DataError, match=param.name):
            param.parse(value, owner)


@pytest.mark.parametrize("owner, param", PARAMS, ids=[f"{o}.{p.name}" for o, p in PARAMS])
def test_the_default_parses_and_formats_back_to_itself(owner, param):
    value = param.parse(param.default, owner)
    assert param.parse(param.format(value), owner) == value


def test_text_and_python_values_give_the_same_engine_value():
    hidden = Param("hidden", "ints", (64, 32), 1, 4096)
    assert hidden.parse("64, 32, 16") == hidden.parse([64, 32, 16]) == (64, 32, 16)
    assert hidden.parse("") == ()
    dropout = Param("dropout", "float", 0.5, 0.0, 0.95, per_layer=True)
    assert dropout.parse("0.2, 0, 0.2") == (0.2, 0.0, 0.2)
    assert dropout.parse("0.5") == 0.5 and dropout.parse(0.5) == 0.5
    depth = Param("max_depth", "int", None, 1, 100, optional=True)
    assert depth.parse("none") is None and depth.parse(None) is None and depth.parse("7") == 7
    flag = Param("bootstrap", "bool", True)
    assert flag.parse("no") is False and flag.parse(True) is True


def test_messages_say_what_is_wrong():
    lr = Param("lr", "float", 1e-3, 1e-6, 1.0, log=True)
    with pytest.raises(DataError, match=r"net parameter 'lr' must be between 1e-06 and 1"):
        lr.parse("3", "net")
    with pytest.raises(DataError, match="'abc'.* whole number|must be a number, not 'abc'"):
        Param("epochs", "int", 1, 1, 10).parse("abc", "net")
    with pytest.raises(DataError, match="whole number, not '2.5'"):
        Param("epochs", "int", 1, 1, 10).parse("2.5", "net")
    with pytest.raises(DataError, match="one of adam, sgd"):
        Param("optimizer", "choice", "adam", choices=("adam", "sgd")).parse("rmsprop")


def test_a_param_set_names_unknown_parameters_and_resolves_defaults():
    params = ParamSet([Param("C", "float", 1.0, 1e-4, 1e4), Param("max_iter", "int", 100, 1, 10)])
    assert params.resolve({"C": "0.5"}) == {"C": 0.5, "max_iter": 100}
    with pytest.raises(DataError, match="logreg has no parameter 'gamma'.*C, max_iter"):
        params.resolve({"gamma": "1"}, "logreg")


def test_assignments_from_the_command_line():
    assert parse_assignments(["C=0.5", "hidden=64, 32"]) == {"C": "0.5", "hidden": "64, 32"}
    with pytest.raises(DataError, match="KEY=VALUE"):
        parse_assignments(["C"])


@pytest.mark.parametrize("owner, param", PARAMS, ids=[f"{o}.{p.name}" for o, p in PARAMS])
def test_a_bad_value_from_a_form_names_the_fields_label(owner, param):
    """A page passes the widget's label: the message starts with the field the user typed in."""
    for value in param.invalid_values():
        with pytest.raises(DataError, match=f"^{re.escape(param.title)}: .*'{param.name}'"):
            param.parse(value, owner, label=param.title)
