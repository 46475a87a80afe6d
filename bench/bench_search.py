"""TPE with pruning against the full 192-configuration grid of "Development of a Neural
Network-Based Music Genre Classification Tool" (Table 4).

    GENRE_DATA_DIR=/path/to/shared/datasets nice python bench/bench_search.py [--rows 5000]
        [--seeds 10] [--real]

Protocol (the same for the grid and for TPE):
  data     a fixed stratified sample of ``--rows`` spotify-30k rows (seed 0), its 13 numeric
           features, median imputation and standard scaling fitted on the training part, one
           stratified 80/20 train/validation hold-out as in the report;
  model    genre_core.models.networks.NetClassifier, seeded (seed 0), 20 epochs, the best-loss
  weights kept;
  value    validation accuracy; every epoch's validation accuracy is the pruners' signal.
1. The grid: all 192 configurations trained to the end through genre_core.experiments.search (grid
sampler,
   no pruning, a SQLite study under data/studies/ so an interrupted run resumes, and more
   `search-worker --study bench-grid-<rows>` processes may join it). Each
   configuration's per-epoch validation accuracies and final value are cached in
   bench/results/search_grid_curves_<rows>.json (git-ignored, like all of bench/results/).
2. TPE (genre_core.experiments.search's settings: 10 random start-up trials) with the median pruner
and with
   Hyperband, and as a baseline random sampling without pruning, for ``--seeds`` sampler seeds,
   replayed from the cached curves: training is seeded, so a configuration's curve is the same
   whether trained for the grid or for TPE, and a trial pruned after e epochs costs e epochs. A
   repeated configuration that already completed costs nothing (genre_core.experiments.search
   reuses its
   score); a repeated pruned one is trained again. Each run stops once it has spent 30% of the
   grid's epochs (or after 500 trials, when the sampler only repeats finished configurations);
   reported: its best validation accuracy, the epochs it had spent when it first came within
   0.5 point of the grid's best, and the ratio.
3. ``--real``: one TPE + median run for seed 0, trained for real through
genre_core.experiments.search, to
   check that the replay matches it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from threading import Event

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import optuna  # noqa: E402

from genre_core.experiments import search  # noqa: E402
from genre_core.experiments.recipe import DataSpec  # noqa: E402
from genre_core.models.networks import configure_threads  # noqa: E402
from genre_core.runs.progress import Cancelled, TaskState  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_POINTS = 0.005
BUDGET_SHARE = 0.30
MAX_TRIALS = 500  # a run whose sampler only repeats finished configurations ends here


def grid_spec(rows: int, sampler: str = "grid", pruner: str = "none", seed: int = 0):
    return search.SearchSpec(
        data=DataSpec("spotify-30k"),
        model=search.NETWORK,
        space=search.grid_space(search.DEVELOPMENT_GRID),
        objective="accuracy",
        folds=1,
        rows=rows,
        sampler=sampler,
        pruner=pruner,
        n_trials=192,
        seed=seed,
    )


def run_grid(rows: int) -> list[dict]:
    cache = RESULTS / f"search_grid_curves_{rows}.json"
    if cache.exists():
        return json.loads(cache.read_text())["configurations"]
    spec = grid_spec(rows)
    study = search.create_study(spec, f"bench-grid-{rows}", search.default_storage())
    data = search.prepare_data(spec)
    started = time.perf_counter()

    def progress(event: dict) -> None:
        done = event["number"] + 1
        print(
            f"  grid trial {done}/192: {event['value']:.4f} "
            f"({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
            flush=True,
        )

    search.run_study(study, spec, data, TaskState(progress))
    configurations = []
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        if trial.user_attrs.get("reused_from") is not None:
            continue
        curve = [trial.intermediate_values[e] for e in sorted(trial.intermediate_values)]
        configurations.append(
            {"params": trial.params, "value": trial.value, "curve": curve,
             "seconds": trial.user_attrs.get("seconds")}
        )  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    cache.write_text(
        json.dumps({"rows": rows, "protocol": __doc__, "configurations": configurations})
    )
    return configurations


def key(params: dict) -> str:
    return json.dumps(params, sort_keys=True)


def replay(
    configurations: list[dict],
    pruner: str,
    seed: int,
    budget: int,
    target: float,
    sampler: str = "tpe",
):
    """A sampler + pruner over the cached curves; stops when ``budget`` epochs are spent."""
    table = {key(c["params"]): c for c in configurations}
    spec = grid_spec(20, sampler, pruner, seed)
    study = optuna.create_study(
        direction="maximize",
        sampler=search.make_sampler(spec),
        pruner=search.make_pruner(spec),
        study_name=f"replay-{sampler}-{pruner}-{seed}",  # Hyperband's brackets hash it
    )
    spent, best, reached_at, trials, pruned = 0, float("-inf"), None, 0, 0
    completed: dict[str, float] = {}
    while spent < budget and trials < MAX_TRIALS:
        trial = study.ask()
        params = {d.name: d.suggest(trial) for d in spec.space}
        k = key(params)
        trials += 1
        if k in completed:
            study.tell(trial, completed[k])
            continue
        config = table[k]
        stopped = False
        for epoch, value in enumerate(config["curve"], start=1):
            trial.report(value, epoch)
            spent += 1
            if trial.should_prune():
                stopped = True
                break
            if spent >= budget:
                break
        if stopped:
            pruned += 1
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            continue
        if epoch < len(config["curve"]):  # budget ran out mid-trial: not finished
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            break
        completed[k] = config["value"]
        study.tell(trial, config["value"])
        if config["value"] > best:
            best = config["value"]
            if reached_at is None and best >= target:
                reached_at = spent
    return {"best": best, "reached_at": reached_at, "spent": spent, "trials": trials,
            "pruned": pruned}  # fmt: skip


def real_run(rows: int, budget: int, target: float) -> dict:
    """TPE + median for seed 0, trained for real, stopped once it reaches ``target`` or has
    spent ``budget`` epochs."""
    spec = grid_spec(rows, "tpe", "median", 0)
    spec = replace(spec, n_trials=1000)
    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(
        direction="maximize",
        study_name="real-median-0",
        storage=storage,
        sampler=search.make_sampler(spec),
        pruner=search.make_pruner(spec),
    )
    data = search.prepare_data(spec)
    spent = {"epochs": 0}
    enough = Event()

    def count(event: dict) -> None:
        spent["epochs"] += event["epochs"] or 0
        reached = event["best"] is not None and event["best"] >= target
        if reached and "reached_at" not in spent:
            spent["reached_at"] = spent["epochs"]
        if spent["epochs"] >= budget or reached:
            enough.set()

    started = time.perf_counter()
    try:
        search.run_study(study, spec, data, TaskState(count, enough))
    except Cancelled:
        pass
    return {
        "best": study.best_value,
        "spent": spent["epochs"],
        "reached_at": spent.get("reached_at"),
        "trials": len(study.trials),
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--real", action="store_true")
    args = parser.parse_args()
    configure_threads(1)
    if not os.environ.get("GENRE_DATA_DIR"):
        print("note: GENRE_DATA_DIR is unset; spotify-30k is read from the cache or downloaded")
    started = time.perf_counter()
    configurations = run_grid(args.rows)
    grid_seconds = time.perf_counter() - started
    epochs = len(configurations[0]["curve"])
    total = sum(len(c["curve"]) for c in configurations)
    grid_best = max(c["value"] for c in configurations)
    winner = max(configurations, key=lambda c: c["value"])
    within = sum(c["value"] >= grid_best - TARGET_POINTS for c in configurations)
    budget = int(BUDGET_SHARE * total)
    print(__doc__.split("Protocol")[0].strip().splitlines()[0] + " — search bench")
    print(
        f"data: spotify-30k, stratified sample of {args.rows:,} rows, 80/20 hold-out; "
        f"{len(configurations)} configurations × {epochs} epochs = {total:,} epochs"
    )
    print(
        f"grid: best validation accuracy {grid_best:.4f} by {winner['params']}; "
        f"{within} of {len(configurations)} configurations within 0.5 point of it"
    )
    seed_best = next((c for c in configurations if c["params"] == search.DEVELOPMENT_BEST), None)
    if seed_best is not None:
        print(f"grid: the report's winner scores {seed_best['value']:.4f} here")
    if grid_seconds > 5:
        print(f"grid: trained in {grid_seconds:.0f} s this run")
    print(
        f"TPE budget: 30% of the grid = {budget:,} epochs; target: within 0.5 point, "
        f">= {grid_best - TARGET_POINTS:.4f}"
    )
    for sampler, pruner in (("tpe", "median"), ("tpe", "hyperband"), ("random", "none")):
        runs = [
            replay(configurations, pruner, seed, budget, grid_best - TARGET_POINTS, sampler)
            for seed in range(args.seeds)
        ]
        hits = [r for r in runs if r["reached_at"] is not None]
        what = f"TPE + {pruner} pruning" if sampler == "tpe" else "baseline: random, no pruning"
        print(f"{what}, {args.seeds} seeds (replayed from the cached curves):")
        for seed, r in enumerate(runs):
            at = (
                f"reached the target after {r['reached_at']:,} epochs "
                f"({r['reached_at'] / total:.1%} of the grid's)"
                if r["reached_at"] is not None
                else "did not reach the target"
            )
            print(
                f"  seed {seed}: best {r['best']:.4f} (grid {grid_best:.4f}, "
                f"gap {100 * (grid_best - r['best']):.2f} points) in {r['spent']:,} epochs "
                f"({r['spent'] / total:.1%}), {r['trials']} trials, {r['pruned']} pruned; {at}"
            )
        median_at = statistics.median(r["reached_at"] for r in hits) if hits else None
        print(
            f"  => {len(hits)}/{len(runs)} seeds within 0.5 point using at most 30% of the "
            f"grid's epochs"
            + (
                f"; median epochs to reach it {median_at:,.0f} ({median_at / total:.1%})"
                if median_at is not None
                else ""
            )
        )
    if args.real:
        r = real_run(args.rows, budget, grid_best - TARGET_POINTS)
        at = (
            f"reached the target after {r['reached_at']:,} epochs"
            if r["reached_at"] is not None
            else "did not reach the target"
        )
        print(
            f"real TPE + median run (seed 0, trained through genre_core.experiments.search): best "
            f"{r['best']:.4f} in {r['spent']:,} epochs ({r['spent'] / total:.1%}), "
            f"{r['trials']} trials, {r['seconds']:.0f} s; {at}"
        )
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
