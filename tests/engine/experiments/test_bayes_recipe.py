"""The "bayes" recipe: JSON round trips, field-naming errors, the schema's invalid values, the CLI's
options and presets, and runs that give the same accuracy twice and land in the run history."""

from __future__ import annotations

import json
import threading

import pytest

from conftest import make_tracks, tracks_csv
from genre_core import experiments
from genre_core.data.splits import SplitSpec
from genre_core.experiments import bayes_tables
from genre_core.experiments.bayes import BayesResult, BayesSpec, Spec, live_status, preset_values
from genre_core.experiments.recipe import DataSpec, RecipeError
from genre_core.models.bayes import BAYES_PARAMS, ROW_PARAMS
from genre_core.runs import history
from genre_core.runs.progress import Cancelled, TaskState

QUICK = {"model": "logreg", "steps": 150, "learning_rate": 0.05, "draws": 50}


@pytest.fixture(scope="module")
def csv_data(tmp_path_factory) -> DataSpec:
    """A CSV file on disk, as the CLI reads it."""
    path = tracks_csv(tmp_path_factory.mktemp("bayes") / "tracks.csv", 300, seed=5)
    return DataSpec(str(path), features=("danceability", "energy", "tempo"))


def quick_spec(data: DataSpec, **changes) -> BayesSpec:
    fields = {"n_train": 150, "n_test": 90, "params": dict(QUICK), "log": False, **changes}
    return BayesSpec(data=data, **fields)


def test_the_kind_module_exposes_its_spec():
    assert experiments.recipe_class("bayes") is Spec is BayesSpec
    assert BayesSpec.kind == "bayes" and BayesSpec.default_split().test == 0.3


@pytest.mark.parametrize(
    "split", [None, SplitSpec.of("group", "track_artist", test=0.25, validation=0.1, seed=3)]
)
def test_a_recipe_round_trips_through_json(csv_data, split):
    spec = BayesSpec(
        data=DataSpec("spotify-30k", genres=("pop", "rock"), merge={"rap": "hip hop"}),
        split=split,
        n_train=500,
        n_test=100,
        params={"model": "ard", "inference": "mcmc", "nu": 3.5, "chains": 1},
        seed=7,
        log=False,
    )
    assert BayesSpec.from_dict(json.loads(spec.to_json())) == spec
    assert experiments.load_recipe(spec.to_json()) == spec
    assert spec.config().model == "ard" and spec.config().seed == 7
    assert spec.config().tau == BAYES_PARAMS.defaults["tau"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"params": {"tau": 0}}, "params.tau"),
        ({"params": {"model": "svm"}}, "params.model"),
        ({"params": {"depth": 3}}, "params.depth"),
        ({"params": {"seed": 3}}, "params.seed"),
        ({"n_train": 5}, "n_train"),
        ({"n_test": "many"}, "n_test"),
        ({"seed": -1}, "seed"),
        ({"split": {"method": "group"}}, "split"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_value_gives_a_recipe_error_naming_the_field(csv_data, change, field):
    body = {**json.loads(quick_spec(csv_data).to_json()), **change}
    with pytest.raises(RecipeError, match=rf"^{field}\b"):
        experiments.load_recipe(body)


def test_every_cli_option_refuses_its_invalid_values_naming_the_field(csv_data):
    options = BayesSpec.options()
    assert set(options.names) == (set(BAYES_PARAMS.names) - {"seed"}) | set(ROW_PARAMS.names)
    for param in options:
        where = param.name if param.name in ROW_PARAMS.names else f"params.{param.name}"
        for bad in param.invalid_values():
            with pytest.raises(RecipeError, match=rf"^{where}: .*'{param.name}'"):
                BayesSpec.from_options(csv_data, None, {param.name: str(bad)})


def test_from_options_reads_texts_and_table2_presets(csv_data):
    spec = BayesSpec.from_options(
        csv_data, None, {"model": "bnn", "hidden": "8", "n_train": "200", "seed": "4"}
    )
    assert spec.params == {"model": "bnn", "hidden": 8} and spec.n_train == 200
    # copies of a song on one side by default (issue 13.2); "split": null is the report's
    assert spec.seed == 4 and spec.split == SplitSpec.by_track(test=0.3)
    preset = BayesSpec.from_options(csv_data, None, {"steps": "100"}, preset="5")
    assert preset.params["model"] == "hier-t" and preset.params["nu"] == 4.0
    assert preset.params["steps"] == 100 and (preset.n_train, preset.n_test) == (1000, 200)
    assert {k: v for k, v in preset_values(5).items() if k in preset.params} != {}
    grouped = BayesSpec.from_options(csv_data, SplitSpec.parse("group:track_artist", seed=2), {})
    assert grouped.split.group_column == "track_artist" and grouped.seed == 2
    with pytest.raises(RecipeError, match="^preset: Table 2 has experiments 1 to 10"):
        BayesSpec.from_options(csv_data, None, {}, preset="11")


def test_the_same_recipe_gives_the_same_accuracy_twice(csv_data):
    spec = quick_spec(csv_data, seed=3)
    events: list[dict] = []
    first = experiments.run(spec, events.append)
    second = experiments.run(BayesSpec.from_dict(json.loads(spec.to_json())))
    one, two = first.summary["runs"][0], second.summary["runs"][0]
    assert one["accuracy"] == two["accuracy"] and 0.6 < one["accuracy"] <= 1.0
    low, high = one["accuracy_ci95"]
    assert low <= one["accuracy"] <= high
    assert set(one["per_genre"]) == {"pop", "rock", "rap"} and one["n_test"] == 90
    assert one["run_id"] is None and first.run_ids == ()
    assert isinstance(first.result, BayesResult)
    assert first.result.metrics["accuracy"] == pytest.approx(one["accuracy"], abs=1e-4)
    stages = [e["stage"] for e in events]
    assert stages[0] == "prepare" and "svi" in stages and stages[-1] == "predict"
    assert live_status(events)[0].startswith("predicting")
    assert live_status(events[:3])[0].startswith("SVI step")


def test_a_grouped_split_and_a_page_dataset(csv_data):
    from genre_core.data.dataset import load_dataset

    split = SplitSpec.of("group", "track_artist", test=0.4, seed=1)
    spec = quick_spec(csv_data, split=split, n_train=100, n_test=60)
    outcome = experiments.run(spec, dataset=load_dataset(csv_data.source))
    result = outcome.result
    frame = result.uncertain  # named test tracks come back
    assert "track_name" in frame.columns and len(frame) == 15
    artists = make_tracks(300, seed=5)["track_artist"].to_numpy()
    assert not set(artists[result.data.train_rows]) & set(artists[result.data.test_rows])


def test_a_logged_run_is_in_the_history_with_its_posterior(csv_data):
    spec = quick_spec(csv_data).with_changes(log=True)
    outcome = experiments.run(spec, source="bayes")
    (run_id,) = outcome.run_ids
    assert outcome.summary["runs"][0]["run_id"] == run_id and not outcome.warnings
    details = history.load_run(run_id)
    assert details.tags["kind"] == "bayes" and details.tags["source"] == "bayes"
    assert details.confusion.sum() == 90 and len(details.predictions) == 90
    assert float(details.metrics["accuracy"]) == pytest.approx(
        outcome.summary["runs"][0]["accuracy"], abs=1e-4
    )
    record = outcome.result.record()
    assert record.kind == "bayes" and "posterior.safetensors" in record.model_files
    assert record.params["model"] == "logreg" and record.params["n_train"] == 150


def test_a_set_cancel_flag_stops_the_run(csv_data):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        experiments.run(quick_spec(csv_data), cancel=cancel)


def test_too_many_rows_is_a_clear_error(csv_data):
    with pytest.raises(experiments.DataError, match="the table has 300"):
        experiments.run(quick_spec(csv_data, n_train=400))


# ---- the report's experiments -------------------------------------------------------------------


def test_the_tables_recipe_round_trips_and_names_bad_fields(csv_data):
    spec = bayes_tables.TablesSpec(data=csv_data, table="curve", sizes=(30, 60), held_out=100)
    assert bayes_tables.TablesSpec.from_dict(json.loads(spec.to_json())) == spec
    with pytest.raises(RecipeError, match=r"^experiments\[1\]: Table 2 has experiments"):
        bayes_tables.TablesSpec.from_dict({"experiments": [1, 12]})
    with pytest.raises(RecipeError, match="^table: must be one of table2, curve"):
        bayes_tables.TablesSpec.from_dict({"table": "forest"})
    with pytest.raises(experiments.DataError, match="too small"):
        bayes_tables.check_size(bayes_tables.TablesSpec(), 1000)


def test_the_size_curve_runs_as_a_recipe(csv_data):
    spec = bayes_tables.TablesSpec(data=csv_data, table="curve", sizes=(40,), held_out=100)
    events: list[dict] = []
    outcome = bayes_tables.run(spec, TaskState(events.append))
    curve = outcome.result["curve"]
    assert list(curve["method"]) == ["SVI Model 2", "SVI Model 1", "point-estimate LR"]
    assert len(outcome.summary["rows"]) == 3 and outcome.summary["table"] == "curve"
    assert bayes_tables.live_status(events)[0] == "SVI Model 1 on 40 rows"
