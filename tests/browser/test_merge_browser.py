"""A real Chromium runs the merge curve on the Merge page: the job panel's progress, then the
curve, the steps with the majority baseline, and the recipe the page shows."""

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import open_page, screenshot, set_number, wait_drawn

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


def test_the_merge_curve_runs_and_shows_its_recipe(page: Page, app_url: str):
    open_page(page, app_url, "Merge genres")
    set_number(page, "Stop at genres", "4")
    page.get_by_text("Recipe", exact=True).click()
    recipe = page.get_by_test_id("stCode").filter(has_text='"kind": "merge-curve"')
    expect(recipe).to_contain_text('"min_genres": 4')
    page.get_by_role("button", name="Merge step by step").click()
    table = page.get_by_test_id("stDataFrame").filter(has_text="majority baseline")
    expect(table).to_be_visible(timeout=240_000)
    expect(page.get_by_text("only the margin over that dotted line is skill")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    wait_drawn(page)
    screenshot(page, "merge")
