"""A real Chromium picks a seed's LSTM on the Networks page, watches it learn and stops it."""

import pytest
from playwright.sync_api import Page, expect
from test_networks_browser import LIVE_POINTS, _set_number

from browser_helpers import wait_drawn
from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


def test_a_seed_lstm_learns_live_on_spotify_and_stops(page: Page, app_url: str):
    page.goto(app_url)
    wait_drawn(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Networks").click()
    expect(page.get_by_role("heading", name="Networks", level=1)).to_be_visible(timeout=60_000)
    wait_drawn(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Preset").click()
    page.get_by_role("option", name="Dense(250) → LSTM(80)").click()
    wait_drawn(page)
    page.get_by_role("button", name="Apply preset").click()
    wait_drawn(page)
    expect(page.get_by_role("combobox", name="Architecture")).to_have_value(
        "LSTM over the feature sequence (one feature per step)"
    )
    expect(page.get_by_role("textbox", name="Recurrent layers")).to_have_value("80")
    # the preset's new widgets push the old ones down: wait until the stale copies are gone
    expect(page.get_by_label("Batch size", exact=True)).to_have_count(1, timeout=30_000)
    _set_number(page, "Batch size", "512")
    # narrower than the seed's, so that two shared cores draw epochs within seconds
    _set_number(page, "Dense units on every step", "32")
    field = page.get_by_role("textbox", name="Recurrent layers")
    field.fill("16")
    field.press("Enter")
    wait_drawn(page)
    _set_number(page, "Epochs", "300")
    page.get_by_text("Layers for this data").click()
    expect(page.get_by_text("LSTM(32, 16, batch_first=True)")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Train network").click()
    expect(page.get_by_text("of 300 ·")).to_be_visible(timeout=60_000)
    page.wait_for_function(f"({LIVE_POINTS})() >= 2", timeout=90_000, polling=200)
    seen = page.evaluate(LIVE_POINTS)
    page.wait_for_function(f"({LIVE_POINTS})() > {seen}", timeout=60_000, polling=200)
    page.screenshot(path=ARTIFACTS / "page-networks-lstm-training.png", full_page=True)
    page.get_by_role("button", name="Stop", exact=True).click()
    # evaluating (a 1000-draw bootstrap) takes long on two cores shared by several jobs
    try:
        expect(page.get_by_text("Stopped by you after")).to_be_visible(timeout=180_000)
    finally:
        page.screenshot(path=ARTIFACTS / "page-networks-lstm-after-stop.png", full_page=True)
    wait_drawn(page)
    accuracy = page.get_by_test_id("stMetric").filter(has_text="Accuracy").first
    value = float(accuracy.get_by_test_id("stMetricValue").inner_text().rstrip("%"))
    assert 20 < value < 80  # six genres: guessing scores about 18%
    page.screenshot(path=ARTIFACTS / "page-networks-lstm-stopped.png", full_page=True)
    assert page.get_by_test_id("stException").count() == 0


def test_the_title_model_preset_shows_its_settings_and_layers(page: Page, app_url: str):
    page.goto(app_url)
    wait_drawn(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Networks").click()
    expect(page.get_by_role("heading", name="Networks", level=1)).to_be_visible(timeout=60_000)
    wait_drawn(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Preset").click()
    page.get_by_role("option", name="Title LSTM + numeric MLP").click()
    wait_drawn(page)
    page.get_by_role("button", name="Apply preset").click()
    wait_drawn(page)
    expect(page.get_by_text("Titles: track_name + track_album_name")).to_be_visible()
    expect(page.get_by_role("spinbutton", name="Words read per title")).to_have_value("16")
    page.get_by_text("Layers for this data").click()
    expect(page.get_by_text("(embed): Embedding(5002, 32, padding_idx=0)")).to_be_visible()
    expect(page.get_by_text("(out): Linear(in_features=96, out_features=6")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "page-networks-title-model.png", full_page=True)
    assert page.get_by_test_id("stException").count() == 0
