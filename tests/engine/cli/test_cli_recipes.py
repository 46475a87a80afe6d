"""CLI parity: `genre-lab spec KIND` prints a recipe of every kind from the schema's options,
`genre-lab run` runs it and prints the result as JSON; a bad recipe exits 2 naming the field."""

from __future__ import annotations

import json

import pytest

from conftest import make_tracks, spec_and_run
from genre_core.cli import main

DATA = ["--label", "genre", "--features", "danceability,energy,tempo"]
KINDS = {
    "train": ["--models", "logreg,knn", "--split", "group:track_artist", "--test", "0.3"],
    "grid": ["--model", "knn", "--grid", '{"n_neighbors": [3, 5]}', "--folds", "2"],
    "net": ["--preset", "development", "--epochs", "2", "--split", "group:track_artist"],
    "transfer": [
        "--source-genres",
        "pop,rock,rap",
        "--new-genre",
        "edm",
        "--epochs",
        "2",
        "--source-epochs",
        "2",
        "--compare",
        "fine-tune",
    ],  # fmt: skip
    "bayes": ["--model", "logreg", "--steps", "30", "--n-train", "60", "--n-test", "60"],
    "bayes-tables": ["--table", "curve", "--sizes", "60", "--held-out", "100"],
    "merge-curve": ["--model", "logreg", "--min-genres", "2"],
    "search": ["--model", "knn", "--trials", "2", "--folds", "2", "--param", "n_neighbors=3:9"],
}


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "tracks.csv"
    make_tracks(240, genres=("pop", "rock", "rap", "edm")).to_csv(path, index=False)
    return str(path)


def spec(kind, csv_path, capsys, *extra) -> dict:
    code = main(["spec", kind, "--data", csv_path, *DATA, *KINDS[kind], *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_has_a_recipe_the_cli_runs(kind, csv_path, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path / "cache"))  # a study store of its own
    recipe, summary = spec_and_run(capsys, tmp_path, kind, "--data", csv_path, *DATA, *KINDS[kind])
    assert recipe["kind"] == kind and recipe["data"]["source"] == csv_path
    assert summary["kind"] == kind
    if kind == "bayes-tables":
        assert summary["table"] == "curve" and summary["rows"], summary
    elif kind == "grid":
        assert summary["finished"] == summary["combinations"] == 2 and summary["best"]
    elif kind != "search":
        run = summary["runs"][0]
        assert 0 <= run["accuracy"] <= 1 and len(run["accuracy_ci95"]) == 2, run


def test_the_split_option_is_the_same_for_every_kind(csv_path, capsys):
    recipe = spec("net", csv_path, capsys)
    assert recipe["split"]["method"] == "group"
    assert recipe["split"]["group_column"] == "track_artist"
    assert recipe["params"]["max_epochs"] == 2


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda r: r.update(kind="nope"), "kind"),
        (lambda r: r["split"].update(test=2), "split"),
        (lambda r: r["params"].update(max_epochs=-1), "max_epochs"),
        (lambda r: r.update(colour="red"), "colour"),
    ],
)
def test_a_bad_recipe_exits_2_with_one_line_naming_the_field(change, field, csv_path, capsys,
                                                             tmp_path):  # fmt: skip
    recipe = spec("net", csv_path, capsys)
    change(recipe)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(recipe))
    assert main(["run", str(path)]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and field in lines[0], err


def test_a_bad_option_names_it(csv_path, capsys):
    assert main(["spec", "net", "--data", csv_path, "--epochs", "many"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "max_epochs" in err


def test_the_sample_option_goes_into_the_recipe_of_every_kind(csv_path, capsys):
    assert spec("train", csv_path, capsys, "--sample", "50")["data"]["sample"] == 50
    assert spec("merge-curve", csv_path, capsys, "--sample", "60")["data"]["sample"] == 60
    assert spec("train", csv_path, capsys, "--sample", "0")["data"]["sample"] is None  # 0: all
    assert main(["spec", "train", "--data", csv_path, *DATA, "--sample", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: data.sample: ") and "-1" in err
