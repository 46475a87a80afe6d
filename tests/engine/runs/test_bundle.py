"""Issue 16, part 1: a stored run as a bundle (recipe, data hash, rows, seeds, versions, metrics,
model, rerun.py) that trains it again to the same accuracy, and bundles read back safely."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import warnings
import zipfile

import pytest

from conftest import ROOT, run_cli, tracks_csv
from genre_core import experiments
from genre_core.errors import DataError
from genre_core.runs import history
from genre_core.runs.bundle import FORMAT, BundleError, build_bundle, export_bundle
from genre_core.runs.bundle_import import import_bundle, read_bundle

SAMPLE = 1500


def _run(recipe: dict) -> tuple[str, float]:
    outcome = experiments.run(experiments.load_recipe(recipe))
    (run_id,) = outcome.run_ids
    return run_id, history.load_run(run_id).metrics["accuracy"]


def _rerun(folder, *args: str) -> subprocess.CompletedProcess:
    """`python rerun.py ARGS` of an unpacked bundle, in a clean working folder."""
    return subprocess.run(
        [sys.executable, str(folder / "rerun.py"), *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _recorded(out: str) -> float:
    line = next(line for line in out.splitlines() if line.startswith("accuracy:"))
    return float(line.split()[1])


def _check_files(folder, run_id: str, model_file: str) -> dict:
    manifest = json.loads((folder / "bundle.json").read_text())
    assert manifest["format"] == FORMAT and manifest["run"]["run_id"] == run_id
    names = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert {"recipe.json", "rows.json", "metrics.json", "predictions.csv", "rerun.py"} <= names
    assert f"model/{model_file}" in names
    assert not [n for n in names if n.endswith((".pkl", ".pickle", ".joblib", ".pt"))]
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    for package in ("python", "numpy", "pandas", "scikit-learn", "xgboost", "torch", "pyro-ppl"):
        assert manifest["versions"][package], package
    rows = json.loads((folder / "rows.json").read_text())
    parts = [set(rows[p]) for p in ("train", "validation", "test")]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    stored = history.load_run(run_id).predictions["row"].tolist()
    assert rows["test"] == stored  # the rows the run was tested on, in its order
    metrics = manifest["metrics"]
    low, high = metrics["accuracy_ci95"]
    assert low <= metrics["accuracy"] <= high
    return manifest


def test_a_classical_run_trains_again_from_its_bundle(store, real_data_dir, tmp_path):
    run_id, accuracy = _run(
        {"kind": "train", "data": {"source": "spotify-30k", "sample": SAMPLE},
         "models": [{"name": "logreg"}], "split": {"test": 0.3, "train": 0.7, "seed": 3}}
    )  # fmt: skip
    folder = export_bundle(run_id, tmp_path / "bundle")
    manifest = _check_files(folder, run_id, "model.skops")
    csv = real_data_dir / "spotify-30k" / "spotify_songs.csv"
    assert manifest["data"]["name"] == "spotify_songs.csv"
    assert manifest["data"]["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert manifest["seeds"] == {"split.seed": 3, "seed": 0}
    assert manifest["run"]["recipe"] == "stored"  # a train run logs its one model's recipe
    recipe = json.loads((folder / "recipe.json").read_text())
    assert recipe["data"]["sample"] == SAMPLE and recipe["models"][0]["name"] == "logreg"

    done = _rerun(folder)
    assert done.returncode == 0, done.stderr
    assert "SAME" in done.stdout and _recorded(done.stdout) == pytest.approx(accuracy, abs=1e-6)
    again = run_cli("run", str(folder / "recipe.json"), "--json", "--no-log", "--quiet")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["runs"][0]["accuracy"] == round(accuracy, 4)
    assert len(history.list_runs()) == 1  # neither rerun was logged


def test_a_network_trains_again_from_its_zipped_bundle(store, real_data_dir, tmp_path):
    run_id, accuracy = _run(
        {"kind": "net", "data": {"source": "spotify-30k", "sample": SAMPLE},
         "params": {"max_epochs": 2, "hidden": [32, 16]}, "seed": 5}
    )  # fmt: skip
    out = export_bundle(run_id, tmp_path / "net.zip")
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    manifest = _check_files(folder, run_id, "network.safetensors")
    assert manifest["run"]["recipe"] == "stored" and manifest["seeds"]["seed"] == 5
    assert len(json.loads((folder / "curves.json").read_text())) == 2
    done = _rerun(folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _recorded(done.stdout) == pytest.approx(accuracy, abs=1e-6)
    again = run_cli("run", str(folder / "recipe.json"), "--json", "--no-log", "--quiet")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["runs"][0]["accuracy"] == round(accuracy, 4)


# ---- runs on a file given by path (no real data needed) ---------------------------------------


@pytest.fixture
def csv_run(store, tmp_path):
    """A logistic regression trained on a synthetic CSV given by path, logged with its recipe:
    (run id, the CSV's path)."""
    path = tracks_csv(tmp_path / "mine.csv", 150, seed=4)
    run_id, _ = _run({"kind": "train", "data": {"source": str(path)},
                      "models": [{"name": "logreg", "params": {"C": 0.5}}]})  # fmt: skip
    return run_id, path


@pytest.fixture
def bundle_zip(csv_run) -> bytes:
    run_id, path = csv_run
    return build_bundle(run_id, data=path).zip_bytes()


def test_a_run_on_a_file_is_bundled_with_its_name_and_hash_not_its_path(csv_run, tmp_path):
    run_id, path = csv_run
    bundle = build_bundle(run_id, data=path)
    recipe = json.loads(bundle.files["recipe.json"])
    assert recipe["data"]["source"] == "mine.csv"  # no path of this machine
    assert recipe["data"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert recipe["models"][0]["params"]["C"] == 0.5
    folder = bundle.write(tmp_path / "b")
    (folder / "mine.csv").write_bytes(path.read_bytes())  # the data file beside the script
    done = _rerun(folder)
    assert done.returncode == 0 and "SAME" in done.stdout, done.stdout + done.stderr


def test_a_bayesian_fit_is_bundled_with_its_recipe_and_trains_again(store, tmp_path):
    path = tracks_csv(tmp_path / "mine.csv", 150, seed=6)
    quick = {"model": "logreg", "steps": 60, "learning_rate": 0.05}
    run_id, accuracy = _run({"kind": "bayes", "data": {"source": str(path)}, "n_train": 60,
                             "n_test": 30, "params": quick, "seed": 2})  # fmt: skip
    bundle = build_bundle(run_id, data=path)
    assert bundle.manifest["run"]["recipe"] == "stored"
    recipe = json.loads(bundle.files["recipe.json"])
    assert (recipe["n_train"], recipe["n_test"], recipe["seed"]) == (60, 30, 2)
    rows = json.loads(bundle.files["rows.json"])
    assert (len(rows["train"]), len(rows["test"])) == (60, 30)
    assert "model/posterior.safetensors" in bundle.files
    folder = bundle.write(tmp_path / "b")
    done = _rerun(folder, "--data", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _recorded(done.stdout) == pytest.approx(accuracy, abs=1e-6)


def test_rerun_refuses_a_data_file_that_differs(csv_run, tmp_path):
    run_id, path = csv_run
    folder = build_bundle(run_id, data=path).write(tmp_path / "b")
    changed = tmp_path / "other" / "mine.csv"
    changed.parent.mkdir()
    changed.write_text(path.read_text().replace("pop", "Pop", 1))
    done = _rerun(folder, "--data", str(changed))
    assert done.returncode == 2
    assert "is not the data file of this run" in done.stderr and "sha256" in done.stderr
    assert _rerun(folder).returncode == 2  # and none at all: says to give it
    assert "--data FILE" in _rerun(folder).stderr


def test_a_run_whose_data_changed_is_not_bundled(csv_run, tmp_path):
    run_id, path = csv_run
    (tmp_path / "changed").mkdir()
    other = tracks_csv(tmp_path / "changed" / "mine.csv", 141, seed=4)  # fewer rows
    with pytest.raises(DataError, match="does not draw the run's test rows"):
        build_bundle(run_id, data=other)
    path.rename(tmp_path / "moved.csv")  # the recipe's file is gone: give the file
    with pytest.raises(DataError, match="mine.csv"):
        build_bundle(run_id)


def test_the_cli_exports_and_imports_a_bundle(csv_run, tmp_path):
    run_id, path = csv_run
    out = tmp_path / "run.zip"
    done = run_cli("export", run_id, "--out", str(out), "--data", str(path))
    assert done.returncode == 0, done.stderr
    assert "rerun: python" in done.stdout and read_bundle(out.read_bytes())
    path.rename(tmp_path / "moved.csv")
    refused = run_cli("export", run_id, "--out", str(tmp_path / "x.zip"))
    assert refused.returncode == 2 and refused.stderr.startswith("error: run ")
    loaded = run_cli("import", str(out))
    assert loaded.returncode == 0, loaded.stderr
    assert len(history.list_runs()) == 2


def test_an_imported_bundle_joins_the_history_beside_its_run(csv_run, bundle_zip):
    run_id, _ = csv_run
    new = import_bundle(bundle_zip)
    runs = history.list_runs().set_index("run_id")
    assert runs.loc[new, "tags"] == "imported" and runs.loc[new, "source"] == "imported"
    assert runs.loc[new, "name"] == runs.loc[run_id, "name"]
    assert runs.loc[new, "test_hash"] == runs.loc[run_id, "test_hash"]  # pairs with its original
    assert runs.loc[new, "accuracy"] == runs.loc[run_id, "accuracy"]
    original, imported = history.load_run(run_id), history.load_run(new)
    assert imported.predictions.equals(original.predictions)
    assert imported.tags["genre_lab.bundle_of"] == run_id
    assert history.load_model(new).predict  # the skops model, read with the trusted types


def test_a_bundle_zipped_again_as_a_folder_is_read(bundle_zip):
    with zipfile.ZipFile(io.BytesIO(bundle_zip)) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(f"genre-lab-run/{name}", content)
    assert read_bundle(buffer.getvalue()).manifest["format"] == FORMAT


# ---- bundles that must be refused --------------------------------------------------------------


def _rezip(raw: bytes, change) -> bytes:
    """The bundle ``raw`` with its files changed by ``change(files)`` (a dict name -> bytes)."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    change(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _relist(files: dict) -> None:
    """Make the manifest list the files as they now are (a forger's bundle)."""
    manifest = json.loads(files["bundle.json"])
    manifest["files"] = {
        n: hashlib.sha256(c).hexdigest() for n, c in files.items() if n != "bundle.json"
    }
    files["bundle.json"] = json.dumps(manifest).encode()


def _twice(raw: bytes) -> bytes:
    """The bundle with a second metrics.json appended (zip allows it; a reader may take either)."""
    buffer = io.BytesIO(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        with zipfile.ZipFile(buffer, "a") as archive:
            archive.writestr("metrics.json", b'{"accuracy": 1.0}')
    return buffer.getvalue()


def _bomb(files: dict) -> None:
    files["model/model.json"] = b"0" * (50 * 2**20)


HOSTILE = {
    "not a zip": (lambda raw: b"PK\x03\x04 not really a zip", "not a zip file"),
    "zip slip": (lambda raw: _rezip(raw, lambda f: f.update({"../evil.py": b"x"})), "'..' part"),
    "absolute path": (lambda raw: _rezip(raw, lambda f: f.update({"/etc/cron.d/x": b"x"})),
                      "absolute"),
    "missing file": (lambda raw: _rezip(raw, lambda f: f.pop("predictions.csv")),
                     "lacks predictions.csv"),
    "pickle": (lambda raw: _rezip(raw, lambda f: (f.update({"model/model.pkl": b"\x80\x04."}),
                                                  _relist(f))), "pickle"),
    "unexpected file": (lambda raw: _rezip(raw, lambda f: (f.update({"run.sh": b"rm -rf /"}),
                                                           _relist(f))), "never does"),
    "tampered file": (lambda raw: _rezip(raw, lambda f: f.update({"metrics.json": b"{}"})),
                      "sha256 differs"),
    "zip bomb": (lambda raw: _rezip(raw, _bomb), "zip bomb"),
    "duplicate entry": (_twice, "twice"),
    "broken recipe": (lambda raw: _rezip(raw, lambda f: (f.update({"recipe.json": b'{"kind":"x"}'}),
                                                         _relist(f))), "recipe.json: kind"),
    "too many files": (lambda raw: _rezip(raw, lambda f: f.update(
        {f"model/m{i}.json": b"{}" for i in range(80)})), "at most 64"),
}  # fmt: skip


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_or_broken_bundle_is_refused_with_a_sentence(bundle_zip, case):
    make, phrase = HOSTILE[case]
    before = len(history.list_runs())
    with pytest.raises(BundleError, match=phrase) as raised:
        import_bundle(make(bundle_zip))
    assert "Traceback" not in str(raised.value)
    assert len(history.list_runs()) == before  # nothing stored


def test_a_run_logged_without_its_recipe_gets_one_rebuilt_and_trains_again(store, tmp_path):
    """Runs logged before recipes were stored with every run: the recipe is rebuilt from the
    run's parameters, and accepted only because it draws the same test rows."""
    path = tracks_csv(tmp_path / "mine.csv", 150, seed=4)
    recipe = {"kind": "train", "data": {"source": str(path)}, "log": False,
              "models": [{"name": "logreg", "params": {"C": 0.5}}]}  # fmt: skip
    result = experiments.run(experiments.load_recipe(recipe)).result.runs[0].result
    event = history.log_event(result, source="cli", dataset="mine.csv", recipe=None)
    bundle = build_bundle(event["run_id"], data=path)
    assert bundle.manifest["run"]["recipe"] == "rebuilt from the run's parameters"
    folder = bundle.write(tmp_path / "b")
    done = _rerun(folder, "--data", str(path))
    assert done.returncode == 0 and "SAME" in done.stdout, done.stdout + done.stderr
