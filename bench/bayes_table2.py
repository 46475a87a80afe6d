"""The report's Table 2 on music-genre-11, ours next to the report's, and accuracy against
training-set size (needs GENRE_DATA_DIR).

    GENRE_DATA_DIR=../shared/datasets python bench/bayes_table2.py [--only 1 2 ...]
        [--mcmc-sizes 100 1000] [--curve] [--figure /tmp/curve.html]

Accuracies are in %. ``test_small`` is on a random test set of the report's size (100 or 200
rows: ±7 points of sampling noise); ``test_held_out`` on 2,000 held-out rows shared by every
experiment. ``--mcmc-sizes`` adds NUTS runs of Model 2 at those training sizes (VI against
MCMC); NUTS is slow on a shared CPU, so 10,000 rows is not run by default.
"""

from __future__ import annotations

import argparse
import os
import time

import pandas as pd

from genre_core.data.dataset import load_dataset
from genre_core.experiments.bayes_tables import (
    TABLE2,
    Experiment,
    experiment,
    run_table2,
    size_curve,
)
from genre_core.models import bayes
from genre_core.plots import bayes as bayes_plots
from genre_core.runs.progress import TaskState


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, nargs="*", help="experiment numbers (default: all)")
    parser.add_argument(
        "--mcmc-sizes",
        type=int,
        nargs="*",
        default=[],
        help="also run NUTS on Model 2 with these training sizes",
    )
    parser.add_argument("--curve", action="store_true", help="accuracy against training size")
    parser.add_argument("--figure", help="write the curve as HTML here")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    dataset = load_dataset("music-genre-11")
    frame, roles = dataset.frame, dataset.roles
    print(
        f"music-genre-11: {len(frame):,} rows, {len(roles.features)} features; "
        f"{os.cpu_count()} cores shared with other jobs, load {os.getloadavg()[0]:.1f}"
    )
    chosen = [experiment(i) for i in args.only] if args.only else list(TABLE2)
    base = experiment(10)
    for i, n in enumerate(args.mcmc_sizes):
        chosen.append(
            Experiment(
                11 + i,
                base.config,
                n,
                100 if n <= 100 else 200,
                float("nan"),
                float("nan"),
                f"extra: NUTS on {n:,} rows",
            )
        )
    started = time.perf_counter()
    table = run_table2(
        frame,
        roles.label,
        roles.features,
        TaskState(
            lambda e: (
                print(f"  running experiment {e['id']}", flush=True)
                if e.get("stage") == "experiment"
                else None
            )
        ),
        experiments=chosen,
        seed=args.seed,
    )
    pd.set_option("display.width", 200)
    print(table.drop(columns="note").round(2).to_string(index=False))
    for _, row in table[table["note"] != ""].iterrows():
        print(f"  experiment {row['experiment']}: {row['note']}")
    print(f"total {time.perf_counter() - started:.0f} s; load {os.getloadavg()[0]:.1f}")
    if args.curve:
        configs = {
            "SVI Model 2": bayes.BayesConfig("hier-t", nu=4.0, tau=1.0),
            "SVI Model 1": bayes.BayesConfig("logreg"),
        }
        curve = size_curve(frame, roles.label, roles.features, configs, seed=args.seed)
        print(curve.round(3).to_string(index=False))
        if args.figure:
            bayes_plots.size_curve_figure(curve).write_html(args.figure)
            print(f"curve written to {args.figure}")


if __name__ == "__main__":
    main()
