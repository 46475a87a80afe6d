"""A real Chromium trains two logistic regressions on the Train page, then finds and compares
them on the Compare page (the runs went through the MLflow store, not the session)."""

import re

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import wait_drawn
from conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


def _pick(page: Page, label: str, option: str | re.Pattern) -> None:
    """Choose the first ``option`` still offered by the Streamlit multiselect ``label``."""
    box = page.get_by_test_id("stMultiSelect").filter(has_text=label)
    box.locator("input").click()
    page.get_by_role("option", name=option).first.click()
    page.keyboard.press("Escape")


def _train(page: Page, run: str) -> None:
    page.get_by_test_id("stButton").get_by_role("button", name="Train").click()
    cell = page.get_by_test_id("stDataFrame").locator("td", has_text=run)  # the leaderboard
    expect(cell.first).to_be_attached(timeout=240_000)
    wait_drawn(page)  # the job panel's rerun after the job has drawn the page again


def test_trained_models_appear_on_the_compare_page(page: Page, app_url: str):
    page.goto(app_url)
    wait_drawn(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Train").click()
    expect(page.get_by_role("heading", name="Train", level=1)).to_be_visible()
    _train(page, "#1 logreg (defaults)")
    page.get_by_text("Logistic regression hyperparameters").click()
    field = page.get_by_label("C", exact=True)
    field.fill("0.001")
    field.press("Enter")
    wait_drawn(page)
    _train(page, "#2 logreg (C=0.001)")
    assert page.get_by_test_id("stAlertContentWarning").count() == 0  # both runs were stored

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Compare runs").click()
    expect(page.get_by_role("heading", name="Compare runs", level=1)).to_be_visible()
    # other browser tests of the session may have stored runs too: the newest two are ours
    expect(page.get_by_text(re.compile(r"\d+ of \d+ runs; newest first"))).to_be_visible()
    wait_drawn(page)
    # a run's name says its model, features, split and data (newest first: ours)
    _pick(page, "Runs to compare", re.compile(r"^logreg · numeric · grouped by track_id 70\/30"))
    expect(page.get_by_text("Pick a second run to test it against the first.")).to_be_visible()
    _pick(
        page,
        "Runs to compare",
        re.compile(r"^logreg \(C=0\.001\) · numeric · grouped by track_id 70\/30"),
    )
    expect(page.get_by_role("heading", name="Metrics")).to_be_visible()
    expect(page.get_by_role("heading", name="Is the difference real?")).to_be_visible()
    verdict = page.get_by_text("they disagree on")
    expect(verdict.first).to_be_visible()
    expect(page.get_by_test_id("stMetric").filter(has_text="p-value")).to_be_visible()
    charts = page.get_by_test_id("stPlotlyChart")
    expect(charts).to_have_count(3)  # metric bars and two confusion matrices
    assert page.get_by_test_id("stException").count() == 0
    wait_drawn(page)
    page.screenshot(path=ARTIFACTS / "page-compare.png", full_page=True)
