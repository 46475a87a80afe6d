"""The network schema: every NetClassifier setting declared once, the presets checked by it,
and each setting's invalid values refused with its name."""

from __future__ import annotations

import inspect

import pytest

from genre_core.errors import DataError
from genre_core.experiments.net import NetSpec, network_settings
from genre_core.experiments.recipe import RecipeError
from genre_core.models.networks import OPTIMIZERS, NetClassifier
from genre_core.models.presets import (
    NET_PARAMS,
    OPTIMIZER_NAMES,
    PRESETS,
    preset_params,
)

# Settings of the estimator that are not network hyperparameters: the split and the seed are
# the recipe's, freezing is the transfer's.
NOT_IN_SCHEMA = {"validation_fraction", "random_state", "freeze_body"}


def test_the_schema_declares_every_setting_with_the_estimators_defaults():
    defaults = {name: p.default for name, p in inspect.signature(NetClassifier).parameters.items()}
    assert set(NET_PARAMS.names) == set(defaults) - NOT_IN_SCHEMA
    for param in NET_PARAMS:
        assert param.default == defaults[param.name], param.name
        assert param.parse(param.format(param.default)) == param.default, param.name
    assert tuple(OPTIMIZERS) == OPTIMIZER_NAMES
    assert NET_PARAMS.get("epochs").name == "max_epochs"


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_presets_values_are_in_the_schemas_engine_form(name):
    params = PRESETS[name].params
    assert NET_PARAMS.parse(params, name) == params
    NetClassifier(**preset_params(name)).check_settings()


@pytest.mark.parametrize("param", list(NET_PARAMS), ids=lambda p: p.name)
def test_each_setting_refuses_its_invalid_values_naming_itself(param):
    assert param.invalid_values(), param.name
    for value in param.invalid_values():
        with pytest.raises(DataError, match=f"'{param.name}'"):
            param.parse(value, "network")
        with pytest.raises(RecipeError, match=rf"^params\.{param.name}: "):
            network_settings({param.name: value})
        with pytest.raises(RecipeError, match=rf"^params\.{param.name}: "):
            NetSpec(params={param.name: value})


def test_layer_lists_go_through_the_one_parser():
    hidden, dropout = NET_PARAMS.get("hidden"), NET_PARAMS.get("dropout")
    assert hidden.parse("64, 32;16") == (64, 32, 16) and hidden.parse("") == ()
    assert NET_PARAMS.get("batch_norm").parse("no, yes") == (False, True)
    assert dropout.parse("0.2, 0") == (0.2, 0.0) and dropout.parse("0.5") == 0.5
    assert dropout.format((0.2, 0.0, 0.2)) == "0.2, 0, 0.2" and dropout.format(0.5) == "0.5"
    assert NET_PARAMS.get("clip_norm").parse("none") is None
    with pytest.raises(DataError, match="'hidden' must be a number, not 'x'"):
        hidden.parse("64, x")
