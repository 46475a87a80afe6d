"""A real Chromium runs the merge curve on the Merge page: the job panel's progress, then the
curve, the steps with the majority baseline, and the recipe the page shows."""

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import wait_drawn
from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


def test_the_merge_curve_runs_and_shows_its_recipe(page: Page, app_url: str):
    page.goto(app_url)
    wait_drawn(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Merge genres").click()
    expect(page.get_by_role("heading", name="Merge genres", level=1)).to_be_visible()
    wait_drawn(page)
    field = page.get_by_role("spinbutton", name="Stop at genres")
    field.fill("4")
    field.press("Enter")
    wait_drawn(page)
    page.get_by_text("Recipe", exact=True).click()
    recipe = page.get_by_test_id("stCode").filter(has_text='"kind": "merge-curve"')
    expect(recipe).to_contain_text('"min_genres": 4')
    page.get_by_role("button", name="Merge step by step").click()
    table = page.get_by_test_id("stDataFrame").filter(has_text="majority baseline")
    expect(table).to_be_visible(timeout=240_000)
    expect(page.get_by_text("only the margin over that dotted line is skill")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    wait_drawn(page)
    page.screenshot(path=ARTIFACTS / "page-merge.png", full_page=True)
