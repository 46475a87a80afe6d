"""Issue 17 in a real Chromium: a genre named with HTML is shown as typed in the confusion matrix,
and switching dataset shows the new dataset's roles and genres (the browser keeps a widget's
old value where the script does not put the new one in)."""

import re

import pytest
from playwright.sync_api import Page, expect

from browser_helpers import screenshot, train_to_confusion, wait_drawn
from conftest import ARTIFACTS, make_tracks

pytestmark = [pytest.mark.browser, pytest.mark.realdata]

HTML_GENRE = "<b>html genre</b>"


def _choose_dataset(page: Page, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text="Dataset").click()
    page.get_by_role("option", name=re.compile(option)).click()
    wait_drawn(page)


def _multiselect(page: Page, label: str):
    """The multiselect whose label is ``label`` (its chips may hold any text)."""
    name = page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True)
    return page.get_by_test_id("stMultiSelect").filter(has=name)


def _metric(page: Page, label: str):
    return page.get_by_test_id("stMetric").filter(has_text=label).first


def test_an_html_genre_is_shown_as_typed_in_the_confusion_matrix(
    page: Page, app_url: str, tmp_path
):
    path = tmp_path / "html-genres.csv"
    make_tracks(120, genres=(HTML_GENRE, "rock", "a & b")).to_csv(path, index=False)
    page.goto(app_url)
    wait_drawn(page)
    _choose_dataset(page, "Upload your own CSV")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(path)
    expect(_metric(page, "Rows")).to_contain_text("120")
    confusion = train_to_confusion(page)
    # the tick labels read the tags as typed; plotly draws <b> as a bold tspan, tags gone
    expect(confusion.locator(".xtick", has_text=HTML_GENRE)).to_have_count(1)
    expect(confusion.locator(".ytick", has_text=HTML_GENRE)).to_have_count(1)
    expect(confusion.locator(".xtick", has_text="a & b")).to_have_count(1)
    assert confusion.locator("tspan[style*='bold']", has_text="html genre").count() == 0
    wait_drawn(page)
    confusion.screenshot(path=ARTIFACTS / "train-confusion-html-genre.png")
    assert page.get_by_test_id("stException").count() == 0


def test_switching_dataset_shows_its_roles_and_apply_keeps_every_row(page: Page, app_url: str):
    page.goto(app_url)
    wait_drawn(page)
    _choose_dataset(page, "^music-genre-11 — ")
    expect(_metric(page, "Rows")).to_contain_text("17,996")
    genres = _multiselect(page, "Genres to keep")
    expect(genres).to_contain_text("Acoustic/Folk")
    expect(genres).not_to_contain_text("edm")
    features = _multiselect(page, "Numeric features")
    expect(features).to_contain_text("popularity")
    expect(features).to_contain_text("time_signature")
    titles = _multiselect(page, "Title columns (text)")
    expect(titles).to_contain_text("Track Name")
    screenshot(page, "data-switched-music-genre-11")

    _choose_dataset(page, "^spotify-youtube — ")
    expect(_metric(page, "Rows")).to_contain_text("13,260")
    expect(features).to_contain_text("Danceability")
    expect(genres).to_contain_text("alternative rock")
    page.get_by_role("button", name="Apply roles").click()
    wait_drawn(page)
    expect(_metric(page, "Rows")).to_contain_text("13,260")
    expect(_metric(page, "Genres")).to_contain_text("27")
    expect(_metric(page, "Numeric features")).to_contain_text("18")
    assert page.get_by_test_id("stException").count() == 0
    screenshot(page, "data-switched-spotify-youtube")
