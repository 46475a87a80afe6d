"""The Data page measures how much of the accuracy a random split would fake, and lists the
shortcuts of an uploaded table."""

from __future__ import annotations

import numpy as np

from conftest import app_with_upload, copied_songs, poll_page, recipe_texts


def test_the_fake_part_of_a_random_split_is_measured_and_said_in_words():
    at = app_with_upload(copied_songs(150))
    # the form starts from the recipe's defaults
    assert at.selectbox(key="data.fake.model").value == "hgb"
    assert at.number_input(key="data.fake.test").value == 0.2
    at.selectbox(key="data.fake.model").set_value("hgb")
    at.button(key="data.fake.start").click().run()
    assert not at.exception and not at.error
    job = at.session_state["data.fake.job"]
    poll_page(at, lambda: not job.running, timeout=120, failure="the job did not end")
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    random = float(metrics["Random split"].rstrip("%"))
    grouped = float(metrics["Grouped by song"].rstrip("%"))
    assert random > grouped + 20  # copies of test songs in training fake the random split
    assert metrics["Fake part"].startswith("+")
    words = " ".join(m.value for m in at.markdown)
    assert "test tracks" in words and "were also in training" in words


def test_a_unit_shortcut_of_an_upload_is_listed():
    frame = copied_songs(copies=1, songs=600)
    frame["duration_ms"] = np.where(frame["genre"] == "rock", 3.5, 210_000.0)
    at = app_with_upload(frame)
    table = next(t.value for t in at.dataframe if "fix" in t.value.columns)
    found = set(zip(table["feature"], table["kind"], strict=True))
    assert ("duration_ms", "scale") in found and {f for f, _ in found} == {"duration_ms"}


def test_one_click_drops_or_flags_a_shortcut_and_every_recipe_carries_it():
    from genre_core.experiments import load_recipe

    frame = copied_songs(copies=1, songs=600)
    frame["duration_ms"] = np.where(frame["genre"] == "rock", 3.5, 210_000.0)
    at = app_with_upload(frame)
    at.button(key="data.fix.flag.0").click().run()
    assert at.session_state["data.fixes"] == ["flag:duration_ms"]
    at.button(key="data.fix.drop.0").click().run()
    assert at.session_state["data.fixes"] == ["flag:duration_ms", "drop:duration_ms"]
    assert not at.exception and not at.error
    at.switch_page("../pages/train.py").run()
    recipe = load_recipe(next(t for t in recipe_texts(at) if '"kind": "train"' in t))
    assert recipe.data.fixes == ("flag:duration_ms", "drop:duration_ms")
    assert "duration_ms_flag" in recipe.data.features and "duration_ms" not in recipe.data.features
    at.switch_page("../pages/data.py").run()
    at.button(key="data.fix.undo").click().run()
    assert at.session_state["data.fixes"] == [] and not at.exception
