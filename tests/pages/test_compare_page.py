"""The Compare page under AppTest, and the Train page's logging into the run history."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, app_with_upload, chart_titles, make_tracks, wait_job
from genre_core.data.splits import SplitSpec
from genre_core.experiments.fitting import TrainConfig, train_model
from genre_core.experiments.net import NetConfig, train_network
from genre_core.metrics import compare
from genre_core.models.networks import configure_threads
from genre_core.runs import history
from genre_core.runs.progress import TaskState

FEATURES = ("danceability", "energy", "tempo")


@pytest.fixture(scope="module")
def results():
    tracks = make_tracks(150, seed=3)
    configure_threads(1)
    logreg = train_model(
        tracks, "genre", TrainConfig("logreg", features=FEATURES), TaskState(n_boot=20)
    )
    knn = train_model(tracks, "genre", TrainConfig("knn", features=FEATURES), TaskState(n_boot=20))
    net = train_network(
        tracks,
        "genre",
        NetConfig(
            {"hidden": (8,), "max_epochs": 5, "lr": 1e-2},
            features=FEATURES,
            split=SplitSpec(train=0.6, validation=0.2, test=0.2),
        ),
        TaskState(n_boot=20),
    )
    return {"logreg": logreg, "knn": knn, "net": net}


def _compare_page(runs=None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    if runs is not None:
        at.session_state["compare.runs"] = runs
    at.switch_page("../pages/compare.py").run()
    assert not at.exception
    return at


def test_an_empty_history_says_how_to_fill_it(store):  # noqa: F811
    at = _compare_page()
    assert "No run stored yet" in at.info[0].value


def test_two_runs_on_the_same_test_set_are_compared_and_tested(store, results):  # noqa: F811
    ids = {k: history.log_result(r, source="test", dataset="synthetic") for k, r in results.items()}
    at = _compare_page([ids["logreg"], ids["knn"]])
    table = at.dataframe[0].value
    assert len(table) == 3 and set(table["model"]) == {"logreg", "knn", "mlp 8"}
    metrics = at.dataframe[1].value
    assert len(metrics) == 2
    assert metrics["accuracy"].tolist() == pytest.approx(
        [results[k].evaluation.metrics["accuracy"] for k in ("logreg", "knn")]
    )
    titles = chart_titles(at)
    assert "Test metrics side by side" in titles
    assert sum(t.startswith("logreg") or t.startswith("knn") for t in titles) == 2  # confusions
    assert not any("by epoch" in t for t in titles)  # no network chosen: no curves

    a, b = results["logreg"].held_out, results["knn"].held_out
    expected = compare.mcnemar_counts(a.true, a.pred, b.pred)
    counts = at.dataframe[2].value
    assert counts["B wrong"].tolist() == [expected.only_a, expected.both_wrong]
    assert counts["B right"].tolist() == [expected.both_right, expected.only_b]
    verdict = (at.success or at.info)[0].value
    assert f"disagree on {expected.discordant}" in verdict or "exactly the same" in verdict
    assert any(f"{expected.p_value:.3g}" in m.value for m in at.metric)


def test_runs_on_different_test_sets_are_refused_and_curves_are_overlaid(
    store,  # noqa: F811
    results,
):
    ids = {k: history.log_result(r, source="test", dataset="synthetic") for k, r in results.items()}
    at = _compare_page([ids["logreg"], ids["net"]])
    assert not at.exception
    warning = at.warning[0].value
    assert "McNemar's test is not possible" in warning and "different test sets" in warning
    assert "valid_acc by epoch" in chart_titles(at)
    at.selectbox(key="compare.curve").set_value("valid_loss").run()
    assert "valid_loss by epoch" in chart_titles(at)


def test_the_filters_narrow_the_history(store, results):  # noqa: F811
    for key, result in results.items():
        history.log_result(result, source="test", dataset="other" if key == "net" else "synthetic")
    at = _compare_page()
    at.multiselect(key="compare.datasets").set_value(["other"]).run()
    assert at.dataframe[0].value["model"].tolist() == ["mlp 8"]


def test_a_corrupted_store_shows_a_clear_error(store):  # noqa: F811
    (store / "mlflow.db").write_bytes(b"garbage " * 100)
    at = _compare_page()
    assert "is not an SQLite database" in at.error[0].value


def test_the_train_page_logs_each_finished_model(store):  # noqa: F811
    at = app_with_upload(make_tracks(150, seed=5), "train")
    at.multiselect(key="train.models").set_value(["logreg", "knn"]).run()
    at.button(key="train.start").click().run()
    wait_job(at, "train.job", timeout=90)
    runs = history.list_runs()
    assert sorted(runs["model"]) == ["knn", "logreg"]
    assert set(runs["source"]) == {"train"} and set(runs["dataset"]) == {"mine.csv"}
    assert runs["test_hash"].nunique() == 1  # same split: the two can be paired
    assert not at.warning


def test_a_store_failure_keeps_the_trained_model_on_the_train_page(store):  # noqa: F811
    (store / "mlflow.db").write_bytes(b"garbage " * 100)
    at = app_with_upload(make_tracks(150, seed=5), "train")
    at.button(key="train.start").click().run()
    wait_job(at, "train.job", timeout=90)
    assert len(at.session_state["train.runs"]) == 1  # the result is kept
    assert any(m.label == "Accuracy" for m in at.metric)
    warning = at.warning[0].value
    assert "not saved to the history" in warning and "not an SQLite database" in warning


def test_the_networks_and_bayesian_pages_log_their_runs(store):  # noqa: F811
    at = app_with_upload(make_tracks(150, seed=5), "networks")
    at.number_input(key="nets.max_epochs").set_value(3)
    at.button(key="nets.start").click().run()
    wait_job(at, "nets.job")
    assert at.session_state["nets.outcome"] is not None
    at.switch_page("../pages/bayes.py").run()
    at.selectbox(key="bayes.model").set_value("logreg")
    at.number_input(key="bayes.n_train").set_value(60)
    at.number_input(key="bayes.n_test").set_value(30)
    at.number_input(key="bayes.steps").set_value(100)
    at.button(key="bayes.start").click().run()
    wait_job(at, "bayes.job")
    runs = history.list_runs().set_index("source")
    assert runs.loc["networks", "kind"] == "network" and runs.loc["networks", "n_test"] == 30
    assert runs.loc["bayes", "kind"] == "bayes" and runs.loc["bayes", "n_test"] == 30
    assert history.load_run(runs.loc["networks", "run_id"]).curves["epoch"].tolist() == [1, 2, 3]
