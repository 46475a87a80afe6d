"""A class trains at once: eight browser sessions press Train together and every one of them
sees its own result (with five or more, pages once stayed on "fitting ..." for good)."""

import pytest
from playwright.sync_api import Browser, expect

from browser_helpers import open_page, screenshot, wait_drawn

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

SESSIONS = 8


def test_eight_sessions_training_at_once_all_see_their_result(browser: Browser, app_url: str):
    contexts = [
        browser.new_context(viewport={"width": 1400, "height": 1600}) for _ in range(SESSIONS)
    ]
    try:
        pages = []
        for context in contexts:
            page = context.new_page()
            page.set_default_timeout(120_000)
            open_page(page, app_url, "Train")
            expect(page.get_by_text("No model trained yet")).to_be_visible(timeout=60_000)
            pages.append(page)
        for page in pages:
            page.get_by_test_id("stButton").get_by_role("button", name="Train").click()
        for page in pages:
            # eight logistic regressions queue on the engine's workers: a few seconds each
            expect(page.get_by_role("heading", name="Evaluation")).to_be_visible(timeout=300_000)
            accuracy = page.get_by_test_id("stMetric").filter(has_text="Accuracy").first
            expect(accuracy).to_contain_text("%", timeout=120_000)
        for page in pages:  # every page is still alive and draws its whole result
            wait_drawn(page)
            # confusion, precision-recall, ROC, reliability, abstention and the leaderboard
            expect(page.get_by_test_id("stPlotlyChart")).to_have_count(6, timeout=120_000)
            assert page.get_by_test_id("stException").count() == 0
            expect(page.get_by_text("#1 logreg (defaults)").first).to_be_visible(timeout=60_000)
        screenshot(pages[-1], "class-of-eight")
    finally:
        for context in contexts:
            context.close()
