"""A real Chromium trains a logistic regression on the Train page, clicks a cell of its
confusion matrix and sees the tracks behind it."""

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import train_to_confusion, wait_drawn
from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

CELL_MARKERS = ".scatterlayer .trace .point"  # one invisible marker per cell, row by row


def test_a_confusion_cell_lists_its_tracks(page: Page, app_url: str):
    page.goto(app_url)
    confusion = train_to_confusion(page)
    expect(page.get_by_text("Click a cell to list the tracks behind it.")).to_be_visible()
    wait_drawn(page)
    markers = confusion.locator(CELL_MARKERS)
    expect(markers).to_have_count(36)  # spotify-30k's six genres, squared
    # row 0, column 1: the first genre's tracks taken for the second (logistic regression
    # confuses every pair of spotify-30k's genres a little)
    box = markers.nth(1).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    heading = page.get_by_text("test tracks of").first
    expect(heading).to_be_visible(timeout=30_000)
    expect(heading).to_contain_text("(wrong)")
    words = heading.inner_text().split()  # "160 test tracks of edm predicted latin (wrong):"
    count, true, predicted = int(words[0].replace(",", "")), words[4], words[6]
    assert count > 0 and true != predicted
    # the table's hidden accessible copy (the grid itself is a canvas): its header and rows
    table = page.get_by_test_id("stDataFrame").filter(has_text="p(predicted)").first
    for column in ("title", "artist", "true genre", "predicted genre", "p(true)"):
        expect(table.locator("th", has_text=column).first).to_be_attached()
    expect(table.locator("table")).to_have_attribute("aria-rowcount", str(count + 1))
    expect(table.locator("td", has_text=predicted).first).to_be_attached()
    expect(page.get_by_text("The surest answers first")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    wait_drawn(page)
    table.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / "page-cell-tracks.png", full_page=True)
