"""Jobs outlive their tab: a reload finds the running network and its curve goes on growing;
another student's browser never sees it."""

import pytest
from playwright.sync_api import Browser, expect

from browser_helpers import open_page, screenshot, set_number, wait_drawn, wait_live_points

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


def test_a_reload_finds_the_running_network_and_another_browser_does_not(
    browser: Browser, app_url: str
):
    student = browser.new_context(viewport={"width": 1400, "height": 2400})
    stranger = browser.new_context(viewport={"width": 1400, "height": 2400})
    try:
        page = student.new_page()
        page.set_default_timeout(60_000)
        open_page(page, app_url, "Networks")
        set_number(page, "Batch size", "512")
        set_number(page, "Epochs", "300")
        page.get_by_role("button", name="Train network").click()
        seen = wait_live_points(page, 2, timeout=120_000)
        assert "nets=" in page.url  # the job's id is in the address: a reload keeps it

        page.reload()
        expect(page.get_by_role("heading", name="Networks", level=1)).to_be_visible()
        again = wait_live_points(page, seen, timeout=120_000)  # the curve so far, at once
        wait_live_points(page, again + 1, timeout=120_000)  # and it keeps growing
        screenshot(page, "reattached-after-reload")

        other = stranger.new_page()
        other.set_default_timeout(60_000)
        open_page(other, app_url, "Networks")
        expect(other.get_by_role("button", name="Stop", exact=True)).to_have_count(0)
        expect(other.get_by_test_id("stProgress")).to_have_count(0)
        expect(other.get_by_role("button", name="Train network")).to_be_enabled()
        screenshot(other, "reattach-stranger")

        page.get_by_role("button", name="Stop", exact=True).click()
        expect(page.get_by_text("Stopped by you after")).to_be_visible(timeout=120_000)
        wait_drawn(page)
        assert page.get_by_test_id("stException").count() == 0
    finally:
        student.close()
        stranger.close()
