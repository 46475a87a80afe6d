"""`train` and `predict` on a tiny CSV written to tmp_path; bad input exits 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from conftest import make_tracks, run_cli, tracks_csv


@pytest.fixture
def csv_path(tmp_path) -> Path:
    return tracks_csv(tmp_path / "tracks.csv", 150, seed=2)


def train_result(csv_path: Path, model: str, *options: str) -> dict:
    """The JSON printed by ``train`` of ``model`` on ``csv_path`` with ``options``."""
    done = run_cli("train", "--data", str(csv_path), "--model", model, *options)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_train_prints_the_scores_as_json(csv_path):
    result = train_result(
        csv_path, "logreg", "--param", "C=0.5", "--test-size", "0.2", "--seed", "3", "--json"
    )
    for key in (
        "accuracy",
        "f1_macro",
        "precision_macro",
        "recall_macro",
        "log_loss",
        "n_train",
        "n_test",
        "fit_seconds",
    ):
        assert key in result
    assert (result["n_train"], result["n_test"]) == (120, 30)
    assert result["params"]["C"] == 0.5
    assert 0.5 < result["accuracy"] <= 1 and result["log_loss"] > 0


def test_train_with_a_grouped_split_and_chosen_genres(csv_path):
    result = train_result(
        csv_path,
        "knn",
        "--preset",
        "genre-factor",
        "--split",
        "group:artist",
        "--genres",
        "pop,rock",
        "--features",
        "danceability,energy",
    )
    assert result["n_train"] + result["n_test"] == 100
    assert result["params"]["n_neighbors"] == 12


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--model", "tree"), "unknown model 'tree'"),
        (("--model", "svm", "--param", "C"), "KEY=VALUE"),
        (("--model", "svm", "--param", "C=-1"), "between"),
        (("--model", "rf", "--param", "depth=3"), "no parameter 'depth'"),
        (("--model", "rf", "--genres", "pop,jazz"), "'jazz'"),
        (("--model", "rf", "--split", "group:label"), "group column 'label'"),
        (("--model", "rf", "--test-size", "1.5"), "--test-size"),
        (("--model", "rf", "--features", "loudness"), "loudness"),
    ],
)
def test_bad_input_exits_2_with_one_line(csv_path, args, message, capsys):
    from genre_core.cli.main import (
        main,  # in-process: the same path as `python -m`, without startup
    )

    assert main(["train", "--data", str(csv_path), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


def test_bad_input_from_the_command_line_exits_2(csv_path):
    done = run_cli("train", "--data", str(csv_path), "--model", "tree")
    assert done.returncode == 2 and done.stdout == ""
    assert (
        done.stderr == "error: unknown model 'tree'; choose one of: logreg, svm, knn, rf, "
        "xgboost, hgb, best.\n"
    )


def test_predict_writes_genres_and_probabilities(csv_path, tmp_path):
    unlabeled = tmp_path / "new.csv"
    make_tracks(n=12, seed=9).drop(columns="genre").to_csv(unlabeled, index=False)
    out = tmp_path / "predictions.csv"
    done = run_cli(
        "predict",
        "--data",
        str(csv_path),
        "--model",
        "hgb",
        "--param",
        "max_iter=20",
        "--input",
        str(unlabeled),
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["rows"] == 12 and summary["n_train"] == 150
    table = pd.read_csv(out)
    assert list(table.columns) == ["predicted_genre", "p_pop", "p_rap", "p_rock"]
    assert table["predicted_genre"].isin(["pop", "rap", "rock"]).all()


def test_predict_refuses_a_file_without_the_features(csv_path, tmp_path):
    unlabeled = tmp_path / "new.csv"
    make_tracks(n=12).drop(columns=["genre", "tempo"]).to_csv(unlabeled, index=False)
    done = run_cli(
        "predict",
        "--data",
        str(csv_path),
        "--model",
        "logreg",
        "--input",
        str(unlabeled),
        "--out",
        str(tmp_path / "p.csv"),
    )
    assert done.returncode == 2 and "tempo" in done.stderr
    done = run_cli(
        "predict", "--data", str(csv_path), "--model", "logreg", "--out", str(tmp_path / "p.csv")
    )
    assert done.returncode == 2 and "no unlabeled test file" in done.stderr


@pytest.mark.realdata
def test_predict_music_genre_11_in_the_kaggle_format(real_data_dir, tmp_path):
    out = tmp_path / "submission.csv"
    done = run_cli(
        "predict",
        "--data",
        "music-genre-11",
        "--model",
        "logreg",
        "--out",
        str(out),
        "--format",
        "submission",
    )
    assert done.returncode == 0, done.stderr
    ours = pd.read_csv(out)
    theirs = pd.read_csv(real_data_dir / "music-genre-11" / "submission.csv", nrows=2)
    assert list(ours.columns) == list(theirs.columns) and len(ours) == 7713
    assert ours.sum(axis=1).round(6).eq(1).all()


def test_train_adds_the_artist_profile_and_predict_refuses_it(csv_path, tmp_path):
    options = ("--data", str(csv_path), "--model", "logreg", "--artist-profile", "--no-log")
    grouped = run_cli("train", *options, "--split", "group:artist")
    assert grouped.returncode == 0, grouped.stderr
    assert json.loads(grouped.stdout)["accuracy"] > 0.5
    assert "profile" not in grouped.stderr  # grouped by the artist: honest, no warning
    shared = run_cli("train", *options, "--split", "random")
    assert shared.returncode == 0 and "The artist's profile" in shared.stderr
    done = run_cli(
        "predict", "--data", str(csv_path), "--model", "logreg", "--artist-profile",
        "--out", str(tmp_path / "p.csv"),
    )  # fmt: skip
    assert done.returncode == 2 and "drop --artist, --artist-profile" in done.stderr
