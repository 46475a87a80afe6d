"""Reproduce the seed reports' figures on each report's own protocol, then under a grouped split.

    GENRE_DATA_DIR=/path/to/shared/datasets python bench/seeds.py [--quick]

Every number comes from fitting the Genre Lab pipelines (genre_core.experiments.train.train_model)
now;
nothing is copied from the reports except the "theirs" column. ``--quick`` skips the
cross-validations of XGBoost (about four minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genre_core.data.dataset import load_dataset  # noqa: E402
from genre_core.data.preprocess import PrepConfig  # noqa: E402
from genre_core.data.splits import SplitSpec  # noqa: E402
from genre_core.experiments.fitting import (  # noqa: E402
    TrainConfig,
    cross_validate,
    groups_for,
    train_model,
    training_table,
)
from genre_core.models.classical import make_model  # noqa: E402


@dataclass(frozen=True)
class Case:
    seed: str
    figure: str
    model: str
    theirs: float
    preset: str | None = None


def fmt(value: float, interval: tuple[float, float] | None = None) -> str:
    text = f"{value:.3f}"
    return text + (f" [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else "")


def run(
    frame: pd.DataFrame,
    label: str,
    model: str,
    params: dict,
    prep: PrepConfig,
    features,
    split: SplitSpec,
) -> dict:
    config = TrainConfig(model, params, prep, tuple(features), (), split, seed=split.seed)
    started = time.perf_counter()
    result = train_model(frame, label, config)
    ev = result.evaluation
    return {
        "accuracy": ev.metrics["accuracy"],
        "ci": ev.intervals["accuracy"],
        "f1_macro": ev.metrics["f1_macro"],
        "recall_macro": ev.metrics["recall_macro"],
        "precision_macro": ev.metrics["precision_macro"],
        "n_train": result.n_train,
        "n_test": result.n_test,
        "seconds": time.perf_counter() - started,
        "result": result,
    }


def five_genres(quick: bool) -> list[dict]:
    """Seeds 000 and 001: spotify-30k without edm, a 21,428-row excerpt, StandardScaler."""
    data = load_dataset("spotify-30k", allow_download=False)
    label = data.roles.label
    frame = data.frame[data.frame[label] != "edm"].reset_index(drop=True)
    # 26,790 rows x 0.8 = 21,432, the reports' 21,428: their excerpt looks like 80% of these
    # five genres. Which rows is unknown, so take a seeded stratified 21,428.
    keep, _ = train_test_split(
        np.arange(len(frame)), train_size=21_428, stratify=frame[label], random_state=0
    )
    frame = frame.iloc[np.sort(keep)].reset_index(drop=True)
    features13 = data.roles.features  # popularity, 11 audio features, duration (the MLP's 13)
    features14 = (*features13, "release_year")  # seed 001 adds the release year
    standard = PrepConfig("median", "standard")
    random = SplitSpec(train=0.8, test=0.2, seed=0)
    grouped = SplitSpec("group", "track_artist", train=0.8, test=0.2, seed=0)
    rows = []
    table1 = {
        "svm": (0.535, 0.532, 0.536, 0.531),
        "rf": (0.562, 0.559, 0.563, 0.558),
        "logreg": (0.488, 0.485, 0.490, 0.483),
        "knn": (0.459, 0.462, 0.460, 0.472),
    }
    for model, theirs in table1.items():
        ours = run(frame, label, model, {}, standard, features13, random)
        group = run(frame, label, model, {}, standard, features13, grouped)
        rows.append(
            {
                "seed": "000 Cas d'étude T1",
                "model": model,
                "metric": "accuracy",
                "theirs": theirs[0],
                "ours": ours,
                "grouped": group,
                "extra": f"F1m {ours['f1_macro']:.3f}/{theirs[1]:.3f}  "
                f"R {ours['recall_macro']:.3f}/{theirs[2]:.3f}  "
                f"P {ours['precision_macro']:.3f}/{theirs[3]:.3f}",
            }
        )
    params = {
        "colsample_bytree": 0.9,
        "learning_rate": 0.1,
        "max_depth": 10,
        "n_estimators": 300,
        "subsample": 0.9,
    }
    # The report says its numeric input has the release year (14 features, as its network's
    # input size); whether the baselines had it is not said, so both are run.
    for features, tag in (
        (features14, "14 features, with release_year"),
        (features13, "13 features, no release_year"),
    ):
        ours = run(frame, label, "xgboost", params, standard, features, random)
        group = run(frame, label, "xgboost", params, standard, features, grouped)
        extra = tag
        if not quick:
            table, X, y = training_table(frame, label, features)
            pipeline = make_model("xgboost", params, standard)
            cv = cross_validate(pipeline, X, y, k=5).summary()
            gcv = cross_validate(pipeline, X, y, k=5, groups=groups_for(table, grouped)).summary()
            extra += (
                f"; 5-fold CV {cv['accuracy_mean']:.3f} ± {cv['accuracy_std']:.3f}, "
                f"grouped {gcv['accuracy_mean']:.3f} ± {gcv['accuracy_std']:.3f}"
            )
        rows.append(
            {
                "seed": "001 Development",
                "model": "xgboost",
                "metric": "accuracy",
                "theirs": 0.572,
                "ours": ours,
                "grouped": group,
                "extra": extra,
            }
        )
    return rows


def genre_factor() -> list[dict]:
    """Seed 002: data_selected_v1's six genres (6,446 rows), 49/30/21, quantile scaling."""
    data = load_dataset("spotify-youtube", allow_download=False)
    label = data.roles.label
    six = ["hip hop", "rock", "pop", "electronic", "metal", "classic"]
    frame = data.frame[data.frame[label].isin(six)].reset_index(drop=True)
    assert len(frame) == 6446, len(frame)
    quantile = PrepConfig("median", "quantile")
    # the report's order: 30% test first, then 30% of the rest for validation, random_state 42
    random = SplitSpec(train=0.49, validation=0.21, test=0.30, seed=42)
    grouped = SplitSpec("group", "Artist_encoded", train=0.49, validation=0.21, test=0.30, seed=42)
    rows = []
    for model, params, theirs in (
        ("knn", {"n_neighbors": 12, "metric": "euclidean"}, 0.5848),
        ("svm", {}, 0.6225),
    ):
        ours = run(frame, label, model, params, quantile, data.roles.features, random)
        group = run(frame, label, model, params, quantile, data.roles.features, grouped)
        base = ours["result"].evaluation.baselines
        rows.append(
            {
                "seed": "002 Genre Factor",
                "model": model,
                "metric": "accuracy",
                "theirs": theirs,
                "ours": ours,
                "grouped": group,
                "extra": f"majority {base['majority']:.3f}, random {base['random']:.3f}",
            }
        )
    return rows


def model_based() -> list[dict]:
    """Seed 003: music-genre-11, logistic regression, mean imputation, StandardScaler,
    10,000 training rows and 200 test rows (experiment 6)."""
    data = load_dataset("music-genre-11", allow_download=False)
    label = data.roles.label
    frame = data.frame.reset_index(drop=True)
    n = len(frame)
    mean_standard = PrepConfig("mean", "standard")
    rows = []
    for split, what in (
        (
            SplitSpec(train=10_000 / n, test=200 / n, validation=1 - 10_200 / n, seed=0),
            "200 test rows",
        ),
        (SplitSpec(train=10_000 / n, test=1 - 10_000 / n, seed=0), "all 7,996 other rows"),
    ):
        ours = run(frame, label, "logreg", {}, mean_standard, data.roles.features, split)
        grouped_split = SplitSpec(
            "group",
            "Artist Name",
            train=split.train,
            validation=split.validation,
            test=split.test,
            seed=0,
        )
        group = run(frame, label, "logreg", {}, mean_standard, data.roles.features, grouped_split)
        rows.append(
            {
                "seed": "003 Model-Based",
                "model": "logreg",
                "metric": "accuracy",
                "theirs": 0.502,
                "ours": ours,
                "grouped": group,
                "extra": f"tested on {what}",
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the XGBoost cross-validation")
    args = parser.parse_args()
    started = time.perf_counter()
    header = (
        f"{'seed':<20} {'model':<8} {'theirs':>7}  {'ours (random split) [95% CI]':<28} "
        f"{'ours (grouped split) [95% CI]':<29} {'n_train/n_test':>15}  notes"
    )
    print(header)
    print("-" * len(header), flush=True)
    rows = []
    for part in (lambda: five_genres(args.quick), genre_factor, model_based):
        for row in part():  # printed as each protocol finishes: the whole run takes minutes
            rows.append(row)
            ours, group = row["ours"], row["grouped"]
            print(
                f"{row['seed']:<20} {row['model']:<8} {row['theirs']:>7.3f}  "
                f"{fmt(ours['accuracy'], ours['ci']):<28} "
                f"{fmt(group['accuracy'], group['ci']):<29} "
                f"{ours['n_train']:>7,}/{ours['n_test']:<7,}  {row['extra']}",
                flush=True,
            )
    print(
        f"\n{len(rows)} rows in {time.perf_counter() - started:.0f} s; accuracy on the held-out "
        "test part, 95% bootstrap intervals (1,000 resamples of the test rows)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
