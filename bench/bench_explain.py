"""How long one track's explanation takes, per classical model, on spotify-30k.

    GENRE_DATA_DIR=/path/to/shared/datasets python bench/bench_explain.py [--tracks 5]

Each model of the zoo is fitted with its defaults on a 70/30 stratified split of spotify-30k
(the registry's numeric features, median imputation, standard scaling); then, for a few test
tracks, wall seconds of:
  build     the TrackExplainer (once per model: shap converts the trees, draws the background)
  shap      one track's SHAP values for every genre (median over the tracks)
  what-if   every genre's probability with one feature edited (median)
  nearest   the nearest training track of another genre (median)
  importance  permutation importance on 1,000 test rows, 3 repeats (once)
The issue's target: one track's explanation (build + shap, what the Explain page waits for on
its first track) under 2 s for every model.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genre_core.data.dataset import load_dataset  # noqa: E402
from genre_core.data.splits import SplitSpec, split_rows  # noqa: E402
from genre_core.experiments.fitting import training_table  # noqa: E402
from genre_core.explain import (  # noqa: E402
    TrackExplainer,
    importance_table,
    nearest_of_genre,
    what_if,
)
from genre_core.models.classical import MODELS, make_model  # noqa: E402


def seconds(call, *args) -> tuple[float, object]:
    """Wall seconds of ``call(*args)``, and what it returned."""
    started = time.perf_counter()
    out = call(*args)
    return time.perf_counter() - started, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=5)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    imported, _ = seconds(__import__, "shap")
    print(f"import shap: {imported:.2f} s (once per server process, not per track)")
    dataset = load_dataset("spotify-30k")
    features = list(dataset.roles.features)
    table, X, y = training_table(dataset.frame, dataset.roles.label, features)
    split = split_rows(table, dataset.roles.label, SplitSpec(test=0.3, seed=0))
    X_train, y_train, X_test, y_test = X[split.train], y[split.train], X[split.test], y[split.test]
    print(f"spotify-30k: {len(X_train):,} training rows, {len(features)} features")
    header = f"{'model':8} {'fit s':>7} {'kind':>11} {'build s':>8} {'shap s':>7} "
    header += f"{'build+shap':>10} {'what-if s':>9} {'nearest s':>9} {'importance s':>12}"
    print(header)
    for name in args.models.split(","):
        fit, pipeline = seconds(make_model(name).fit, X_train, y_train)
        build, explainer = seconds(TrackExplainer, pipeline, features, X_train)
        shap_s, what_s, near_s = [], [], []
        for i in range(args.tracks):
            x = X_test[i * 97]
            shap_s.append(seconds(explainer.explain, x)[0])
            what_s.append(seconds(what_if, pipeline, features, x, {features[0]: 0.9})[0])
            other = next(g for g in pipeline.classes_ if g != y_test[i * 97])
            near_s.append(seconds(nearest_of_genre, X_train, y_train, x, other, features)[0])
        importance, _ = seconds(importance_table, pipeline, X_test, y_test, features)
        shap_median = statistics.median(shap_s)
        print(
            f"{name:8} {fit:7.1f} {explainer.kind:>11} {build:8.3f} {shap_median:7.3f} "
            f"{build + shap_median:10.3f} {statistics.median(what_s):9.3f} "
            f"{statistics.median(near_s):9.3f} {importance:12.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
