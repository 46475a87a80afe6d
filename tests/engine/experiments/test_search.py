"""Hyperparameter search: spaces, the 192-configuration grid, objectives, pruning, storage."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import optuna
import pytest

from conftest import make_tracks
from genre_core.data.dataset import from_user_frame
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import search
from genre_core.experiments.recipe import DataSpec
from genre_core.models.networks import configure_threads
from genre_core.runs import studies
from genre_core.runs.progress import TaskState

configure_threads(1)

FEATURES = ("danceability", "energy", "tempo")


def spec_for(model="logreg", **changes) -> search.SearchSpec:
    base = dict(
        data=DataSpec("unused", features=FEATURES),
        split=SplitSpec(train=0.6, validation=0.2, test=0.2),  # stratified, as written for
        model=model,
        space=search.default_space(model),
        folds=3,
        n_trials=4,
    )
    return search.SearchSpec(**{**base, **changes})


def dataset_of(frame):
    """A table as the page holds it (the recipe's data choices not applied yet)."""
    return from_user_frame(frame, "tracks.csv", label="genre")


def grouped(column: str) -> SplitSpec:
    return SplitSpec.of("group", column, test=0.2, validation=0.2)


def small_net_space(**extra) -> tuple:
    return (
        search.Dim("hidden", "choice", choices=("8",)),
        search.Dim("lr", "choice", choices=(1e-2, 1e-6)),
        search.Dim("dropout", "choice", choices=(0.0, 0.05, 0.1, 0.15, 0.2)),
        *extra.get("more", ()),
    )


def test_table4_grid_has_the_192_configurations_of_the_report():
    space = search.grid_space(search.DEVELOPMENT_GRID)
    configs = search.grid_configurations(space)
    assert len(configs) == 192
    assert len({tuple(sorted(c.items())) for c in configs}) == 192
    # the space gives back the grid it was read from: Table 4's 3 layouts × 2^6, 20 epochs each
    grid = search.DEVELOPMENT_GRID
    assert search.grid_values(space) == grid
    assert grid["hidden"] == ["64, 32", "16, 16, 16", "128, 16"] and grid["max_epochs"] == [20]
    two_each = {"batch_norm", "dropout", "lr", "batch_size", "optimizer", "clip_norm"}
    assert set(grid) == {"hidden", "max_epochs", *two_each}
    assert all(len(grid[name]) == 2 for name in two_each)
    assert search.DEVELOPMENT_BEST in configs
    decoded = search.decode_params(search.NETWORK, search.DEVELOPMENT_BEST)
    assert decoded["hidden"] == (128, 16)
    spec = spec_for(search.NETWORK, space=space, sampler="grid", n_trials=500)
    spec.check()
    assert spec.grid_size == 192


def test_every_model_has_a_valid_default_space_that_survives_json():
    for model in search.model_names():
        space = search.default_space(model)
        spec = spec_for(model, space=space)
        spec.check()
        again = search.SearchSpec.from_json(spec.to_json())
        assert again == spec
        assert search.grid_configurations(space, 2)


def test_bad_spaces_and_specs_are_refused_with_a_sentence():
    with pytest.raises(DataError, match="no parameter 'depth'"):
        spec_for(space=(search.Dim("depth", "int", 1, 3),)).check()
    with pytest.raises(DataError, match="must be between"):
        spec_for(space=(search.Dim("C", "float", 1e-9, 1.0, log=True),)).check()
    with pytest.raises(DataError, match="lowest value"):
        search.Dim("C", "float", 2.0, 1.0)
    with pytest.raises(DataError, match="^sampler: .*must be one of tpe, random, grid"):
        spec_for(sampler="bayes").check()
    with pytest.raises(DataError, match="network has no parameter 'depth'"):
        spec_for(search.NETWORK, space=(search.Dim("depth", "choice", choices=(1,)),)).check()


def test_genre_factor_score_is_equation_1():
    # acc_val 0.6, training 0.7: delta 0.1; w1 0.5, w2 1 -> 0.5 * (0.5 * 0.9 + 0.6) = 0.525
    assert search.score("genre_factor", 0.6, 0.7, 0.0, (0.5, 1.0)) == pytest.approx(0.525)
    assert search.score("accuracy", 0.6, 0.7, 0.4, (0.5, 1.0)) == 0.6
    assert search.score("f1_macro", 0.6, 0.7, 0.4, (0.5, 1.0)) == 0.4


def test_grouped_folds_keep_every_group_on_one_side():
    frame = make_tracks(n=180)
    spec = spec_for(split=grouped("track_artist"), folds=3)
    data = search.prepare_data(spec, dataset_of(frame))
    artists = frame["track_artist"].to_numpy()
    assert len(data.folds) == 3
    for train, valid in data.folds:
        assert not set(artists[train]) & set(artists[valid])
    holdout = search.prepare_data(spec_for(folds=1, rows=90), dataset_of(frame))
    ((train, valid),) = holdout.folds
    assert len(holdout.y) == 90 and len(valid) == pytest.approx(18, abs=1)
    wider = search.prepare_data(spec_for(folds=1, rows=90, holdout=0.3), dataset_of(frame))
    assert len(wider.folds[0][1]) == pytest.approx(27, abs=1)  # the hold-out share is a field


def test_a_classical_study_runs_scores_and_is_stored(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    spec = spec_for(objective="genre_factor", weights=(0.5, 1.0), n_trials=5, pruner="median")
    study = search.create_study(spec, "logreg", url)
    events = []
    data = search.prepare_data(spec, dataset_of(make_tracks()))
    table = search.run_study(study, spec, data, TaskState(events.append))
    assert len(table) == 5 and set(table["state"]) == {"complete"}
    assert [e["number"] for e in events] == [0, 1, 2, 3, 4]
    row = table.iloc[0]
    expected = 0.5 * (0.5 * (1 - (row["acc_train"] - row["acc_val"])) + row["acc_val"])
    assert row["value"] == pytest.approx(expected)
    again, stored = search.load_study("logreg", url)
    assert stored == spec and len(again.trials) == 5
    assert search.best_params(again, stored)["C"] == again.best_params["C"]
    # A finished study runs nothing more; a new name is needed for another recipe.
    data = search.prepare_data(spec, dataset_of(make_tracks()))
    assert len(search.run_study(again, stored, data))
    assert len(again.trials) == 5
    with pytest.raises(DataError, match="another recipe"):
        search.create_study(spec_for(n_trials=9), "logreg", url)
    with pytest.raises(DataError, match="no study named 'other'.*logreg"):
        search.load_study("other", url)


def test_a_network_reports_each_epoch_and_a_bad_one_is_pruned(tmp_path):
    frame = make_tracks(n=150)
    spec = spec_for(
        search.NETWORK,
        space=small_net_space(),
        base={"max_epochs": 4, "batch_size": 16, "optimizer": "sgd", "momentum": 0.0},
        folds=1,
        n_trials=7,
        pruner="median",
    )
    study = search.create_study(spec, "net", f"sqlite:///{tmp_path / 'n.db'}")
    for dropout in (0.0, 0.05, 0.1, 0.15, 0.2):
        study.enqueue_trial({"hidden": "8", "lr": 1e-2, "dropout": dropout})
    study.enqueue_trial({"hidden": "8", "lr": 1e-6, "dropout": 0.0})
    study.enqueue_trial({"hidden": "8", "lr": 1e-2, "dropout": 0.0})  # a repeat
    table = search.run_study(study, spec, search.prepare_data(spec, dataset_of(frame)))
    first = study.trials[0]
    assert sorted(first.intermediate_values) == [1, 2, 3, 4]
    assert table.loc[0, "epochs"] == 4
    slow = table.loc[5]
    assert slow["state"] == "pruned" and slow["epochs"] < 4
    repeat = study.trials[6]
    assert repeat.user_attrs["reused_from"] == 0 and repeat.user_attrs["epochs"] == 0
    assert repeat.value == first.value


def test_hyperband_and_grid_and_random_run(tmp_path):
    frame = make_tracks(n=120)
    for sampler, pruner in (("grid", "hyperband"), ("random", "none")):
        spec = spec_for(
            search.NETWORK,
            space=small_net_space(),
            base={"max_epochs": 3, "batch_size": 32},
            folds=2,
            n_trials=3,
            sampler=sampler,
            pruner=pruner,
        )
        study = search.create_study(spec, sampler, f"sqlite:///{tmp_path / 'h.db'}")
        table = search.run_study(study, spec, search.prepare_data(spec, dataset_of(frame)))
        assert len(table) == 3
        params = {tuple(sorted(t.params.items())) for t in study.trials}
        assert len(params) == 3 or sampler == "random"
        # Two folds of three epochs: steps 1..6.
        done = [t for t in study.trials if t.state.name == "COMPLETE"]
        assert done and max(done[0].intermediate_values) == 6


def test_importances_need_two_completed_trials(tmp_path):
    spec = spec_for(n_trials=4, space=(search.Dim("C", "float", 1e-4, 10.0, log=True),))
    study = search.create_study(spec, "imp", f"sqlite:///{tmp_path / 'i.db'}")
    with pytest.raises(DataError, match="at least 2 completed trials; this study has 0"):
        search.importances(study)
    search.run_study(study, spec, search.prepare_data(spec, dataset_of(make_tracks())))
    values = search.importances(study)
    assert set(values) == {"C"}
    assert sum(values.values()) == pytest.approx(1.0)


def test_a_corrupted_store_gets_a_clear_message(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DataError, match="not a SQLite database.*move it aside"):
        studies.open_storage(f"sqlite:///{bad}")
    half = tmp_path / "half.db"
    half.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)
    with pytest.raises(DataError, match="is corrupted .*sqlite3 FILE .recover"):
        studies.study_names(f"sqlite:///{half}")


def test_a_locked_store_gets_a_clear_message_and_loses_no_trial(tmp_path, monkeypatch):
    path = tmp_path / "locked.db"
    url = f"sqlite:///{path}"
    spec = spec_for(n_trials=3)
    study = search.create_study(spec, "kept", url)
    data = search.prepare_data(spec, dataset_of(make_tracks()))
    search.run_study(study, spec, data)
    monkeypatch.setattr(studies, "SQLITE_TIMEOUT", 0.2)
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DataError, match="locked by another program.*finished trials are safe"):
            search.create_study(spec_for(n_trials=3), "second", url)
    finally:
        holder.rollback()
        holder.close()
    again, _ = search.load_study("kept", url)
    states = [t.state for t in again.trials]
    assert states == [optuna.trial.TrialState.COMPLETE] * 3
    assert np.isfinite(again.best_value)


def test_storage_url_password_is_never_shown():
    message = studies.storage_message(
        "postgresql+psycopg://genre:secret@db.example:5432/lab", RuntimeError("refused")
    )
    assert "secret" not in message and "genre:***@db.example" in message


def test_a_space_reads_back_from_its_text():
    for model in search.model_names():
        for dim in search.default_space(model):
            again = search.parse_dim(model, dim.name, search.dim_text(dim))
            assert again.kind == dim.kind and again.choices == dim.choices, dim
            if dim.kind != "choice":
                assert (again.low, again.high, again.log) == (dim.low, dim.high, dim.log)
    with pytest.raises(DataError, match="'C': a range is 'low : high'"):
        search.parse_dim("logreg", "C", "1 : 2 : 3")
    with pytest.raises(DataError, match="must be one of"):
        search.parse_dim("knn", "weights", "uniform | closest")


def test_the_cli_refuses_bad_input_with_one_line(tmp_path, capsys):
    from genre_core.cli.main import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["search-worker", "--study", "absent", "--storage", url]) == 2
    assert capsys.readouterr().err.startswith("error: no study named 'absent'")
    csv = tmp_path / "t.csv"
    make_tracks(n=90).to_csv(csv, index=False)
    base = ["search", "--data", str(csv), "--study", "s", "--storage", url, "--create-only"]
    assert main([*base, "--model", "lasso"]) == 2
    assert "model: 'model' must be one of logreg" in capsys.readouterr().err
    assert main([*base, "--model", "knn", "--choices", "weights=uniform|far"]) == 2
    assert "must be one of uniform, distance" in capsys.readouterr().err
    assert main([*base, "--model", "knn", "--sampler", "annealing"]) == 2
    assert "sampler: 'sampler' must be one of tpe" in capsys.readouterr().err
    assert main([*base, "--model", "knn", "--range", "n_neighbors=3:9"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["study"] == "s" and created["ran_here"] == 0
    _, spec = search.load_study("s", url)
    assert search.Dim("n_neighbors", "int", 3.0, 9.0) in spec.space


def test_figures_mark_the_best_and_climb():
    import pandas as pd

    from genre_core.plots import search as search_plots

    table = pd.DataFrame(
        {
            "number": [0, 1, 2, 3],
            "state": ["complete", "pruned", "complete", "complete"],
            "value": [0.50, None, 0.62, 0.55],
            "acc_val": [0.50, None, 0.62, 0.55],
            "acc_train": [0.70, None, 0.66, 0.90],
            "delta": [0.20, None, 0.04, 0.35],
            "param_lr": [1e-3, 1e-4, 1e-3, 1e-2],
            "param_class_weight": [None, "balanced", None, "balanced"],
        }
    )
    curve = search_plots.best_so_far_figure(table)
    best = next(t for t in curve.data if t.name == "best so far")
    assert [v for v in best.y if v == v] == [0.50, 0.50, 0.62, 0.62]
    figure = search_plots.genre_factor_figure(table, (0.5, 1.0))
    star = figure.data[-1]
    assert (star.x[0], star.y[0]) == (0.04, 0.66) and "trial 2" in star.name
    parallel = search_plots.parallel_figure(table).data[0]
    assert [d.label for d in parallel.dimensions] == ["lr", "class_weight", "value"]
    assert parallel.dimensions[1].ticktext == ("balanced", "none")
    bars = search_plots.importance_figure({"lr": 0.7, "class_weight": 0.3}).data[0]
    assert list(bars.y) == ["class_weight", "lr"]


def test_the_best_configuration_trains_with_the_usual_engine(tmp_path):
    from genre_core.experiments.fitting import TrainResult
    from genre_core.experiments.net import NetResult

    frame = make_tracks(n=150)
    spec = spec_for(search.NETWORK, space=small_net_space(), base={"max_epochs": 2}, folds=1,
                    n_trials=2)  # fmt: skip
    study = search.create_study(spec, "best-net", f"sqlite:///{tmp_path / 'b.db'}")
    search.run_study(study, spec, search.prepare_data(spec, dataset_of(frame)))
    params = search.best_params(study, spec)
    assert params["hidden"] == (8,) and params["max_epochs"] == 2
    table = spec.data.apply(dataset_of(frame))
    result = search.train_best(spec, params, table)
    assert isinstance(result, NetResult) and len(result.history) == 2
    assert result.n_test == 30 and result.features == FEATURES
    classical = search.train_best(spec_for(), {"C": 0.5}, table)
    assert isinstance(classical, TrainResult) and classical.params["C"] == 0.5


def test_a_poor_classical_trial_is_pruned_after_its_first_fold(tmp_path):
    spec = spec_for(space=(search.Dim("C", "float", 1e-4, 10.0, log=True),), n_trials=6)
    study = search.create_study(spec, "folds", f"sqlite:///{tmp_path / 'f.db'}")
    for c in (1.0, 2.0, 3.0, 4.0, 5.0, 1e-4):
        study.enqueue_trial({"C": c})
    table = search.run_study(study, spec, search.prepare_data(spec, dataset_of(make_tracks())))
    assert list(table["state"]) == ["complete"] * 5 + ["pruned"]
    assert list(study.trials[5].intermediate_values) == [0]  # scored on one fold of three


def test_a_configuration_that_cannot_be_fitted_fails_with_its_reason(tmp_path):
    spec = spec_for(space=(search.Dim("C", "float", 1e-4, 10.0, log=True),), n_trials=2)
    study = search.create_study(spec, "bad", f"sqlite:///{tmp_path / 'e.db'}")
    study.enqueue_trial({"C": 1e-9})  # outside the model's own range: refused by the model
    events = []
    table = search.run_study(
        study, spec, search.prepare_data(spec, dataset_of(make_tracks())), TaskState(events.append)
    )
    assert list(table["state"]) == ["fail", "complete", "complete"]
    assert "must be between" in events[0]["error"] and events[1]["error"] is None
