"""A real Chromium picks a seed's LSTM on the Networks page, watches it learn and stops it."""

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import (
    apply_preset,
    enter,
    open_page,
    screenshot,
    set_number,
    wait_drawn,
    wait_live_points,
)

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


def test_a_seed_lstm_learns_live_on_spotify_and_stops(page: Page, app_url: str):
    open_page(page, app_url, "Networks")
    apply_preset(page, "Dense(250) → LSTM(80)")
    expect(page.get_by_role("combobox", name="Architecture")).to_have_value(
        "LSTM over the feature sequence (one feature per step)"
    )
    expect(page.get_by_role("textbox", name="Recurrent layers")).to_have_value("80")
    # the preset's new widgets push the old ones down: wait until the stale copies are gone
    expect(page.get_by_label("Batch size", exact=True)).to_have_count(1, timeout=30_000)
    set_number(page, "Batch size", "512")
    # narrower than the seed's, so that two shared cores draw epochs within seconds
    set_number(page, "Dense units on every step", "32")
    enter(page.get_by_role("textbox", name="Recurrent layers"), "16")
    set_number(page, "Epochs", "300")
    page.get_by_text("Layers for this data").click()
    expect(page.get_by_text("LSTM(32, 16, batch_first=True)")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Train network").click()
    expect(page.get_by_text("of 300 ·")).to_be_visible(timeout=60_000)
    seen = wait_live_points(page, 2, timeout=90_000)
    wait_live_points(page, seen + 1)  # the curve grows while we watch
    screenshot(page, "networks-lstm-training")
    page.get_by_role("button", name="Stop", exact=True).click()
    # evaluating (a 1000-draw bootstrap) takes long on two cores shared by several jobs
    try:
        expect(page.get_by_text("Stopped by you after")).to_be_visible(timeout=180_000)
    finally:
        screenshot(page, "networks-lstm-after-stop")
    wait_drawn(page)
    accuracy = page.get_by_test_id("stMetric").filter(has_text="Accuracy").first
    value = float(accuracy.get_by_test_id("stMetricValue").inner_text().rstrip("%"))
    assert 20 < value < 80  # six genres: guessing scores about 18%
    screenshot(page, "networks-lstm-stopped")
    assert page.get_by_test_id("stException").count() == 0


def test_the_title_model_preset_shows_its_settings_and_layers(page: Page, app_url: str):
    open_page(page, app_url, "Networks")
    apply_preset(page, "Title LSTM + numeric MLP")
    expect(page.get_by_text("Titles: track_name + track_album_name")).to_be_visible()
    expect(page.get_by_role("spinbutton", name="Words read per title")).to_have_value("16")
    page.get_by_text("Layers for this data").click()
    expect(page.get_by_text("(embed): Embedding(5002, 32, padding_idx=0)")).to_be_visible()
    expect(page.get_by_text("(out): Linear(in_features=96, out_features=6")).to_be_visible()
    screenshot(page, "networks-title-model")
    assert page.get_by_test_id("stException").count() == 0
