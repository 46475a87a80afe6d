"""The `search` and `search-worker` subcommands; :func:`register` adds them to the main parser.

``search`` creates a study (or reopens one of the same recipe) and runs trials; any number of
``search-worker --study NAME --storage URL`` processes, here or on other machines, join it.
Both print one JSON object on stdout; bad input exits 2 with ``error: ...``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments import search
from genre_core.experiments.recipe import DataSpec
from genre_core.params import parse_assignments
from genre_core.runs.history import store_failures
from genre_core.runs.progress import TaskState


def register(subparsers) -> None:
    """Add ``search`` and ``search-worker`` to the main parser's subcommands."""
    create = subparsers.add_parser(
        "search", help="create a hyperparameter study (or reopen it) and run trials"
    )
    create.add_argument("--data", required=True, help="a known dataset name or a CSV path")
    create.add_argument("--label", help="the label column (detected when omitted)")
    create.add_argument("--model", required=True, help=f"one of {', '.join(search.model_names())}")
    create.add_argument("--study", required=True, help="the study's name")
    create.add_argument("--storage", help="a SQLAlchemy URL (default: SQLite under data/)")
    create.add_argument(
        "--space",
        default="default",
        metavar="|".join(search.SPACES),
        help="default: the model's own ranges; development: Table 4's 192-configuration "
        "grid (networks)",
    )
    create.add_argument(
        "--param", action="append", metavar="KEY=VALUE", help="fix a hyperparameter (repeat)"
    )
    create.add_argument(
        "--choices",
        action="append",
        metavar="KEY=V1|V2|...",
        help="search these values of a hyperparameter (repeat); e.g. lr=0.01|0.001 or "
        "hidden=64,32|128,16",
    )
    create.add_argument(
        "--range",
        action="append",
        metavar="KEY=LOW:HIGH[:log]",
        help="search a number range of a hyperparameter (repeat), e.g. C=0.001:100:log",
    )
    create.add_argument("--features", help="comma-separated numeric columns (default: all)")
    create.add_argument("--genres", help="comma-separated genres to keep (default: all)")
    create.add_argument("--group", metavar="COLUMN", help="grouped folds by this column")
    create.add_argument("--objective", default="accuracy", help=", ".join(search.OBJECTIVES))
    create.add_argument(
        "--weights", default="0.5,1", metavar="W1,W2", help="the Genre Factor's weights"
    )
    create.add_argument("--folds", type=int, default=3, help="CV folds; 1: an 80/20 hold-out")
    create.add_argument(
        "--holdout", default="0.2", help="the share a single hold-out (--folds 1) scores on"
    )
    create.add_argument("--sampler", default="tpe", help=", ".join(search.SAMPLERS))
    create.add_argument("--pruner", default="median", help=", ".join(search.PRUNERS))
    create.add_argument("--trials", type=int, default=30, help="the study's total trials")
    create.add_argument("--rows", type=int, help="a fixed stratified sample of this many rows")
    create.add_argument("--seed", type=int, default=0)
    create.add_argument("--create-only", action="store_true", help="create the study, run no trial")
    _worker_options(create)
    create.set_defaults(func=run_search)

    worker = subparsers.add_parser(
        "search-worker", help="join a stored study from this process and run its trials"
    )
    worker.add_argument("--study", required=True, help="the study's name")
    worker.add_argument("--storage", help="a SQLAlchemy URL (default: SQLite under data/)")
    worker.add_argument(
        "--trials", type=int, help="run at most this many trials here (default: until done)"
    )
    _worker_options(worker)
    worker.set_defaults(func=run_worker)


def _worker_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--heartbeat",
        type=float,
        default=search.HEARTBEAT_SECONDS,
        metavar="SECONDS",
        help=f"how often a running trial says it is alive (default {search.HEARTBEAT_SECONDS:g}); "
        "the trial of a worker silent for three times this (default "
        f"{3 * search.HEARTBEAT_SECONDS:g} s) is marked failed and retried once by the others. "
        "A configuration already finished or running in the study is not trained again",
    )
    parser.add_argument("--timeout", type=float, help="stop starting trials after SECONDS")


def _spec(args: argparse.Namespace) -> search.SearchSpec:
    """The recipe of ``search``'s options: every value read by the schema's one parser."""
    values = parse_assignments(args.param)  # fixed hyperparameters
    for option, pattern in (("choices", "KEY=V1|V2 (e.g. lr=0.01|0.001)"),
                            ("range", "KEY=LOW:HIGH[:log] (e.g. C=0.001:100:log)")):  # fmt: skip
        for item in getattr(args, option) or []:
            key, sep, text = item.partition("=")
            if not sep or not key.strip() or not text.strip():
                raise DataError(f"--{option} '{item}' is not of the form {pattern}.")
            if option == "range" and ":" not in text:
                raise DataError(f"--{option} '{item}' is not of the form {pattern}.")
            values[key.strip()] = text if option == "range" or "|" in text else f"{text}|"
    try:
        w1, w2 = (w.strip() for w in args.weights.split(","))
    except ValueError:
        raise DataError(
            f"--weights must be two numbers like 0.5,1, not '{args.weights}'."
        ) from None
    settings = {
        "model": args.model, "objective": args.objective, "w1": w1, "w2": w2,
        "folds": args.folds, "sampler": args.sampler, "pruner": args.pruner,
        "n_trials": args.trials, "rows": args.rows, "study": args.study,
        "storage": args.storage, "holdout": args.holdout, "train_best": "no", "seed": args.seed,
    }  # fmt: skip
    if args.create_only:
        settings["trials_here"] = 0
    data = DataSpec(
        source=args.data,
        label=args.label,
        features=_columns(args.features),
        genres=_columns(args.genres),
    )
    default = search.SearchSpec.default_split()
    method = f"group:{args.group}" if args.group else "stratified"
    split = SplitSpec.parse(
        method, test=default.test, validation=default.validation, seed=args.seed
    )
    texts = {k: str(v) for k, v in settings.items() if v is not None}
    return search.SearchSpec.from_options(data, split, {**values, **texts}, preset=args.space)


def _columns(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (text or "").split(",") if c.strip())


def _run(spec: search.SearchSpec, args: argparse.Namespace) -> int:
    if spec.model == search.NETWORK:
        from genre_core.models.networks import configure_threads

        configure_threads(1)  # a small MLP gains nothing from more; leave cores to other workers

    def progress(event: dict) -> None:
        if event.get("stage") != "trial":
            return
        value = "-" if event["value"] is None else f"{event['value']:.4f}"
        reason = f" ({event['error']})" if event.get("error") else ""
        print(
            f"trial {event['number']}: {event['state']} {value}{reason}",
            file=sys.stderr,
            flush=True,
        )

    task = TaskState(progress)
    outcome = search.run(spec, task, heartbeat=args.heartbeat, timeout=args.timeout)
    summary = {k: v for k, v in outcome.summary.items() if k not in ("kind", "runs")}
    print(json.dumps(summary, indent=2, default=str))
    failures = store_failures(outcome.warnings)
    for failure in failures:  # the trained best could not be kept in the run history
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


def run_search(args: argparse.Namespace) -> int:
    """Create (or reopen) a study and run trials in this process."""
    return _run(_spec(args), args)


def run_worker(args: argparse.Namespace) -> int:
    """Join a stored study and run its trials until the study's budget is spent."""
    if args.trials is not None and args.trials < 1:
        raise DataError("--trials must be at least 1.")
    _, spec = search.load_study(args.study, args.storage)
    spec = replace(spec, study=args.study, storage=args.storage, trials_here=args.trials)
    return _run(spec, args)
