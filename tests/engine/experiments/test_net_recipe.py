"""The "net" recipe: JSON round trip, field-naming checks, the CLI's texts, a reproducible run
through ``experiments.run``, grouped splits, and the run logged inside the run."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conftest import make_tracks, tracks_csv
from genre_core import experiments
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.net import NET_OPTIONS, NetResult, NetSpec, Spec
from genre_core.experiments.recipe import DataSpec, RecipeError
from genre_core.models.networks import configure_threads
from genre_core.models.presets import NET_PARAMS, PRESETS, preset_params

FEATURES = ("danceability", "energy", "tempo")


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    return tracks_csv(tmp_path_factory.mktemp("net") / "tracks.csv", 300, seed=4)


@pytest.fixture(scope="module")
def spec(csv_path) -> NetSpec:
    configure_threads(1)
    return NetSpec(
        data=DataSpec(str(csv_path), features=FEATURES),
        split=SplitSpec.of(test=0.2, validation=0.2, seed=1),
        params={**preset_params("development"), "hidden": (16, 8), "max_epochs": 4},
        preset="development",
        seed=3,
        log=False,
    )


def test_the_options_are_the_network_settings_and_the_recipes_own():
    # what every kind's module keeps: test_recipe.py::test_every_kind_module_keeps_the_contract
    assert Spec is NetSpec
    assert NetSpec.default_split() == SplitSpec.by_track(validation=0.2, test=0.2)
    assert set(NetSpec.options().names) == set(NET_PARAMS.names) | set(NET_OPTIONS.names)
    assert NetSpec().params == NET_PARAMS.defaults  # every setting, filled in


def test_a_recipe_round_trips_through_json(spec):
    text = spec.to_json()
    again = NetSpec.from_dict(json.loads(text))
    assert again == spec and again.params["hidden"] == (16, 8)
    assert experiments.load_recipe(text) == spec
    modif = replace(spec, params=preset_params("cas-mlp-modif"))
    assert NetSpec.from_dict(json.loads(modif.to_json())).params["dropout"] == (0.2, 0.0, 0.2)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"params": {"dropout": 2}}, "params.dropout"),
        ({"params": {"hidden": [8, "x"]}}, "params.hidden"),
        ({"params": {"depth": 3}}, "params.depth"),
        ({"params": {"dropout": [0.1, 0.2, 0.3], "hidden": [8, 4]}}, "params.dropout"),
        ({"params": {"kind": "title"}, "feature_set": "numeric+text"}, "feature_set"),
        ({"preset": "no-such-net"}, "preset"),
        ({"scaler": "quantile"}, "scaler"),
        ({"split": {"train": 0.8, "validation": 0.0, "test": 0.2}}, "split.validation"),
        ({"seed": "zero"}, "seed"),
    ],
)
def test_a_bad_value_is_a_recipe_error_naming_the_field(spec, change, field):
    data = {**json.loads(spec.to_json()), **change}
    if "params" in change:
        data["params"] = {**json.loads(spec.to_json())["params"], **change["params"]}
    with pytest.raises(RecipeError, match=rf"^{field}: "):
        experiments.load_recipe(json.dumps(data))


def test_the_cli_texts_make_the_same_recipe(spec):
    values = {"hidden": "16, 8", "epochs": "4", "seed": "3"}
    made = NetSpec.from_options(spec.data, spec.split, values, "development")
    assert made == replace(spec, log=True)
    text = NetSpec.from_options(DataSpec(), None, {"batch_size": "8"}, "cas-mlp-modif-text")
    assert text.feature_set == "numeric+text" and text.params["kind"] == "input_sequence"
    assert text.params["batch_size"] == 8 and text.split == NetSpec.default_split()
    grouped = NetSpec.from_options(DataSpec(), SplitSpec.parse("group:id", test=0.2,
                                   validation=0.2), {})  # fmt: skip
    assert grouped.split.method == "group" and grouped.preset is None
    with pytest.raises(RecipeError, match="^depth: .*no parameter 'depth'"):
        NetSpec.from_options(DataSpec(), None, {"depth": "3"})
    with pytest.raises(RecipeError, match="^params.dropout: .*between 0 and 0.95"):
        NetSpec.from_options(DataSpec(), None, {"dropout": "0.99"})
    with pytest.raises(RecipeError, match="^preset: "):
        NetSpec.from_options(DataSpec(), None, {}, "nope")


def test_every_preset_makes_a_valid_recipe():
    for name, preset in PRESETS.items():
        spec = NetSpec.from_options(DataSpec(), None, {}, name)
        assert spec.feature_set == preset.feature_set
        for key, value in preset.params.items():
            assert spec.params[key] == value, (name, key)


def test_the_same_recipe_gives_the_same_accuracy_twice(spec):
    events = []
    first = experiments.run(spec, events.append)
    second = experiments.run(NetSpec.from_dict(json.loads(spec.to_json())))
    one, two = first.summary["runs"][0], second.summary["runs"][0]
    assert one["accuracy"] == two["accuracy"] and one["per_genre"] == two["per_genre"]
    low, high = one["accuracy_ci95"]
    assert 0 <= low <= one["accuracy"] <= high <= 1
    assert set(one["per_genre"]) == {"pop", "rock", "rap"}
    assert one["epochs"] == 4 and one["run_id"] is None and one["model"] == "mlp 16-8"
    assert isinstance(first.result, NetResult) and first.run_ids == ()
    assert [e["stage"] for e in events][:2] == ["start", "epoch"]
    assert json.loads(json.dumps(first.summary)) == first.summary  # plain JSON values


def test_a_grouped_split_keeps_each_track_on_one_side(spec):
    grouped = replace(spec, split=SplitSpec.of("group", "id", test=0.2, validation=0.2, seed=1))
    outcome = experiments.run(grouped)
    result = outcome.result
    assert outcome.summary["split"].startswith("group")
    frame = make_tracks(300, seed=4)
    test_ids = set(frame.loc[result.held_out.rows, "track_id"])
    train_ids = set(frame["track_id"]) - test_ids
    assert test_ids and train_ids and not test_ids & train_ids


def test_the_run_is_logged_inside_the_run(spec, csv_path, store):
    from genre_core.runs import history

    events = []
    outcome = experiments.run(replace(spec, log=True), events.append, source="networks")
    logged = [e["run_id"] for e in events if e.get("stage") == "logged"]
    assert len(logged) == 1 and outcome.run_ids == tuple(logged)
    assert outcome.summary["runs"][0]["run_id"] == logged[0]
    stored = history.load_run(logged[0])
    assert stored.tags["source"] == "networks" and stored.tags["dataset"] == csv_path.name
    assert stored.tags.get("recipe_kind") == "net"
    accuracy = outcome.summary["runs"][0]["accuracy"]
    assert stored.metrics["accuracy"] == pytest.approx(accuracy, abs=5e-5)


def test_a_pretrained_file_starts_the_training(spec, tmp_path):
    from genre_core.runs.checkpoints import network_bytes

    first = experiments.run(spec).result
    path = tmp_path / "net.safetensors"
    path.write_bytes(network_bytes(first.pipeline, first.features))
    warm = experiments.run(replace(spec, initial=str(path))).result
    assert warm.initial_skipped == ()
    with pytest.raises(RecipeError, match="^initial: "):
        experiments.run(replace(spec, initial=str(tmp_path / "missing.safetensors")))
    with pytest.raises(DataError):
        experiments.run(replace(spec, data=replace(spec.data, features=("nope",))))
