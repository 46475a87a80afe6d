"""The "search" recipe: JSON round trip, field-naming checks, values read by the schema's one
parser, a seeded study run twice through ``experiments.run``, and the CLI's spec and run."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from conftest import tracks_csv
from genre_core import experiments
from genre_core.data.splits import SplitSpec
from genre_core.experiments import search
from genre_core.experiments.recipe import DataSpec, RecipeError
from genre_core.models.networks import configure_threads
from genre_core.models.presets import NET_PARAMS

FEATURES = ("danceability", "energy", "tempo")


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    return tracks_csv(tmp_path_factory.mktemp("search") / "tracks.csv", 150, seed=5)


@pytest.fixture
def spec(csv_path, tmp_path) -> search.SearchSpec:
    return search.SearchSpec(
        data=DataSpec(str(csv_path), features=FEATURES, genres=("pop", "rock", "rap")),
        model="logreg",
        space=(search.Dim("C", "float", 1e-3, 10.0, log=True),),
        folds=2,
        sampler="tpe",
        n_trials=4,
        seed=3,
        storage=f"sqlite:///{tmp_path / 'studies.db'}",
        log=False,
    )


def test_the_options_name_the_model_sampler_and_trials():
    # what every kind's module keeps: test_recipe.py::test_every_kind_module_keeps_the_contract
    assert search.Spec is search.SearchSpec
    assert {"model", "sampler", "n_trials"} <= set(search.SearchSpec.options().names)
    assert search.SearchSpec.default_split().validation > 0  # a network needs one


def test_a_recipe_round_trips_through_json(spec):
    text = spec.to_json()
    assert search.SearchSpec.from_dict(json.loads(text)) == spec
    assert experiments.load_recipe(text) == spec
    assert search.SearchSpec.from_json(text) == spec
    net = replace(
        spec,
        model=search.NETWORK,
        space=search.grid_space(search.DEVELOPMENT_GRID),
        base={"hidden": (16, 8), "dropout": (0.2, 0.0)},
        split=SplitSpec.of("group", "track_artist", test=0.2, validation=0.2, seed=2),
        sampler="grid",
    )
    again = experiments.load_recipe(net.to_json())
    assert again == net and again.base["hidden"] == (16, 8) and again.grid_size == 192


def test_a_bad_value_names_its_field(spec):
    good = json.loads(spec.to_json())
    cases = [
        ({"folds": 0}, "^folds: .*between 1 and 20"),
        ({"sampler": "bayes"}, "^sampler: .*one of tpe, random, grid"),
        ({"model": "lasso"}, "^model: unknown model 'lasso'"),
        ({"holdout": 0.9}, "^holdout: "),
        ({"weights": [0.5, -1]}, "^weights: "),
        ({"base": {"C": "lots"}}, "^base.C: .*must be a number"),
        ({"space": [{"name": "C", "kind": "float", "low": 1e-9, "high": 1.0}]}, "^space: "),
        ({"space": [{"name": "depth", "kind": "int", "low": 1, "high": 3}]}, "no parameter"),
        ({"space": [{"name": "C", "kind": "float", "low": 2.0, "high": 1.0}]}, "^space.*lowest"),
        ({"split": {**good["split"], "test": 2.0}}, "^split: "),
        ({"colour": "red"}, "^colour: no such field"),
        ({"model": "net", "space": [{"name": "lr", "kind": "choice", "choices": [0.1]}],
          "split": {**good["split"], "train": 0.8, "validation": 0.0}}, "^split.validation: "),
    ]  # fmt: skip
    for change, message in cases:
        with pytest.raises(RecipeError, match=message):
            experiments.load_recipe({**good, **change})


def test_values_are_read_by_the_schema_one_parser(csv_path):
    data = DataSpec(str(csv_path), features=FEATURES)
    knn = search.SearchSpec.from_options(
        data,
        None,
        {"model": "knn", "n_neighbors": "3 : 9", "weights": "uniform | distance",
         "metric": "manhattan", "trials": "5", "seed": "4"},
    )  # fmt: skip
    assert search.Dim("n_neighbors", "int", 3, 9) in knn.space
    assert search.Dim("weights", "choice", choices=("uniform", "distance")) in knn.space
    assert knn.base == {"metric": "manhattan"} and knn.n_trials == 5 and knn.seed == 4
    net = search.SearchSpec.from_options(
        data,
        None,
        {"model": "net", "hidden": "64,32 | 128, 16", "dropout": "0.1|0.3", "epochs": "3",
         "batch_norm": "yes", "clip_norm": "none"},
        preset="development",
    )  # fmt: skip
    dims = {d.name: d for d in net.space}
    assert dims["hidden"].choices == ("64, 32", "128, 16")
    assert dims["dropout"].choices == (0.1, 0.3)
    assert net.base == {"max_epochs": 3, "batch_norm": True, "clip_norm": None}
    assert "max_epochs" not in dims and "batch_norm" not in dims  # fixed, not searched
    assert net.base["max_epochs"] == NET_PARAMS.get("epochs").parse("3")
    decoded = search.decode_params(search.NETWORK, {"hidden": "128, 16", "dropout": 0.3})
    assert decoded == {"hidden": (128, 16), "dropout": 0.3}
    with pytest.raises(RecipeError, match="^base.depth: knn has no parameter 'depth'"):
        search.SearchSpec.from_options(data, None, {"model": "knn", "depth": "3"})
    with pytest.raises(RecipeError, match="^space.dropout: .*'dropout'.*between 0 and 0.95"):
        search.SearchSpec.from_options(data, None, {"model": "net", "dropout": "0.1|2"})
    with pytest.raises(RecipeError, match="^space: .*development space is the network grid"):
        search.SearchSpec.from_options(data, None, {"model": "knn"}, preset="development")


def test_a_seeded_study_run_twice_gives_the_same_best_value(spec):
    first = experiments.run(experiments.load_recipe(spec.to_json()))
    second = experiments.run(spec)
    one, two = first.summary, second.summary
    assert one["study"] != two["study"]  # no name: a new study each time
    assert one["trials"] == two["trials"] == {"complete": 4}
    assert one["best_value"] == two["best_value"] is not None
    assert one["best_params"] == two["best_params"]
    assert len(first.result.table) == 4 and first.result.best_params["C"] > 0


def test_a_named_study_resumes_and_trains_its_best(spec, tmp_path):
    configure_threads(1)
    named = replace(spec, study="kept")
    events = []
    done = experiments.run(named, events.append)
    assert done.summary["ran_here"] == 4
    assert [e["number"] for e in events if e["stage"] == "trial"] == [0, 1, 2, 3]
    # The same study again: its budget is spent, so only the best is trained (and tested once).
    best = experiments.run(replace(named, train_best=True))
    assert best.summary["ran_here"] == 0
    assert best.summary["best_value"] == done.summary["best_value"]
    (trained,) = best.summary["runs"]
    assert trained["model"] == "logreg" and 0 <= trained["accuracy"] <= 1
    assert trained["n_test"] == 30 and best.run_ids == ()  # 20% of 150 rows; log=False
    with pytest.raises(RecipeError, match="another recipe"):
        experiments.run(replace(named, n_trials=9))


def test_a_study_of_the_first_format_still_loads(spec, tmp_path):
    from genre_core.runs import studies

    old = {
        "dataset": spec.data.source, "model": "logreg",
        "space": [{"name": "C", "kind": "float", "low": 0.001, "high": 10.0, "log": True,
                   "choices": []}],
        "label": None, "features": list(FEATURES), "genres": [], "merge": None,
        "group_column": "track_artist", "objective": "accuracy", "weights": [0.5, 1.0],
        "folds": 2, "sampler": "tpe", "pruner": "median", "n_trials": 4, "grid_points": 3,
        "rows": None, "base": {}, "seed": 3,
    }  # fmt: skip
    url = f"sqlite:///{tmp_path / 'old.db'}"
    studies.create_study(
        "old", url, recipe=json.dumps(old), sampler=None, pruner=None
    )  # as the first Search page stored it
    _, loaded = search.load_study("old", url)
    assert loaded.data.source == spec.data.source and loaded.data.features == FEATURES
    assert loaded.split.method == "group" and loaded.split.group_column == "track_artist"
    assert loaded.split.test == 0.3 and loaded.seed == 3 and loaded.space == spec.space


def test_the_cli_prints_a_recipe_that_runs_unchanged(csv_path, tmp_path, capsys):
    from genre_core.cli.main import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    argv = ["spec", "search", "--data", str(csv_path), "--features", ",".join(FEATURES),
            "--model", "knn", "--param", "n_neighbors=3:15", "--trials", "3", "--folds", "2",
            "--storage", url, "--seed", "1"]  # fmt: skip
    assert main(argv) == 0
    text = capsys.readouterr().out
    recipe = experiments.load_recipe(text)
    assert recipe.model == "knn" and recipe.n_trials == 3 and recipe.storage == url
    path = tmp_path / "recipe.json"
    path.write_text(text)
    assert main(["run", str(path), "--json", "--quiet"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["kind"] == "search" and printed["trials"] == {"complete": 3}
    again = experiments.run(replace(recipe, storage=url))
    assert again.summary["best_value"] == printed["best_value"]
