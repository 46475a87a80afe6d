"""Train this bundle's run again through genre_core and compare its accuracy with the one
recorded when it was first trained.

    python rerun.py                   # the data file as genre_core finds it (GENRE_DATA_DIR, ...)
    python rerun.py --data FILE.csv   # or this file

Run it in Genre Lab's environment (its checkout installed: pip install -r requirements.txt).
The data file must be the run's own: its sha256 is compared with bundle.json's first.
Exit status: 0 the same accuracy, 1 a different one, 2 the data file is missing or differs
or the recipe cannot run here.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def data_file(data, manifest, recipe):
    """The data file to train on: --data, else a file of the bundle's data name beside this
    script or in the current folder, else a known dataset as genre_core finds it."""
    from genre_core.data.fetch import find_local
    from genre_core.data.registry import DATASETS

    if data:
        return Path(data)
    name = manifest["data"]["name"]
    for folder in (HERE, Path.cwd()):
        if (folder / name).is_file():
            return folder / name
    source = recipe["data"]["source"]
    if source in DATASETS:
        spec = DATASETS[source]
        found = find_local(spec.directory, spec.file)
        return found.path if found else None
    return None


def use_file(path, recipe, tmp):
    """Point the recipe at ``path``: a known dataset through a data folder holding only it (so
    genre_core reads it exactly as it read the original), any other file by its path."""
    from genre_core.data.registry import DATASETS

    source = recipe["data"]["source"]
    if source in DATASETS:
        spec = DATASETS[source]
        folder = Path(tmp) / spec.directory
        folder.mkdir()
        (folder / spec.file.name).symlink_to(path.resolve())
        os.environ["GENRE_DATA_DIR"] = tmp
    else:
        recipe["data"]["source"] = str(path.resolve())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="the data file (default: found as genre_core finds it)")
    parser.add_argument("--log", action="store_true", help="keep the new run in the run history")
    args = parser.parse_args(argv)
    try:
        from genre_core import experiments
        from genre_core.data.fetch import sha256_of
        from genre_core.errors import DataError
        from genre_core.runs.bundle import outcome_accuracy
    except ImportError as error:
        print(
            f"error: genre_core cannot be imported ({error}); run this in Genre Lab's environment.",
            file=sys.stderr,
        )
        return 2
    manifest = json.loads((HERE / "bundle.json").read_text())
    recipe = json.loads((HERE / "recipe.json").read_text())
    expected = manifest["data"]["sha256"]
    path = data_file(args.data, manifest, recipe)
    if path is None or not path.is_file():
        print(
            f"error: the data file {manifest['data']['name']} is not here; give it with "
            "--data FILE.",
            file=sys.stderr,
        )
        return 2
    found = sha256_of(path)
    if expected and found != expected:
        print(
            f"error: {path} is not the data file of this run: its sha256 is {found}, the "
            f"run's {expected}. The accuracy would not be comparable; give the run's own "
            "file with --data FILE.",
            file=sys.stderr,
        )
        return 2
    print(
        f"data: {path} (sha256 {found[:12]}..., {'as recorded' if expected else 'none recorded'})"
    )
    with tempfile.TemporaryDirectory(prefix="genre-rerun-") as tmp:
        use_file(path, recipe, tmp)
        if "log" in recipe:
            recipe["log"] = args.log
        name = "".join(c for c in str(manifest["run"]["name"]) if c.isprintable())
        try:
            spec = experiments.load_recipe(recipe)
            print(f"training: {name} ({spec.kind}), seeds {manifest['seeds']}")
            accuracy = outcome_accuracy(experiments.run(spec))
        except DataError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    recorded = manifest["metrics"]["accuracy"]
    low, high = manifest["metrics"]["accuracy_ci95"]
    print(f"accuracy: {accuracy:.6f}")
    print(
        f"recorded: {recorded:.6f} (95% interval {low:.4f} to {high:.4f}), "
        f"run {manifest['run']['run_id']}"
    )
    if abs(accuracy - recorded) > 1e-9:
        print("DIFFERENT: the rerun does not give the recorded accuracy.")
        return 1
    print("SAME: the rerun gives the recorded accuracy.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
