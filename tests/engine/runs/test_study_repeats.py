"""A study never trains a configuration twice unless asked: not after a resume, not when two
workers share it, and a sampler with nothing new to propose ends instead of spinning."""

from __future__ import annotations

import threading

import optuna

from conftest import make_tracks
from genre_core.data.dataset import from_user_frame
from genre_core.experiments import search
from genre_core.experiments.recipe import DataSpec

FEATURES = ("danceability", "energy", "tempo")
C_RANGE = (search.Dim("C", "float", 1e-3, 100.0, log=True),)


def spec_for(space=C_RANGE, **changes) -> search.SearchSpec:
    base = dict(
        data=DataSpec("unused", features=FEATURES),
        model="logreg",
        space=space,
        folds=2,
        n_trials=6,
        sampler="random",
        pruner="none",
    )
    return search.SearchSpec(**{**base, **changes})


def data_of(spec):
    frame = from_user_frame(make_tracks(90), "tracks.csv", label="genre")
    return search.prepare_data(spec, frame)


def counted(study) -> list[tuple]:
    """The params of every trial that counts (not skipped), in order."""
    return [
        tuple(sorted(t.params.items()))
        for t in study.get_trials(deepcopy=False)
        if not t.user_attrs.get("skipped") and t.state != optuna.trial.TrialState.WAITING
    ]


def test_a_resumed_study_does_not_repeat_its_first_configurations(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    spec = spec_for()
    data = data_of(spec)
    study = search.create_study(spec, "resumed", url)
    search.run_study(study, spec, data, n_trials=3)
    again, _ = search.load_study("resumed", url)  # a new process: its sampler seeded anew
    table = search.run_study(again, spec, data)
    params = counted(again)
    assert len(params) == 6 and len(set(params)) == 6, params
    assert len(table) == 6 and table["param_C"].nunique() == 6


def test_two_workers_with_the_same_seed_share_out_the_configurations(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    spec = spec_for(n_trials=8)
    data = data_of(spec)
    search.create_study(spec, "shared", url)
    errors = []

    def worker() -> None:
        try:
            study, _ = search.load_study("shared", url)
            search.run_study(study, spec, data)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not errors
    study, _ = search.load_study("shared", url)
    params = counted(study)
    assert len(params) == len(set(params)) == 8, params


def test_a_sampler_with_nothing_new_to_propose_ends(tmp_path):
    spec = spec_for(space=(search.Dim("C", "choice", choices=(0.1, 1.0, 10.0)),), n_trials=6)
    study = search.create_study(spec, "small", f"sqlite:///{tmp_path / 'c.db'}")
    table = search.run_study(study, spec, data_of(spec), timeout=120)
    assert sorted(table["param_C"]) == [0.1, 1.0, 10.0]


def test_a_configuration_asked_for_again_is_still_run(tmp_path):
    spec = spec_for(n_trials=2)
    study = search.create_study(spec, "asked", f"sqlite:///{tmp_path / 'a.db'}")
    study.enqueue_trial({"C": 1.0})
    study.enqueue_trial({"C": 1.0})
    search.run_study(study, spec, data_of(spec))
    first, second = study.trials[:2]
    assert second.user_attrs["reused_from"] == 0 and second.value == first.value
