"""What every recipe shares: the data choice, the JSON codec and messages naming the field."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from conftest import make_tracks
from genre_core import experiments
from genre_core.data.splits import SplitSpec
from genre_core.data.uploads import keep_upload, stored_upload
from genre_core.errors import DataError
from genre_core.experiments.recipe import DataSpec, Recipe, RecipeError


@dataclass(frozen=True)
class ToySpec(Recipe):
    kind: ClassVar[str] = "toy"
    data: DataSpec = DataSpec()
    split: SplitSpec = SplitSpec()
    params: dict[str, Any] = field(default_factory=dict)
    models: tuple[str, ...] = ("logreg",)
    folds: int = 0
    rate: float = 0.5
    note: str | None = None


def test_a_recipe_round_trips_through_json():
    spec = ToySpec(
        DataSpec(
            "mine.csv",
            "ab" * 32,
            "genre",
            ("tempo",),
            genres=("pop", "rock"),
            merge={"rap": "hip hop", "trap": None},
        ),  # fmt: skip
        SplitSpec.of("group", "artist", test=0.2, validation=0.1, seed=3),
        {"hidden": [64, 32]},
        ("logreg", "rf"),
        5,
    )
    text = spec.to_json()
    again = ToySpec.from_dict(json.loads(text))
    assert again.data == spec.data and again.split == spec.split and again.models == spec.models
    assert json.loads(text)["kind"] == "toy"


@pytest.mark.parametrize("kind", list(experiments.KINDS))
def test_every_kind_module_keeps_the_contract(kind):
    spec_class = experiments.module(kind).Spec
    assert experiments.recipe_class(kind) is spec_class and spec_class.kind == kind
    names = spec_class.options().names
    assert len(names) == len(set(names))  # one CLI option per setting


@pytest.mark.parametrize(
    "change, message",
    [
        ({"folds": "five"}, "folds: expected a whole number"),
        ({"rate": "high"}, "rate: expected a number"),
        ({"models": "logreg"}, "models: expected a list"),
        ({"colour": 1}, "colour: no such field"),
        ({"split": {"method": "random"}}, "split.method: must be one of stratified, group"),
        ({"split": {"test": 0.0, "train": 1.0}}, "split: train and test fractions"),
        ({"data": {"source": 3}}, "data.source: expected a text"),
        ({"data": {"genre": "pop"}}, "data.genre: no such field"),
    ],
)
def test_a_bad_field_is_named(change, message):
    data = {**ToySpec().to_dict(), **change}
    with pytest.raises(RecipeError, match=message):
        ToySpec.from_dict(data)


def test_load_recipe_refuses_what_is_not_a_recipe():
    with pytest.raises(RecipeError, match="not valid JSON"):
        experiments.load_recipe("{nope")
    with pytest.raises(RecipeError, match="kind: missing"):
        experiments.load_recipe("{}")
    with pytest.raises(RecipeError, match="kind: unknown kind 'toy'"):
        experiments.load_recipe(ToySpec().to_json())
    with pytest.raises(RecipeError, match="JSON object"):
        experiments.load_recipe("[1, 2]")


def test_a_split_from_shares_and_from_the_command_line():
    split = SplitSpec.parse("group:artist", test=0.2, validation=0.2, seed=1)
    assert (split.method, split.group_column, split.train, split.seed) == (
        "group",
        "artist",
        0.6,
        1,
    )
    assert SplitSpec.parse("random", test=0.3) == SplitSpec.of("stratified", test=0.3)
    assert split.text == "grouped by artist 60/20/20"
    with pytest.raises(DataError, match="'group:COLUMN'"):
        SplitSpec.parse("group")
    with pytest.raises(DataError, match="leave rows for training"):
        SplitSpec.of(test=0.6, validation=0.5)


def test_a_data_spec_applies_roles_merges_and_genres(tmp_path):
    path = tmp_path / "mine.csv"
    make_tracks(90, genres=("pop", "rock", "rap")).to_csv(path, index=False)
    spec = DataSpec(str(path), label="genre", features=("tempo", "energy"),
                    merge={"rap": "hip hop"}, genres=("pop", "hip hop"))  # fmt: skip
    dataset = spec.load()
    assert dataset.roles.features == ("tempo", "energy")
    assert sorted(dataset.labels.unique()) == ["hip hop", "pop"]
    assert len(dataset.frame) == 60


def test_an_upload_is_found_by_its_hash_and_a_changed_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GENRE_CACHE_DIR", str(tmp_path / "cache"))
    raw = make_tracks(60).to_csv(index=False).encode()
    digest = keep_upload(raw)
    assert stored_upload(digest) == raw and stored_upload("../../etc/passwd") is None
    dataset = DataSpec("mine.csv", digest, label="genre").load()
    assert len(dataset.frame) == 60
    path = tmp_path / "mine.csv"
    path.write_bytes(raw + b"\n")
    with pytest.raises(RecipeError, match="data.sha256: mine.csv is not the file"):
        DataSpec(str(path), digest).load()
    with pytest.raises(RecipeError, match="data.source: 'gone.csv' is neither"):
        DataSpec("gone.csv", "0" * 64).load()
