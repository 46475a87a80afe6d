"""The "transfer" recipe: JSON round trip, field-naming checks, the CLI's texts, a reproducible
run through ``experiments.run``, and each option logged to the run history inside the run."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conftest import tracks_csv
from genre_core import experiments
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.recipe import DataSpec, RecipeError
from genre_core.experiments.transfer import (
    NETWORK_PARAMS,
    OPTIONS,
    TRANSFER_PARAMS,
    Spec,
    TransferSpec,
    mlp_presets,
    preset_network,
)
from genre_core.models.networks import configure_threads

NET = dict(hidden=(12, 8), batch_norm=True, dropout=0.1, batch_size=32, lr=1e-2)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("transfer") / "four.csv"
    return tracks_csv(path, 480, genres=("pop", "rock", "rap", "edm"), seed=3)


@pytest.fixture(scope="module")
def spec(csv_path) -> TransferSpec:
    configure_threads(1)
    return TransferSpec(
        data=DataSpec(str(csv_path), features=("danceability", "energy", "tempo")),
        source_genres=("pop", "rock", "rap"),
        new_genre="edm",
        split=SplitSpec.of(test=0.2, validation=0.2, seed=2),
        params={**preset_network("development")[0], **NET},
        epochs=3,
        target=0.6,
        seed=2,
        log=False,
    )


def test_the_options_are_the_transfer_settings_and_the_networks():
    # what every kind's module keeps: test_recipe.py::test_every_kind_module_keeps_the_contract
    assert Spec is TransferSpec
    assert TransferSpec.default_split() == SplitSpec.by_track(validation=0.2, test=0.2)
    names = TransferSpec.options().names
    assert set(TRANSFER_PARAMS.names) | set(NETWORK_PARAMS.names) == set(names)
    assert "max_epochs" not in names and "kind" not in names  # epochs is the recipe's own


def test_a_recipe_round_trips_through_json(spec):
    custom = replace(
        spec,
        params={**spec.params, "dropout": (0.2, 0.0), "batch_norm": (True, False)},
        split=SplitSpec.of("group", "track_id", test=0.25, validation=0.15, seed=4),
        compare=("scratch", "freeze"),
        source_epochs=2,
        origin="transfer",
    )
    for recipe in (TransferSpec(), spec, custom):
        text = recipe.to_json()
        assert TransferSpec.from_dict(json.loads(text)) == recipe
        assert experiments.load_recipe(text) == recipe


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"epochs": 0}, "epochs: 'epochs' must be between 1 and 2000"),
        ({"source_epochs": 0}, "source_epochs: 'source_epochs' must be between 1 and 2000"),
        ({"target": 1.5}, "target: 'target' must be between"),
        ({"feature_set": "text"}, "feature_set: 'feature_set' must be one of"),
        ({"source_genres": ["pop"]}, "source_genres: choose at least two"),
        ({"new_genre": ""}, "new_genre: choose the genre to add"),
        ({"new_genre": "rock"}, "new_genre: 'rock' is already a source genre"),
        ({"compare": ["distill"]}, "compare: unknown option 'distill'"),
        ({"compare": []}, "compare: choose at least one option"),
        ({"split": {"method": "stratified", "train": 0.8, "validation": 0.0, "test": 0.2}},
         "split.validation: transfer needs a validation share"),
        ({"params": {"hidden": [8, "x"]}}, "params.hidden: network parameter 'hidden'"),
        ({"params": {"lr": 0}}, "params.lr: network parameter 'lr' must be between"),
        ({"params": {"optimizer": "rmsprop"}}, "params.optimizer: network parameter"),
        ({"params": {"rnn_units": [8]}}, "params.rnn_units: not a setting of the transfer"),
        ({"params": {"max_epochs": 5}}, "params.max_epochs: not a setting"),
        ({"params": {"hidden": [8, 4], "dropout": [0.1, 0.2, 0.3]}}, "params: dropout has 3"),
        ({"epochs": "many"}, "epochs: expected a whole number"),
        ({"colour": "red"}, "colour: no such field"),
    ],
)  # fmt: skip
def test_a_bad_value_is_named(spec, change, message):
    data = {**json.loads(spec.to_json()), **change}
    with pytest.raises(RecipeError, match=message):
        TransferSpec.from_dict(data)


def test_every_declared_setting_refuses_an_out_of_range_value(spec):
    base = json.loads(spec.to_json())
    for param in NETWORK_PARAMS:
        for bad in param.invalid_values():
            data = {**base, "params": {**base["params"], param.name: bad}}
            with pytest.raises(RecipeError, match=f"params.{param.name}: "):
                TransferSpec.from_dict(data)


def test_the_command_line_texts_make_the_same_recipe(spec):
    values = {"hidden": "12, 8", "batch_norm": "yes", "dropout": "0.1", "batch_size": "32",
              "lr": "0.01", "epochs": "3", "target": "0.6", "source_genres": "pop, rock, rap",
              "new_genre": "edm", "seed": "2"}  # fmt: skip
    made = TransferSpec.from_options(spec.data, SplitSpec.of(test=0.2, validation=0.2), values)
    assert made == replace(spec, log=True)
    grid = TransferSpec.from_options(DataSpec(), None, {"compare": "freeze"}, "development-grid")
    assert grid.params["hidden"] == (128, 16) and grid.epochs == 20 and grid.compare == ("freeze",)
    assert grid.split == TransferSpec.default_split()
    assert "title-lstm" not in mlp_presets() and "development" in mlp_presets()
    with pytest.raises(RecipeError, match="preset: 'title-lstm' is a recurrent network"):
        TransferSpec.from_options(DataSpec(), None, {}, "title-lstm")
    with pytest.raises(DataError, match="no parameter 'depth'"):
        TransferSpec.from_options(DataSpec(), None, {"depth": "3"})
    with pytest.raises(DataError, match="'hidden' must be a whole number"):
        TransferSpec.from_options(DataSpec(), None, {"hidden": "8, 2.5"})


def test_the_same_recipe_gives_the_same_accuracy_twice(spec):
    events = []
    first = experiments.run(spec, events.append)
    second = experiments.run(TransferSpec.from_dict(json.loads(spec.to_json())))
    runs = first.summary["runs"]
    assert [r["option"] for r in runs] == list(OPTIONS)
    assert [r["accuracy"] for r in runs] == [r["accuracy"] for r in second.summary["runs"]]
    assert [r["per_genre"] for r in runs] == [r["per_genre"] for r in second.summary["runs"]]
    for run in runs:
        low, high = run["accuracy_ci95"]
        assert 0 <= low <= run["accuracy"] <= high <= 1
        assert set(run["per_genre"]) == {"pop", "rock", "rap", "edm"}
        assert run["epochs"] == 3 and run["run_id"] is None and run["seconds"] > 0
        assert run["epochs_to_target"] is None or 1 <= run["epochs_to_target"] <= 3
    assert first.summary["source"]["epochs"] == 3 and not first.summary["stopped"]
    assert first.run_ids == () and first.result.runs["freeze"].evaluation.n == runs[0]["n_test"]
    assert events[0]["stage"] == "start" and events[0]["runs"] == ["source", *OPTIONS]
    assert json.loads(json.dumps(first.summary)) == first.summary  # plain JSON values


def test_each_option_is_logged_inside_the_run(spec, csv_path, store):
    from genre_core.runs import history

    events = []

    def progress(event):
        events.append(event)

    recipe = replace(spec, log=True, compare=("freeze", "scratch"), epochs=2, origin="transfer")
    outcome = experiments.run(recipe, progress)
    logged = [e["run_id"] for e in events if e.get("stage") == "logged"]
    assert len(logged) == 2 and tuple(logged) == outcome.run_ids  # stored before run returned
    assert [r["run_id"] for r in outcome.summary["runs"]] == logged
    stored = [history.load_run(run_id) for run_id in logged]
    assert [r.tags["model"] for r in stored] == ["transfer freeze", "transfer scratch"]
    assert {r.tags["source"] for r in stored} == {"transfer"}
    assert {r.tags["dataset"] for r in stored} == {csv_path.name}
    assert {r.tags.get("recipe_kind") for r in stored} == {"transfer"}
    assert len({r.test_hash for r in stored}) == 1  # the options are tested on the same rows
    summary = outcome.summary["runs"][0]
    assert stored[0].metrics["accuracy"] == pytest.approx(summary["accuracy"], abs=5e-5)
    assert len(stored[1].curves) == 2
    assert outcome.warnings == ()


def test_a_store_that_fails_is_a_warning_and_the_result_is_kept(spec, monkeypatch):
    from genre_core.runs import history

    def broken(*args, **kwargs):
        raise DataError("the run store is locked")

    monkeypatch.setattr(history, "log_result", broken)
    outcome = experiments.run(replace(spec, log=True, compare=("scratch",), epochs=1))
    assert outcome.run_ids == () and outcome.summary["runs"][0]["run_id"] is None
    assert outcome.warnings == ("The run was not saved to the history: the run store is locked",)
    assert outcome.summary["runs"][0]["accuracy"] > 0


def test_a_loaded_table_is_given_the_recipes_roles(spec):
    """The page passes its loaded table; the recipe applies its own roles to it."""
    loaded = spec.data.load_base()
    direct = experiments.run(replace(spec, compare=("scratch",), epochs=1), dataset=loaded)
    again = experiments.run(replace(spec, compare=("scratch",), epochs=1))
    assert direct.summary["runs"][0]["accuracy"] == again.summary["runs"][0]["accuracy"]
    assert direct.summary["sizes"]["features"] == 3
