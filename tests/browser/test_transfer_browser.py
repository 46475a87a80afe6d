"""A real Chromium runs a short transfer comparison on spotify-30k and reads its table."""

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import open_page, screenshot, set_number, wait_drawn, wait_live_points

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


def test_compare_freeze_fine_tune_and_scratch_on_a_new_genre(page: Page, app_url: str):
    open_page(page, app_url, "Transfer", "Transfer learning")
    # spotify-30k: the report's five genres and edm are the defaults
    source = page.get_by_test_id("stMultiSelect").filter(has_text="Source genres")
    for genre in ("pop", "rap", "rock", "latin", "r&b"):
        expect(source.get_by_text(genre, exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="Genre to add")).to_have_value("edm")
    set_number(page, "Batch size", "256")  # about 80 batches an epoch
    set_number(page, "Epochs", "5")
    set_number(page, "Target accuracy", "0.45")
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_text("Source network (1 of 4): epoch")).to_be_visible(timeout=180_000)
    wait_live_points(page, 1)
    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_visible()
    screenshot(page, "transfer-running")
    expect(page.get_by_text("Compared 3 options on 6 genres")).to_be_visible(timeout=240_000)
    wait_drawn(page)
    table = page.get_by_test_id("stTable")
    expect(table).to_be_visible()
    for option in ("Frozen body, new output layer", "Fine-tune all layers", "From scratch"):
        expect(table.get_by_text(option, exact=True)).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    headers = table.locator("thead th").all_inner_texts()
    accuracy = headers.index("test accuracy")
    for i in range(3):
        value = float(rows.nth(i).locator("th, td").nth(accuracy).inner_text().rstrip("%"))
        assert 20 < value < 80  # six genres: guessing scores about 18%
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "transfer-result")
