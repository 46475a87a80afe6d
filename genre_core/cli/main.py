"""`python -m genre_core` (also `genre-lab`): datasets, describe, validate, and the model commands.

Bad input exits 2 with one line `error: ...` on stderr; no input ever produces a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from genre_core.cli.export import register as register_export
from genre_core.cli.recipes import register as register_recipes
from genre_core.cli.search import register as register_search
from genre_core.cli.train import register
from genre_core.data import registry
from genre_core.data.audit import audit
from genre_core.data.dataset import Dataset, load_dataset
from genre_core.data.fetch import find_local
from genre_core.data.shortcuts import find_shortcuts
from genre_core.errors import DataError
from genre_core.runs.store import quiet_logs


def _download_progress(done: int, total: int | None) -> None:
    if total:
        sys.stderr.write(f"\rdownloading {done / total:6.1%} of {total / 1e6:.1f} MB")
    else:
        sys.stderr.write(f"\rdownloading {done / 1e6:.1f} MB")
    sys.stderr.flush()


def load(args: argparse.Namespace) -> Dataset:
    return load_dataset(args.data, label=args.label, progress=_download_progress)


def cmd_datasets(args: argparse.Namespace) -> int:
    rows = []
    for spec in registry.DATASETS.values():
        found = find_local(spec.directory, spec.file)
        rows.append(
            {
                "name": spec.name,
                "title": spec.title,
                "label": spec.label,
                "local": str(found.path) if found else None,
                "verified": found.verified if found else None,
                "downloadable": spec.file.url is not None,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        where = row["local"] or (
            "not local; downloads on first use"
            if row["downloadable"]
            else "not local; no public download"
        )
        print(f"{row['name']:<20} {row['title']}\n{'':<20} {where}")
    return 0


def describe(dataset: Dataset) -> dict:
    """The summary `describe --json` prints."""
    report = audit(dataset)
    counts = dataset.class_counts
    return {
        "name": dataset.name,
        "rows": int(len(dataset.frame)),
        "columns": [str(c) for c in dataset.frame.columns],
        "label": dataset.roles.label,
        "classes": {str(k): int(v) for k, v in counts.items()},
        "features": list(dataset.roles.features),
        "text_columns": list(dataset.roles.text),
        "group_columns": list(dataset.roles.groups),
        "audit": {
            "key": report.key,
            "key_text": report.key_text,
            "unique_ids": report.unique_ids,
            "duplicate_ids": report.duplicate_ids,
            "conflicting_ids": report.conflicting_ids,
            "duplicate_rows": report.duplicate_rows,
            "expected_leaked_test_rows": round(report.expected_leaked_test_rows, 1),
            "accuracy_ceiling": round(report.accuracy_ceiling, 4),
            "shortcuts": [finding.as_dict() for finding in find_shortcuts(dataset)],
        },
        "origin": dataset.origin,
        "verified": dataset.verified,
        "warnings": list(dataset.warnings),
    }


def cmd_describe(args: argparse.Namespace) -> int:
    summary = describe(load(args))
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return 0
    print(f"{summary['name']}: {summary['rows']:,} rows, label '{summary['label']}'")
    for genre, count in summary["classes"].items():
        print(f"  {genre:<24} {count:>8,}")
    print("features: " + ", ".join(summary["features"]))
    dataset_audit = summary["audit"]
    print(
        f"audit (a song is {dataset_audit['key_text']}): "
        f"{dataset_audit['duplicate_ids']:,} repeated songs, "
        f"{dataset_audit['conflicting_ids']:,} under several genres, "
        f"{dataset_audit['duplicate_rows']:,} duplicate feature rows, "
        f"accuracy ceiling {dataset_audit['accuracy_ceiling']:.2%}"
    )
    for finding in dataset_audit["shortcuts"]:
        print(f"shortcut ({finding['kind']}, {finding['feature']}): {finding['detail']}")
    for warning in summary["warnings"]:
        print(f"note: {warning}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    dataset = load(args)
    counts = dataset.class_counts
    print(
        f"ok: {dataset.name}: {len(dataset.frame):,} rows, {len(counts)} genres in "
        f"'{dataset.roles.label}', {len(dataset.roles.features)} numeric features"
    )
    for warning in dataset.warnings:
        print(f"note: {warning}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genre-lab", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser("datasets", help="the known datasets and where they are")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_datasets)

    for name, func, text in (
        ("describe", cmd_describe, "rows, genres, features and the duplicate audit"),
        ("validate", cmd_validate, "check a dataset or CSV file; exit 2 naming the problem"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--data", required=True, help="a known dataset name or a CSV path")
        sub.add_argument("--label", help="the label column (detected when omitted)")
        if name == "describe":
            sub.add_argument("--json", action="store_true", help="print one JSON object")
        sub.set_defaults(func=func)
    register_recipes(commands)
    register(commands)
    register_search(commands)
    register_export(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    quiet_logs()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse already printed its usage message
        return int(stop.code or 0)
    try:
        return args.func(args)
    except SystemExit as stop:  # a sub-parser (spec KIND) printed its usage or help
        return int(stop.code or 0)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader (head, less) closed the pipe: nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # a bug, not bad input: still no traceback for the user
        print(
            f"error: internal error ({type(error).__name__}: {error}); please report it",
            file=sys.stderr,
        )
        return 1
