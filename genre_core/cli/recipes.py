"""`genre-lab spec KIND [options]` prints a recipe; `genre-lab run FILE.json` runs any recipe.

The options of ``spec`` come from the kind's schema (``Spec.options()``, a
:class:`~genre_core.params.ParamSet`): each parameter is an option (``--epochs``,
``--max-depth``), and ``--param KEY=VALUE`` sets any of them. The data and split options are
the same for every kind.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from genre_core import experiments
from genre_core.data.registry import DEFAULT_DATASET
from genre_core.data.splits import SplitSpec
from genre_core.errors import DataError
from genre_core.experiments.recipe import DataSpec
from genre_core.params import parse_assignments
from genre_core.runs.history import store_failures


def register(subparsers) -> None:
    spec = subparsers.add_parser(
        "spec",
        help="print a recipe (JSON) for a kind of job: " + ", ".join(experiments.KINDS),
        description="Print a recipe for a kind of job. `genre-lab spec KIND --help` lists the "
        "kind's options.",
        add_help=False,
    )
    spec.add_argument("kind", nargs="?", help=", ".join(experiments.KINDS))
    spec.add_argument("rest", nargs=argparse.REMAINDER)
    spec.set_defaults(func=cmd_spec)

    run = subparsers.add_parser("run", help="run a recipe file (from `spec` or a page)")
    run.add_argument("recipe", help="a recipe JSON file, or - for standard input")
    run.add_argument("--json", action="store_true", help="print the result as one JSON object")
    run.add_argument("--no-log", action="store_true", help="do not log to the run history")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument(
        "--scheduler",
        help="run on this Dask cluster (tcp://host:8786; default: $GENRE_SCHEDULER, else here)",
    )
    run.set_defaults(func=cmd_run)


def kind_parser(kind: str) -> argparse.ArgumentParser:
    """The options of ``spec KIND``: data, split, preset, and every parameter of the schema."""
    cls = experiments.recipe_class(kind)
    parser = argparse.ArgumentParser(
        prog=f"genre-lab spec {kind}", description=cls.title or f"a '{kind}' recipe"
    )
    data = parser.add_argument_group("data")
    data.add_argument("--data", default=DEFAULT_DATASET, help="a dataset name or a CSV path")
    data.add_argument("--label", help="the genre column")
    data.add_argument("--features", help="numeric feature columns, comma-separated")
    data.add_argument("--text", help="title columns, comma-separated")
    data.add_argument("--genres", help="the genres kept, comma-separated (default: all)")
    data.add_argument(
        "--merge", help='a merge map as JSON, e.g. \'{"rap": "hip hop", "trap": "hip hop"}\''
    )
    data.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="train on a seeded sample of N rows, stratified by genre (0: all rows)",
    )
    data.add_argument(
        "--fix",
        action="append",
        metavar="drop:COLUMN|flag:COLUMN",
        help="a shortcut's fix (see `describe --json` audit.shortcuts): drop the column from "
        "the features, or flag its missing or small-scale rows as a feature; repeatable",
    )
    split = parser.add_argument_group("split")
    split.add_argument(
        "--split",
        help="stratified, or group:COLUMN (default: group:track, copies of a song on one side; "
        "group:artist, group:id)",
    )
    split.add_argument("--test", type=float, help="the test share")
    split.add_argument("--validation", type=float, help="the validation share")
    split.add_argument("--seed", type=int, help="the seed of the split and the model")
    params = parser.add_argument_group("parameters (from the schema)")
    params.add_argument("--preset", help="a preset of the kind (its settings first)")
    params.add_argument("--param", action="append", metavar="KEY=VALUE", help="any parameter")
    seen = {"data", "label", "features", "text", "genres", "merge", "sample", "fix", "split",
            "test", "validation", "seed", "preset", "param"}  # fmt: skip
    for param in cls.options():
        name = (param.flag or param.name).replace("-", "_")
        if name in seen:
            continue
        seen.add(name)
        hint = f" ({param.kind}"
        if param.choices:
            hint += ": " + " | ".join(map(str, param.choices))
        elif param.low is not None:
            hint += f" {param.low:g} to {param.high:g}"
        hint += f"; default {param.format(param.default)})"
        params.add_argument(param.option, dest=f"p_{param.name}", help=(param.help or "") + hint)
    return parser


def _columns(text: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (text or "").split(",") if c.strip())


def recipe_from_args(kind: str, argv: list[str]):
    """The recipe that ``spec KIND argv`` prints (raises DataError naming what is wrong)."""
    cls = experiments.recipe_class(kind)
    args = kind_parser(kind).parse_args(argv)
    merge = None
    if args.merge:
        try:
            merge = json.loads(args.merge)
        except ValueError:
            raise DataError("--merge must be a JSON object of genre -> new genre.") from None
        if not isinstance(merge, dict):
            raise DataError("--merge must be a JSON object of genre -> new genre.")
    data = DataSpec(
        source=args.data,
        label=args.label,
        features=_columns(args.features),
        text=_columns(args.text),
        genres=_columns(args.genres),
        merge=merge,
        sample=args.sample or None,
        fixes=tuple(args.fix or ()),
    )
    split = None
    if any(v is not None for v in (args.split, args.test, args.validation)):
        default = cls.default_split()
        shares = dict(
            test=default.test if args.test is None else args.test,
            validation=default.validation if args.validation is None else args.validation,
            seed=default.seed if args.seed is None else args.seed,
        )
        method = args.split or (
            f"group:{default.group_column}" if default.method == "group" else "stratified"
        )
        split = SplitSpec.parse(method, **shares)
    values = parse_assignments(args.param)
    for param in cls.options():
        given = getattr(args, f"p_{param.name}", None)
        if given is not None:
            values[param.name] = given
    if args.seed is not None:
        values.setdefault("seed", str(args.seed))
    return cls.from_options(data, split, values, preset=args.preset)


def cmd_spec(args: argparse.Namespace) -> int:
    if not args.kind or args.kind in ("-h", "--help"):
        print("usage: genre-lab spec KIND [options]   (KIND: " + ", ".join(experiments.KINDS) + ")")
        print("`genre-lab spec KIND --help` lists a kind's options.")
        return 0 if args.kind else 2
    recipe = recipe_from_args(args.kind, args.rest)
    recipe.check()
    print(recipe.to_json())
    return 0


class StderrProgress:
    """Progress events as one updating line on stderr (epochs, folds, trials, batches)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet or not sys.stderr
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, event: dict) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        stage = str(event.get("stage", ""))
        final = stage in ("done", "logged", "store-error")
        if not final and now - self.last < 0.2:
            return
        self.last = now
        text = stage
        for done, total in (("epoch", "epochs"), ("fold", "folds"), ("trial", "trials"),
                            ("done", "total"), ("step", "steps")):  # fmt: skip
            if isinstance(event.get(done), (int, float)) and event.get(total):
                share = min(event[done] / event[total], 1.0)
                bar = "#" * int(share * 20)
                text = f"{stage} [{bar:<20}] {event[done]}/{event[total]}"
                break
        if "model" in event:
            text += f" {event['model']}"
        if stage == "store-error":  # said once, as the command's error line
            self.close()
            return
        sys.stderr.write(f"\r\033[K{now - self.started:7.1f} s  {text}")
        if final:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def close(self) -> None:
        if not self.quiet:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def cmd_run(args: argparse.Namespace) -> int:
    try:
        text = sys.stdin.read() if args.recipe == "-" else open(args.recipe, "rb").read()
    except OSError as error:
        raise DataError(f"cannot read the recipe {args.recipe}: {error.strerror}.") from None
    recipe = experiments.load_recipe(text)
    if args.no_log and hasattr(recipe, "log"):
        recipe = recipe.with_changes(log=False)
    progress = StderrProgress(args.quiet)
    scheduler = args.scheduler or os.environ.get("GENRE_SCHEDULER", "").strip()
    try:
        outcome = on_cluster(recipe, scheduler, progress) if scheduler else None
        if outcome is None:
            outcome = experiments.run(recipe, progress)
    finally:
        progress.close()
    failures = store_failures(outcome.warnings)
    for warning in outcome.warnings:
        if warning not in failures:
            print(f"note: {warning}", file=sys.stderr)
    print(json.dumps(outcome.summary, indent=2) if args.json else human_summary(outcome.summary))
    for failure in failures:  # the results above are printed; the history did not keep them
        print(f"error: {failure}", file=sys.stderr)
    return 1 if failures else 0


def on_cluster(recipe, scheduler: str, progress):
    """Run ``recipe`` on the Dask cluster at ``scheduler`` and wait for it (Ctrl-C stops it)."""
    from genre_core.runs.engine import Engine

    engine = Engine(scheduler)
    try:
        job = engine.submit(recipe, "cli", options={"source": "cli"})
        try:
            engine.wait(job, on_event=progress)
        except KeyboardInterrupt:
            engine.stop(job)
            engine.wait(job, timeout=30)
            raise
        if job.status == "failed":
            raise DataError(job.error or "the job failed.")
        if job.outcome is None:
            raise DataError(f"the job was {job.status}.")
        return job.outcome
    finally:
        engine.close()


def human_summary(summary: dict) -> str:
    """The summary as a few lines of text: per run its accuracy with its interval."""
    lines = []
    for run in summary.get("runs", []):
        name = run.get("title") or run.get("model") or run.get("option") or summary.get("kind")
        line = f"{name}:"
        if run.get("accuracy") is not None:
            line += f" accuracy {run['accuracy']:.4f}"
            if run.get("accuracy_ci95"):
                low, high = run["accuracy_ci95"]
                line += f" [{low:.4f}, {high:.4f}]"
        if run.get("f1_macro") is not None:
            line += f", macro-F1 {run['f1_macro']:.4f}"
        if run.get("run_id"):
            line += f"  (run {run['run_id']})"
        lines.append(line)
    extra = {k: v for k, v in summary.items() if k not in ("runs", "kind")}
    for key, value in extra.items():
        if isinstance(value, (str, int, float)) or value is None:
            lines.append(f"{key}: {value}")
    return "\n".join(lines) or json.dumps(summary)
