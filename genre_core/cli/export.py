"""`genre-lab export RUN_ID --out DIR|ZIP` writes a stored run as a bundle; `genre-lab import
BUNDLE.zip` adds a bundle to the run history (see :mod:`genre_core.runs.bundle`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from genre_core.errors import DataError
from genre_core.runs.bundle import RERUN, build_bundle
from genre_core.runs.bundle_import import MAX_BUNDLE_BYTES, import_bundle


def register(subparsers) -> None:
    export = subparsers.add_parser(
        "export",
        help="a stored run as a bundle: recipe, data hash, rows, seeds, versions, metrics, "
        "model and a rerun.py",
        description="Write a stored run (its id: `genre-lab run --json`, or the Compare page) "
        "as a bundle that trains it again elsewhere with `python rerun.py`.",
    )
    export.add_argument("run_id", help="the run's id in the run history")
    export.add_argument("--out", required=True, help="a new folder, or a file ending in .zip")
    export.add_argument(
        "--data",
        help="the run's data file, when this machine cannot find it (a run trained on a CSV "
        "given by path)",
    )
    export.set_defaults(func=cmd_export)

    load = subparsers.add_parser(
        "import", help="add a bundle (.zip) to the run history, tagged 'imported'"
    )
    load.add_argument("bundle", help="a bundle made by `export` or a page's Download bundle")
    load.set_defaults(func=cmd_import)


def cmd_export(args: argparse.Namespace) -> int:
    bundle = build_bundle(args.run_id, args.data)
    out = bundle.write(args.out)
    data = bundle.manifest["data"]
    print(f"wrote the bundle of run {args.run_id} to {out} ({len(bundle.files)} files)")
    print(f"data: {data['name']}, sha256 {data['sha256']}")
    where = out if out.is_dir() else "the unzipped folder"
    print(f"rerun: python {Path(str(where)) / RERUN}   (in Genre Lab's environment)")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.bundle)
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise DataError(
                f"{path.name} is {size / 2**20:,.0f} MB; a bundle is at most "
                f"{MAX_BUNDLE_BYTES // 2**20} MB."
            )
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}.") from None
    run_id = import_bundle(raw)
    print(f"imported {path.name} as run {run_id} (tagged imported)")
    return 0
