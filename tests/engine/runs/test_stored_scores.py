"""Every logged run keeps its test rows' probabilities, so its report draws precision-recall
curves, and a bundle carries them to another machine."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import tracks_csv
from genre_core import experiments
from genre_core.reports import report_html
from genre_core.runs import history
from genre_core.runs.bundle import build_bundle
from genre_core.runs.bundle_import import import_bundle


def _logged(recipe: dict) -> str:
    (run_id,) = experiments.run(experiments.load_recipe(recipe)).run_ids
    return run_id


@pytest.mark.parametrize(
    "recipe",
    [
        {"kind": "train", "models": [{"name": "logreg"}]},
        {"kind": "net", "params": {"max_epochs": 2, "hidden": [8]}},
        {
            "kind": "bayes",
            "n_train": 60,
            "n_test": 30,
            "params": {"model": "logreg", "steps": 40},
        },  # fmt: skip
    ],
    ids=["train", "net", "bayes"],
)
def test_a_logged_run_stores_each_genres_probability(store, tmp_path, recipe):
    path = tracks_csv(tmp_path / "mine.csv", 150, seed=7)
    run_id = _logged({**recipe, "data": {"source": str(path)}})
    details = history.load_run(run_id)
    scores = details.predictions[[f"proba.{genre}" for genre in details.classes]].to_numpy()
    assert np.allclose(scores.sum(axis=1), 1, atol=1e-3)
    predicted = np.asarray(details.classes)[scores.argmax(axis=1)]
    assert (predicted == details.predictions["pred"]).mean() > 0.9  # the model's own answers
    html = report_html([run_id])
    assert "cannot be drawn" not in html and "PR-AUC" in html


def test_a_bundle_carries_the_probabilities(store, tmp_path):
    path = tracks_csv(tmp_path / "mine.csv", 150, seed=7)
    run_id = _logged({"kind": "train", "data": {"source": str(path)},
                      "models": [{"name": "logreg"}]})  # fmt: skip
    bundle = build_bundle(run_id, data=path)
    imported = history.load_run(import_bundle(bundle.zip_bytes()))
    original = history.load_run(run_id)
    columns = [f"proba.{genre}" for genre in original.classes]
    assert np.allclose(imported.predictions[columns], original.predictions[columns])
