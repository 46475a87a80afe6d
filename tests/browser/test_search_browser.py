"""A real Chromium runs a small study from the Search page and sees its trials arrive."""

import uuid

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import enter, open_page, screenshot, set_number, wait_drawn
from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


def test_run_a_small_study_and_see_its_trials(page: Page, app_url: str):
    open_page(page, app_url, "Search")
    page.get_by_text("Storage and other machines").click()
    # the storage is the server's own (a page offers only what the settings allow): a fresh
    # study name keeps this run apart from earlier ones there
    study = f"browser-study-{uuid.uuid4().hex[:8]}"
    enter(page.get_by_role("textbox", name="Study name"), study)
    command = page.get_by_test_id("stCode").filter(has_text=f"--study {study}")
    expect(command).to_be_visible()
    set_number(page, "Trials", "60")
    enter(page.get_by_role("textbox", name="Rows sampled"), "1500")
    screenshot(page, "search-setup")
    page.get_by_role("button", name="Start search").click()
    expect(page.get_by_text("of 60 trials")).to_be_visible(timeout=60_000)
    # Trials stream in while it runs: the best-so-far text, the live chart and table.
    expect(page.get_by_text("best so far 0.")).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=30_000)
    wait_drawn(page)
    screenshot(page, "search-running")
    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text("Stopped after")).to_be_visible(timeout=60_000)
    wait_drawn(page)
    completed = page.get_by_test_id("stMetric").filter(has_text="Completed").first
    value = int(completed.get_by_test_id("stMetricValue").inner_text())
    assert 1 <= value < 60
    expect(page.get_by_text("Trials and the best so far").first).to_be_visible()
    screenshot(page, "search-done")
    for tab, shot in (
        ("The Genre Factor, Fig. 3", "search-fig3"),
        ("Parallel coordinates", "search-parallel"),
        ("Importances", "search-importances"),
    ):
        page.get_by_role("tab", name=tab).click()
        wait_drawn(page)
        chart = page.locator('[data-testid="stPlotlyChart"]:visible').nth(1)
        expect(chart).to_be_visible()
        chart.screenshot(path=ARTIFACTS / f"{shot}.png")
    expect(page.get_by_role("button", name="Train the best into the run history")).to_be_visible()
    page.get_by_text("Recipe", exact=True).click()
    expect(page.get_by_test_id("stCode").filter(has_text='"kind": "search"')).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
