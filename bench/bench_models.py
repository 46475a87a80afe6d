"""Engine overhead against calling scikit-learn / XGBoost directly, and each model's fit time.

    GENRE_DATA_DIR=/path/to/shared/datasets python bench/bench_models.py [--repeats 3]
    GENRE_DATA_DIR=... python bench/bench_models.py --contention [--rows 8000]

On spotify-30k (70/30 stratified split, the 13 registry features, median imputation and
standard scaling), each model is fitted and asked for test probabilities twice:
  direct  a hand-built scikit-learn Pipeline (XGBoost: XGBClassifier on LabelEncoder codes)
  engine  genre_core.models.classical.make_model with the same hyperparameters
The ratio engine/direct of CPU seconds of this process (fit + test probabilities; median over
repeats, the two interleaved with alternating order) is the overhead of the zoo; the target is
at most 1.10. CPU time, not wall time, because other jobs on a shared machine swing wall
times by 2x. The SVM's default calibration spreads its fits over worker processes, which CPU
time of this process cannot see, so its ratio row uses calibration=5-fold (the same
SVC(probability=True) as the direct call) and an extra row times the default in wall seconds.
"fit wall s" is the engine's fit alone; the last column times
genre_core.experiments.train.train_model end to end (split, fit, predictions on train and test, and
the
full evaluation with 1,000 bootstraps), in wall seconds.

``--contention`` (issue 15, section 4) times XGBoost, random forest and SVM fits alone and while
a second process fits the same model, inside the thread budget a one-thread Dask worker gives
(``thread_budget(1)``) and with threads at the libraries' all-core defaults.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import LabelEncoder, StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from xgboost import XGBClassifier  # noqa: E402

from genre_core.data.dataset import load_dataset  # noqa: E402
from genre_core.data.splits import SplitSpec, split_rows  # noqa: E402
from genre_core.experiments.fitting import TrainConfig, train_model, training_table  # noqa: E402
from genre_core.models.classical import make_model, resolve_params  # noqa: E402


def direct_estimator(name: str, seed: int = 0):
    """The same estimator as the zoo's defaults, written by hand."""
    p = resolve_params(name)
    return {
        "logreg": lambda: LogisticRegression(C=p["C"], max_iter=p["max_iter"], random_state=seed),
        "svm": lambda: SVC(
            kernel="rbf",
            decision_function_shape="ovo",
            probability=True,
            cache_size=500,
            random_state=seed,
        ),
        "knn": lambda: KNeighborsClassifier(
            n_neighbors=p["n_neighbors"], metric="euclidean", n_jobs=2
        ),
        "rf": lambda: RandomForestClassifier(
            n_estimators=p["n_estimators"], n_jobs=2, random_state=seed
        ),
        "xgboost": lambda: XGBClassifier(
            n_estimators=p["n_estimators"],
            max_depth=p["max_depth"],
            learning_rate=p["learning_rate"],
            subsample=p["subsample"],
            colsample_bytree=p["colsample_bytree"],
            min_child_weight=p["min_child_weight"],
            reg_lambda=p["reg_lambda"],
            n_jobs=2,
            random_state=seed,
            tree_method="hist",
            eval_metric="mlogloss",
        ),
        "hgb": lambda: HistGradientBoostingClassifier(
            max_iter=p["max_iter"], early_stopping=False, random_state=seed
        ),
    }[name]()


def time_direct(name, X_train, y_train, X_test) -> float:
    started = time.process_time()
    pipeline = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("model", direct_estimator(name)),
        ]
    )
    if name == "xgboost":
        encoder = LabelEncoder().fit(y_train)
        pipeline.fit(X_train, encoder.transform(y_train))
    else:
        pipeline.fit(X_train, y_train)
    pipeline.predict_proba(X_test)
    return time.process_time() - started


def time_engine(name, X_train, y_train, X_test, params=None) -> tuple[float, float]:
    started, wall = time.process_time(), time.perf_counter()
    pipeline = make_model(name, params)
    pipeline.fit(X_train, y_train)
    fitted = time.perf_counter()
    pipeline.predict_proba(X_test)
    return time.process_time() - started, fitted - wall


# ---- fits that do not fight (issue 15, section 4) ----------------------------------------------

CONTENTION_MODELS = ("rf", "svm", "xgboost")  # the slowest last
MODES = ("budget", "defaults")


def timed_fit(name: str, mode: str, X, y) -> float:
    """Wall seconds of one engine fit. ``budget``: inside ``thread_budget(1)``, as a Dask worker
    of one thread runs a job; ``defaults``: no budget, so XGBoost's OpenMP, the forest's and the
    SVM's joblib pools and BLAS take every core (the libraries' all-core settings)."""
    import contextlib

    from genre_core.runs.budget import thread_budget

    scope = thread_budget(1) if mode == "budget" else contextlib.nullcontext()
    with scope:
        pipeline = make_model(name)  # reads the budget for its n_jobs when it is built
        started = time.perf_counter()
        pipeline.fit(X, y)
        return time.perf_counter() - started


def second_job(name: str, mode: str, rows: int) -> None:
    """The other job (``--second-job``): the same fit, again and again, until it is killed."""
    X, y = contention_rows(rows)
    timed_fit(name, mode, X[:50], y[:50])  # imports and pools warmed up before saying ready
    print("ready", flush=True)
    while True:
        timed_fit(name, mode, X, y)


def contention_rows(rows: int):
    """A seeded ``rows`` of spotify-30k's training part (every genre in it)."""
    data = load_dataset("spotify-30k", allow_download=False)
    table, X, y = training_table(data.frame, data.roles.label, data.roles.features)
    train = split_rows(table, data.roles.label, SplitSpec(train=0.7, test=0.3, seed=0)).train
    keep = train[np.random.default_rng(0).permutation(len(train))[:rows]]
    return X[keep], y[keep]


def contention(rows: int, repeats: int, models=CONTENTION_MODELS) -> None:
    """Each model's fit alone and while a second process fits too, under the thread budget and
    at the libraries' defaults; medians of ``repeats`` interleaved runs, and their ratios."""
    import os
    import subprocess

    os.environ.pop("GENRE_THREADS", None)  # "defaults" means every core, whatever the shell says
    X, y = contention_rows(rows)
    print(
        f"fits on {len(y):,} rows, {os.cpu_count()} cores; median wall seconds of {repeats} "
        f"(load average at start {os.getloadavg()[0]:.1f}: other users of the machine count)\n"
    )
    print(
        f"{'model':<8} {'mode':<9} {'alone s':>8} {'2 jobs s':>9} {'2 jobs / alone':>15} "
        f"{'budget / defaults':>18}"
    )
    for name in models:
        times = {(m, c): [] for m in MODES for c in (False, True)}
        for i in range(repeats):
            order = MODES if i % 2 == 0 else MODES[::-1]  # alternate, so drift cancels out
            for mode in order:
                times[mode, False].append(timed_fit(name, mode, X, y))
                other = subprocess.Popen(
                    [sys.executable, __file__, "--second-job", f"{name}:{mode}:{rows}"],
                    stdout=subprocess.PIPE,
                    text=True,
                )
                try:
                    other.stdout.readline()  # "ready": the other job is fitting from now on
                    times[mode, True].append(timed_fit(name, mode, X, y))
                finally:
                    other.kill()
                    other.wait()
        med = {key: statistics.median(v) for key, v in times.items()}
        for mode in MODES:
            alone, both = med[mode, False], med[mode, True]
            versus = (
                med["budget", True] / med["defaults", True],
                med["budget", False] / med["defaults", False],
            )
            print(
                f"{name:<8} {mode:<9} {alone:>8.2f} {both:>9.2f} {both / alone:>15.2f} "
                + (f"   alone {versus[1]:.2f}, 2 jobs {versus[0]:.2f}" if mode == "budget" else ""),
                flush=True,
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--models",
        default="logreg,knn,rf,xgboost,hgb,svm",
        help="the models timed (--contention: those of rf, svm, xgboost)",
    )
    parser.add_argument(
        "--contention",
        action="store_true",
        help="XGBoost, forest and SVM fits alone and beside a second fitting process, with "
        "the thread budget and at library defaults",
    )
    parser.add_argument("--rows", type=int, default=8000, help="training rows of --contention")
    parser.add_argument("--second-job", help=argparse.SUPPRESS)  # MODEL:MODE:ROWS, internal
    args = parser.parse_args()
    if args.second_job:
        name, mode, rows = args.second_job.split(":")
        second_job(name, mode, int(rows))
        return 0
    if args.contention:
        models = [m for m in args.models.split(",") if m in CONTENTION_MODELS]
        contention(args.rows, args.repeats, models or CONTENTION_MODELS)
        return 0
    data = load_dataset("spotify-30k", allow_download=False)
    label, features = data.roles.label, data.roles.features
    table, X, y = training_table(data.frame, label, features)
    split = split_rows(table, label, SplitSpec(train=0.7, test=0.3, seed=0))
    X_train, y_train, X_test = X[split.train], y[split.train], X[split.test]
    print(
        f"spotify-30k: {len(split.train):,} training rows, {len(split.test):,} test rows, "
        f"{len(features)} features; median of {args.repeats} interleaved repeats\n"
    )
    print(
        f"{'model':<8} {'direct cpu s':>12} {'engine cpu s':>12} {'ratio':>6} "
        f"{'fit wall s':>10} {'train_model wall s':>18}"
    )
    for name in args.models.split(","):
        repeats = 1 if name == "svm" else args.repeats  # a minute per fit: once is enough
        same = {"calibration": "5-fold"} if name == "svm" else None
        direct, engine, fits = [], [], []
        for i in range(repeats):
            if i % 2:  # alternate who goes first, so a drift in machine load cancels out
                total, fit = time_engine(name, X_train, y_train, X_test, same)
                direct.append(time_direct(name, X_train, y_train, X_test))
            else:
                direct.append(time_direct(name, X_train, y_train, X_test))
                total, fit = time_engine(name, X_train, y_train, X_test, same)
            engine.append(total)
            fits.append(fit)
        started = time.perf_counter()
        train_model(table, label, TrainConfig(name, features=tuple(features)))
        whole = time.perf_counter() - started
        d, e = statistics.median(direct), statistics.median(engine)
        print(
            f"{name:<8} {d:>12.2f} {e:>12.2f} {e / d:>6.3f} {statistics.median(fits):>10.2f} "
            f"{whole:>18.2f}",
            flush=True,
        )
        if name == "svm":
            _, fit = time_engine(name, X_train, y_train, X_test)
            print(f"{'svm (default calibration=holdout)':<47} {fit:>10.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
