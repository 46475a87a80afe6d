"""The `train` and `predict` subcommands; :func:`register` adds them to the main parser.

Both build a :class:`~genre_core.experiments.train.TrainSpec` from their options: `train` runs
it through :func:`genre_core.experiments.run`, `predict` fits its model on every labelled row.
Both print one JSON object on stdout. Bad input raises :class:`DataError`, which the main
parser turns into ``error: ...`` and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from genre_core import experiments
from genre_core.data.audit import split_note
from genre_core.data.csvio import read_file_bytes
from genre_core.data.csvsafe import write_csv
from genre_core.data.dataset import Dataset, check_class_count, derive_columns, load_dataset
from genre_core.data.features import FEATURE_SETS
from genre_core.data.preprocess import IMPUTERS, SCALERS
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.fitting import fit_all
from genre_core.experiments.predict import (
    dataset_test_file,
    predict_table,
    read_unlabeled,
    submission_table,
)
from genre_core.experiments.recipe import DataSpec, resolve_split
from genre_core.experiments.train import ModelChoice, TrainSpec, prepared
from genre_core.models.classical import MODELS, get_model, resolve_params
from genre_core.params import parse_assignments
from genre_core.runs.history import store_failures


def register(subparsers) -> None:
    """Add ``train`` and ``predict`` to the main parser's subcommands."""
    train = subparsers.add_parser("train", help="train one model, print its test scores as JSON")
    _common(train)
    train.add_argument(
        "--split",
        default="group:track",
        metavar="random|group:COLUMN",
        help="random (stratified) or grouped by a column; group:track (the default) keeps "
        "copies of a song (its id, or its title and artist) on one side, stratified where no "
        "song repeats; group:artist and group:id name the detected columns",
    )
    train.add_argument(
        "--test-size",
        type=float,
        default=0.3,
        metavar="F",
        help="share of rows held out for testing (default 0.3)",
    )
    train.add_argument("--json", action="store_true", help="print one JSON object (the default)")
    train.add_argument(
        "--no-log",
        dest="log_run",
        action="store_false",
        help="do not save the run to the run history (data/runs or $MLFLOW_TRACKING_URI)",
    )
    train.set_defaults(func=run_train)

    predict = subparsers.add_parser(
        "predict", help="train on all labelled rows, predict an unlabeled file, write a CSV"
    )
    _common(predict)
    predict.add_argument(
        "--input", metavar="CSV", help="the unlabeled file (default: the dataset's own test file)"
    )
    predict.add_argument("--out", required=True, metavar="FILE", help="where to write the CSV")
    predict.add_argument(
        "--format",
        choices=("table", "submission"),
        default="table",
        help="table: predicted genre and probabilities; submission: the "
        "music-genre-11 Kaggle format",
    )
    predict.set_defaults(func=run_predict)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="a known dataset name or a CSV path")
    parser.add_argument("--label", help="the label column (detected when omitted)")
    parser.add_argument("--model", required=True, help=f"one of {', '.join(MODELS)}")
    parser.add_argument("--preset", help="named settings from a seed report (e.g. development)")
    parser.add_argument(
        "--param", action="append", metavar="KEY=VALUE", help="a hyperparameter; repeat for several"
    )
    parser.add_argument(
        "--features",
        default="numeric",
        help="'numeric' (every detected numeric feature), 'text' (title embeddings), "
        "'numeric+text', or a comma-separated list of numeric columns",
    )
    parser.add_argument(
        "--artist",
        action="store_true",
        help="use the artist as a feature (honest only with --split group:artist)",
    )
    parser.add_argument(
        "--artist-profile",
        action="store_true",
        help="add the artist's profile, each numeric feature's mean over the artist's songs "
        "and their count (honest only with --split group:artist)",
    )
    parser.add_argument("--genres", help="comma-separated genres to keep (default: all)")
    parser.add_argument("--imputer", default="median", help=f"one of {', '.join(IMPUTERS)}")
    parser.add_argument("--scaler", default="standard", help=f"one of {', '.join(SCALERS)}")
    parser.add_argument("--seed", type=int, default=0)


def train_spec(args: argparse.Namespace, dataset: Dataset, split: SplitSpec) -> TrainSpec:
    """The recipe the options of `train` and `predict` describe (checked).

    Raises
    ------
    DataError
        Naming the option at fault.
    """
    if args.imputer not in IMPUTERS:
        raise DataError(f"unknown imputer '{args.imputer}'; choose one of {', '.join(IMPUTERS)}.")
    if args.scaler not in SCALERS:
        raise DataError(f"unknown scaler '{args.scaler}'; choose one of {', '.join(SCALERS)}.")
    given = parse_assignments(args.param)
    resolve_params(args.model, given, args.preset)  # a bad value names the parameter
    params = {k: get_model(args.model).param(k).parse(v, args.model) for k, v in given.items()}
    feature_set = args.features.strip()
    features: tuple[str, ...] = ()
    if feature_set not in FEATURE_SETS:
        feature_set = "numeric"
        features = tuple(f.strip() for f in args.features.split(",") if f.strip())
        unknown = [f for f in features if f not in dataset.frame.columns]
        if unknown:
            raise DataError(
                f"feature column(s) {', '.join(unknown)} not in {dataset.name}; "
                f"the numeric columns are: {', '.join(dataset.numeric_columns)}."
            )
    data = DataSpec(
        source=args.data,
        label=args.label,
        features=features,
        genres=tuple(g.strip() for g in (args.genres or "").split(",") if g.strip()),
    )
    spec = TrainSpec(
        data,
        split,
        (ModelChoice(args.model, args.preset, params),),
        feature_set=feature_set,
        artist=bool(args.artist),
        artist_profile=bool(args.artist_profile),
        imputer=args.imputer,
        scaler=args.scaler,
        seed=args.seed,
        log=bool(getattr(args, "log_run", False)),
    )
    spec.check()
    return spec


def _split(args: argparse.Namespace) -> SplitSpec:
    if not 0 < args.test_size < 1:
        raise DataError(f"--test-size must be between 0 and 1, not {args.test_size}.")
    method, _, column = args.split.partition(":")
    if method == "random" and not column:
        return SplitSpec.of(test=args.test_size, seed=args.seed)
    if method != "group" or not column:
        raise DataError(f"--split must be 'random' or 'group:COLUMN', not '{args.split}'.")
    return SplitSpec.of("group", column, test=args.test_size, seed=args.seed)


def _load(args: argparse.Namespace) -> Dataset:
    get_model(args.model)  # an unknown model fails before any data is read
    dataset = load_dataset(args.data, label=args.label)
    # A known raw table (hundreds of genres, meant to be merged) loads with a warning; a model
    # is only fitted on at most MAX_CLASSES of them.
    kept = [g for g in (args.genres or "").split(",") if g.strip()]
    check_class_count(len(kept) or dataset.labels.nunique(), dataset.roles.label)
    return dataset


def run_train(args: argparse.Namespace) -> int:
    """Train on the training part, evaluate on the test part, print the scores as JSON."""
    dataset = _load(args)
    spec = train_spec(args, dataset, _split(args))
    outcome = experiments.run(spec, dataset=dataset, source="cli")
    result = outcome.result.runs[0].result
    split = resolve_split(spec.split, dataset)
    why = split_note(split, dataset)
    print(
        json.dumps(
            {"data": dataset.name, **result.summary(), "split": split.text, "split_why": why},
            indent=2,
        )
    )
    failures = store_failures(outcome.warnings)
    for warning in outcome.warnings:
        if warning not in failures:
            print(f"warning: {warning}", file=sys.stderr)
    for run_id in outcome.run_ids:
        print(f"note: saved to the run history as run {run_id}.", file=sys.stderr)
    for failure in failures:
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


def run_predict(args: argparse.Namespace) -> int:
    """Fit on every labelled row, predict the unlabeled file, write the CSV, print a summary."""
    dataset = _load(args)
    spec = train_spec(args, dataset, SplitSpec())
    if spec.feature_set != "numeric" or spec.artist or spec.artist_profile:
        raise DataError(
            "predict uses numeric features only; drop --artist, --artist-profile and "
            "--features text."
        )
    if args.input:
        path = Path(args.input)
        if not path.is_file():
            raise DataError(f"--input {args.input} is not a file.")
        raw, name = read_file_bytes(path), path.name
    else:
        raw, name = dataset_test_file(dataset.spec)
    unlabeled = derive_columns(read_unlabeled(raw, name, dataset.spec))
    table = prepared(spec, dataset)
    config = spec.configs(table)[0]
    pipeline, n_train, seconds = fit_all(table.frame, table.roles.label, config)
    predictions = predict_table(pipeline, unlabeled, config.features)
    if args.format == "submission":
        if dataset.spec is None or not dataset.spec.class_names:
            raise DataError(
                "--format submission is the music-genre-11 format; use --data music-genre-11."
            )
        out_table = submission_table(predictions, dataset.spec.class_names)
    else:
        out_table = predictions
    out = Path(args.out)
    try:
        write_csv(out_table, out, index=False)
    except OSError as error:
        raise DataError(f"cannot write {out}: {error.strerror}.") from None
    counts = predictions["predicted_genre"].value_counts()
    print(
        json.dumps(
            {
                "data": dataset.name,
                "model": config.model,
                "params": config.params,
                "input": name,
                "rows": len(out_table),
                "out": str(out),
                "format": args.format,
                "n_train": n_train,
                "fit_seconds": round(seconds, 3),
                "predicted_genres": {str(k): int(v) for k, v in counts.items()},
            },
            indent=2,
        )
    )
    return 0
