"""The "Sample rows (0 = all)" input of the Networks, Transfer and Merge pages: its value is the
recipe's ``data.sample`` (0: none), and a loaded recipe's sample fills it. (The Train page's
is tested with a run in test_train_page.py.)"""

from __future__ import annotations

import pytest

from conftest import app_with_upload, make_tracks, recipe_texts
from genre_core import experiments
from genre_core.experiments.merge_curve import MergeCurveSpec
from genre_core.experiments.net import NetSpec
from genre_core.experiments.recipe import DataSpec
from genre_core.experiments.transfer import TransferSpec

PAGES = {  # page: (key prefix, recipe kind, a recipe of the kind with a sample of 70 rows)
    "networks": ("nets", "net", NetSpec(DataSpec("mine.csv", sample=70))),
    "transfer": (
        "transfer",
        "transfer",
        TransferSpec(
            DataSpec("mine.csv", sample=70), source_genres=("pop", "rock"), new_genre="rap"
        ),
    ),  # fmt: skip
    "merge": ("merge", "merge-curve", MergeCurveSpec(DataSpec("mine.csv", sample=70))),
}


def shown_recipe(at, kind: str):
    return experiments.load_recipe(next(t for t in recipe_texts(at) if f'"kind": "{kind}"' in t))


@pytest.mark.parametrize("page", list(PAGES))
def test_the_sample_input_is_the_recipes_sample(page):
    prefix, kind, loaded = PAGES[page]
    at = app_with_upload(make_tracks(240, genres=("pop", "rock", "rap", "edm")), page)
    assert not at.exception
    at.number_input(key=f"{prefix}.sample").set_value(120).run()
    assert shown_recipe(at, kind).data.sample == 120
    at.number_input(key=f"{prefix}.sample").set_value(0).run()
    assert shown_recipe(at, kind).data.sample is None  # 0: all rows
    at.session_state[f"{prefix}.loaded"] = loaded
    at.run()
    assert not at.exception
    assert at.number_input(key=f"{prefix}.sample").value == 70
    assert shown_recipe(at, kind).data.sample == 70
