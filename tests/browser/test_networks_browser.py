"""A real Chromium watches a network's curves grow, stops it, downloads it and predicts with it."""

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import open_page, screenshot, set_number, wait_drawn, wait_live_points

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


def test_watch_a_network_learn_stop_it_and_predict_with_its_file(
    page: Page, app_url: str, tmp_path
):
    open_page(page, app_url, "Networks")
    set_number(page, "Batch size", "512")  # spotify-30k: about 40 batches an epoch
    set_number(page, "Epochs", "300")
    page.get_by_role("button", name="Train network").click()
    expect(page.get_by_text("of 300 ·")).to_be_visible(timeout=60_000)
    seen = wait_live_points(page, 2)
    wait_live_points(page, seen + 1, timeout=30_000)  # the curve grows while we watch
    screenshot(page, "networks-training")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text("Stopped by you after")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)  # the live panel is gone
    wait_drawn(page)
    accuracy = page.get_by_test_id("stMetric").filter(has_text="Accuracy").first
    value = float(accuracy.get_by_test_id("stMetricValue").inner_text().rstrip("%"))
    assert 25 < value < 80  # six genres: guessing scores about 18%
    screenshot(page, "networks-stopped")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the network (.safetensors)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "genre-network.safetensors" and saved.stat().st_size > 1000
    uploader = page.get_by_test_id("stFileUploader").filter(has_text="Network file (.safetensors)")
    uploader.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(saved)
    expect(page.get_by_role("button", name="Predict", exact=True)).to_be_enabled()
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.get_by_text("tracks of spotify-30k predicted by genre-network")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
