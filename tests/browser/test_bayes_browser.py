"""A real Chromium fits a Bayesian model from the Bayesian page and sees its posterior."""

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import wait_drawn
from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


def test_fit_a_posterior_from_the_bayesian_page(page: Page, app_url: str):
    page.goto(app_url)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Bayesian").click()
    # the first visit imports Pyro and torch: seconds on a busy shared machine
    heading = page.get_by_role("heading", name="Bayesian models", level=1)
    expect(heading).to_be_visible(timeout=60_000)
    expect(page.get_by_text("No posterior yet")).to_be_visible()
    rows = page.get_by_role("spinbutton", name="Training rows")
    rows.fill("500")
    rows.press("Enter")
    wait_drawn(page)
    page.get_by_role("button", name="Fit").click()
    expect(page.get_by_role("heading", name="Posterior")).to_be_visible(timeout=180_000)
    wait_drawn(page)
    accuracy = page.get_by_test_id("stMetric").filter(has_text="Accuracy").first
    value = float(accuracy.get_by_test_id("stMetricValue").inner_text().rstrip("%"))
    assert 25 < value < 75  # spotify-30k's six genres from 500 rows: about 40%
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts.filter(has_text="Coefficients for")).to_have_count(1)
    expect(charts.filter(has_text="Predictive entropy of each test track")).to_have_count(1)
    assert page.get_by_test_id("stException").count() == 0
    page.set_viewport_size({"width": 1400, "height": 6000})
    wait_drawn(page)
    page.screenshot(path=ARTIFACTS / "page-bayes.png", full_page=True)
