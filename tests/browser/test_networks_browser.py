"""A real Chromium watches a network's curves grow, stops it, downloads it and predicts with it."""

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import wait_drawn
from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

LIVE_POINTS = """() => {
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  return plot && plot.data ? plot.data[0].x.length : 0;
}"""


def _set_number(page: Page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    wait_drawn(page)


def test_watch_a_network_learn_stop_it_and_predict_with_its_file(
    page: Page, app_url: str, tmp_path
):
    page.goto(app_url)
    wait_drawn(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Networks").click()
    expect(page.get_by_role("heading", name="Networks", level=1)).to_be_visible()
    wait_drawn(page)
    _set_number(page, "Batch size", "512")  # spotify-30k: about 40 batches an epoch
    _set_number(page, "Epochs", "300")
    page.get_by_role("button", name="Train network").click()
    expect(page.get_by_text("of 300 ·")).to_be_visible(timeout=60_000)
    page.wait_for_function(f"({LIVE_POINTS})() >= 2", timeout=60_000, polling=200)
    seen = page.evaluate(LIVE_POINTS)
    page.wait_for_function(f"({LIVE_POINTS})() > {seen}", timeout=30_000, polling=200)
    page.screenshot(path=ARTIFACTS / "page-networks-training.png", full_page=True)
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text("Stopped by you after")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)  # the live panel is gone
    wait_drawn(page)
    accuracy = page.get_by_test_id("stMetric").filter(has_text="Accuracy").first
    value = float(accuracy.get_by_test_id("stMetricValue").inner_text().rstrip("%"))
    assert 25 < value < 80  # six genres: guessing scores about 18%
    page.screenshot(path=ARTIFACTS / "page-networks-stopped.png", full_page=True)
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
