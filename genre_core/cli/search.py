"""The `search` and `search-worker` subcommands; :func:`register` adds them to the main parser.

``search`` creates a study (or reopens one of the same recipe) and runs trials; any number of
``search-worker --study NAME --storage URL`` processes, here or on other machines, join it.
Both print one JSON object on stdout; bad input exits 2 with ``error: ...``.
"""

from __future__ import annotations

import argparse
import json
import sys

from genre_core.errors import DataError
from genre_core.experiments import search
from genre_core.params import parse_assignments


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
        metavar="default|development",
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
        help="how often a running trial says it is alive; a trial silent for three times "
        "this is marked failed and retried once",
    )
    parser.add_argument("--timeout", type=float, help="stop starting trials after SECONDS")


def _spec(args: argparse.Namespace) -> search.SearchSpec:
    if args.model not in search.model_names():
        raise DataError(
            f"unknown model '{args.model}'; choose one of: {', '.join(search.model_names())}."
        )
    if args.space == "development":
        if args.model != search.NETWORK:
            raise DataError("--space development is the network grid: use --model net.")
        space = search.grid_space(search.DEVELOPMENT_GRID)
    elif args.space == "default":
        space = search.default_space(args.model)
    else:
        raise DataError(f"--space must be 'default' or 'development', not '{args.space}'.")
    base = parse_assignments(args.param)
    if args.model != search.NETWORK:
        from genre_core.models.classical import get_model

        spec = get_model(args.model)
        base = {k: spec.param(k).parse(v, args.model) for k, v in base.items()}
        space = tuple(d for d in space if d.name not in base)
    else:
        base = {k: _net_value(k, v) for k, v in base.items()}
        space = tuple(d for d in space if d.name not in base)
    space = _custom_dims(args, space)
    try:
        weights = tuple(float(w) for w in args.weights.split(","))
    except ValueError:
        raise DataError(
            f"--weights must be two numbers like 0.5,1, not '{args.weights}'."
        ) from None
    features = tuple(f.strip() for f in (args.features or "").split(",") if f.strip())
    genres = tuple(g.strip() for g in (args.genres or "").split(",") if g.strip())
    return search.SearchSpec(
        dataset=args.data,
        model=args.model,
        space=space,
        label=args.label,
        features=features,
        genres=genres,
        group_column=args.group,
        objective=args.objective,
        weights=weights,
        folds=args.folds,
        sampler=args.sampler,
        pruner=args.pruner,
        n_trials=args.trials,
        rows=args.rows,
        base=base,
        seed=args.seed,
    )


def _custom_dims(args: argparse.Namespace, space: tuple) -> tuple:
    """The space with the dimensions given by --choices and --range put in (or replaced)."""
    dims = {d.name: d for d in space}
    for item in args.choices or []:
        key, sep, values = item.partition("=")
        parts = [v for v in values.split("|") if v.strip()]
        if not sep or not key.strip() or not parts:
            raise DataError(
                f"--choices '{item}' is not of the form KEY=V1|V2 (e.g. lr=0.01|0.001)."
            )
        key = key.strip()
        if args.model == search.NETWORK:
            choices = tuple(_net_value(key, v) if key != "hidden" else v.strip() for v in parts)
        else:
            from genre_core.models.classical import get_model

            choices = tuple(get_model(args.model).param(key).parse(v, args.model) for v in parts)
        dims[key] = search.Dim(key, "choice", choices=choices)
    for item in args.range or []:
        key, sep, values = item.partition("=")
        parts = values.split(":")
        try:
            low, high = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise DataError(f"--range '{item}' is not of the form KEY=LOW:HIGH[:log].") from None
        if not sep or len(parts) > 3 or (len(parts) == 3 and parts[2] != "log"):
            raise DataError(f"--range '{item}' is not of the form KEY=LOW:HIGH[:log].")
        kind = "int" if low.is_integer() and high.is_integer() and "." not in values else "float"
        dims[key.strip()] = search.Dim(key.strip(), kind, low, high, log=len(parts) == 3)
    return tuple(dims.values())


def _net_value(key: str, text: str):
    """A network setting from the command line: a number, yes/no, none, or layer sizes."""
    if key == "hidden":
        from genre_core.models.networks import parse_layer_values

        return parse_layer_values(text, "int")
    return search.net_value(text)


def _summary(study, spec: search.SearchSpec, ran: int) -> dict:
    table = search.trials_table(study)
    states = table["state"].value_counts().to_dict() if len(table) else {}
    out = {
        "study": study.study_name,
        "model": spec.model,
        "objective": spec.objective,
        "ran_here": ran,
        "trials": {str(k): int(v) for k, v in states.items()},
        "best_value": None,
        "best_params": None,
    }
    try:
        out["best_value"] = round(float(study.best_value), 6)
        out["best_params"] = study.best_trial.params
    except ValueError:
        pass
    return out


def _run(study, spec: search.SearchSpec, args: argparse.Namespace, n_trials: int | None) -> int:
    if spec.model == search.NETWORK:
        from genre_core.models.networks import configure_threads

        configure_threads(1)  # a small MLP gains nothing from more; leave cores to other workers
    data = search.prepare_data(spec)
    ran = {"n": 0}

    def progress(event: dict) -> None:
        ran["n"] += 1
        value = "-" if event["value"] is None else f"{event['value']:.4f}"
        reason = f" ({event['error']})" if event.get("error") else ""
        print(
            f"trial {event['number']}: {event['state']} {value}{reason}",
            file=sys.stderr,
            flush=True,
        )

    search.run_study(study, spec, data, n_trials=n_trials, emit=progress, timeout=args.timeout)
    print(json.dumps(_summary(study, spec, ran["n"]), indent=2, default=str))
    return 0


def run_search(args: argparse.Namespace) -> int:
    """Create (or reopen) a study and run trials in this process."""
    spec = _spec(args)
    storage = search.open_storage(args.storage, heartbeat=args.heartbeat)
    study = search.create_study(spec, args.study, storage)
    if args.create_only:
        print(json.dumps(_summary(study, spec, 0), indent=2, default=str))
        return 0
    return _run(study, spec, args, None)


def run_worker(args: argparse.Namespace) -> int:
    """Join a stored study and run its trials until the study's budget is spent."""
    if args.trials is not None and args.trials < 1:
        raise DataError("--trials must be at least 1.")
    storage = search.open_storage(args.storage, heartbeat=args.heartbeat)
    study, spec = search.load_study(args.study, storage)
    return _run(study, spec, args, args.trials)
