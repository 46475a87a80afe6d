"""A real Chromium against `streamlit run`: every page draws without an exception box."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import open_page, screenshot, wait_drawn
from conftest import make_tracks, tracks_csv

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

# (title in the navigation, heading on the page)
PAGES = [
    ("Data", "Data"),
    ("Explore", "Explore"),
    ("Merge genres", "Merge genres"),
    ("Train", "Train"),
    ("Networks", "Networks"),
    ("Transfer", "Transfer learning"),
    ("Bayesian", "Bayesian models"),
    ("Search", "Search"),
    ("Compare runs", "Compare runs"),
]


@pytest.mark.parametrize(("title", "heading"), PAGES)
def test_every_page_draws_without_an_exception(page: Page, app_url: str, title, heading):
    open_page(page, app_url, title, heading)
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, title.lower().replace(" ", "-"))


def test_no_page_fetches_anything_from_another_host(page: Page, app_url: str):
    """Everything a page needs (its favicon included) comes from the lab's own server: a class
    behind a firewall, or offline, sees the same pages."""
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname or ""))
    for title, heading in PAGES:
        open_page(page, app_url, title, heading)
    assert hosts == {"127.0.0.1"}, hosts


def test_explore_shows_charts_and_statistics(page: Page, app_url: str):
    open_page(page, app_url, "Explore")
    assert page.get_by_test_id("stPlotlyChart").count() == 5
    expect(page.get_by_text("Descriptive statistics")).to_be_visible()
    page.get_by_test_id("stRadio").filter(has_text="histogram").get_by_text("violin").click()
    wait_drawn(page)
    assert page.get_by_test_id("stException").count() == 0


def test_upload_a_bad_then_a_good_file(page: Page, app_url: str, tmp_path):
    page.goto(app_url)
    wait_drawn(page)
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=re.compile("Upload your own CSV")).click()
    uploader = page.get_by_test_id("stFileUploaderDropzoneInput")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"genre,energy\npop,1\nrock,2,3\n")
    uploader.set_input_files(bad)
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text(
        "line 3 of bad.csv has 3 fields but the header has 2"
    )
    good = tmp_path / "good.csv"
    tracks_csv(good, 90)
    uploader.set_input_files(good)
    expect(page.get_by_test_id("stMetric").first).to_contain_text("Rows90")
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "data-upload")


def test_text_from_a_file_is_never_rendered_as_html(page: Page, app_url: str, tmp_path):
    frame = make_tracks(90, genres=("<b>pop</b>", "rock", "rap"))
    frame = frame.rename(columns={"energy": "<img src=x onerror=alert(1)>"})
    frame.iloc[:3, 4] = None  # gaps in that column: a warning names it
    path = tmp_path / "<b>songs.csv"
    frame.to_csv(path, index=False)
    page.goto(app_url)
    wait_drawn(page)
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=re.compile("Upload your own CSV")).click()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(path)
    expect(page.get_by_test_id("stAlertContentWarning").first).to_contain_text(
        "<img src=x onerror=alert(1)>"
    )
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Explore").click()
    expect(page.get_by_role("heading", name="Explore", level=1)).to_be_visible()
    wait_drawn(page)
    expect(page.get_by_text("<b>songs.csv: 90 rows")).to_be_visible()
    expect(page.locator(".legendtext", has_text="<b>pop</b>").first).to_be_visible()
    assert page.locator("img[src='x'], .main-svg b, [data-testid='stMarkdown'] b").count() == 0
