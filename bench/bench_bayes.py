"""Speed of the Bayesian models on music-genre-11 (needs GENRE_DATA_DIR).

SVI: Model 2 on 10,000 rows x 14 features x 11 genres, timed until the convergence criterion
of :class:`genre_core.models.bayes.BayesConfig` holds (the mean -ELBO of the last 100 steps within
``tol`` of the 100 before). NUTS: Model 2 on 1,000 rows, one chain. Absolute times depend on
what else runs on the machine: the load average is printed next to them.

    GENRE_DATA_DIR=../shared/datasets python bench/bench_bayes.py [--nuts-iterations 200]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from genre_core.data.dataset import load_dataset
from genre_core.models import bayes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--learning-rate", type=float, default=0.05)
    parser.add_argument("--tol", type=float, default=1e-3)
    parser.add_argument("--nuts-rows", type=int, default=1_000)
    parser.add_argument("--nuts-iterations", type=int, default=200, help="warm-up and kept each")
    parser.add_argument("--skip-nuts", action="store_true")
    args = parser.parse_args()

    dataset = load_dataset("music-genre-11")
    frame, roles = dataset.frame, dataset.roles
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} "
        "(shared with other developers' jobs)"
    )
    data = bayes.prepare(frame, roles.label, roles.features, n_train=args.rows, n_test=2_000)
    print(
        f"SVI data: {data.X_train.shape[0]:,} rows x {data.X_train.shape[1]} features x "
        f"{len(data.classes)} genres"
    )
    # the criterion asked for, then a 10x stricter one as a check that stopping early costs
    # nothing measurable on held-out rows
    for tol in (args.tol, args.tol / 10):
        config = bayes.BayesConfig(
            model="hier-t", inference="svi", steps=5_000, learning_rate=args.learning_rate, tol=tol
        )
        started = time.perf_counter()
        fitted = bayes.fit(
            data.X_train, data.y_train, config, classes=data.classes, features=data.features
        )
        seconds = time.perf_counter() - started
        found = bayes.metrics(data.y_test, bayes.predict(fitted, data.X_test), data.classes)
        print(
            f"SVI Model 2: {len(fitted.elbo)} steps in {seconds:.1f} s "
            f"({1000 * seconds / len(fitted.elbo):.1f} ms/step), converged={fitted.converged} "
            f"[criterion: mean -ELBO/row of the last 100 steps within {tol:g} (relative) of "
            f"the 100 before; Adam lr {args.learning_rate:g}], final -ELBO/row "
            f"{fitted.elbo[-1]:.3f}; held-out accuracy {found['accuracy']:.3f}, log loss "
            f"{found['log_loss']:.3f} on 2,000 rows; under a minute: {seconds < 60}"
        )
    print(f"load average after SVI: {os.getloadavg()[0]:.1f}")
    if args.skip_nuts:
        return
    data = bayes.prepare(frame, roles.label, roles.features, n_train=args.nuts_rows, n_test=200)
    config = bayes.BayesConfig(
        model="hier-t",
        inference="mcmc",
        warmup=args.nuts_iterations,
        samples=args.nuts_iterations,
        chains=1,
    )
    started = time.perf_counter()
    fitted = bayes.fit(
        data.X_train, data.y_train, config, classes=data.classes, features=data.features
    )
    seconds = time.perf_counter() - started
    accuracy = float((bayes.predict(fitted, data.X_test).proba.argmax(1) == data.y_test).mean())
    print(
        f"NUTS Model 2 on {args.nuts_rows:,} rows: {args.nuts_iterations} warm-up + "
        f"{args.nuts_iterations} kept iterations, 1 chain, in {seconds:.1f} s; "
        f"test accuracy {accuracy:.3f} on 200 rows; load average {os.getloadavg()[0]:.1f}"
    )
    print(fitted.diagnostics.round(3).to_string(index=False))
    np.set_printoptions(precision=3)


if __name__ == "__main__":
    main()
