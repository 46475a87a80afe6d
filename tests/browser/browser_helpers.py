"""Driving the app in a real browser: waiting for a page to be fully drawn (shared with bench/),
opening a page, filling its inputs, watching the live curve, saving screenshots."""

from playwright.sync_api import Locator, Page, expect

from conftest import ARTIFACTS

# Drawn: the script finished, no skeleton is left, every plotly chart has its SVG, and the
# page has not grown for half a second (elements arrive in several messages).
DRAWN = """() => {
  const settled = () => {
    if (document.querySelector('[data-testid="stStatusWidget"]')) return -1;
    if (document.querySelector('[data-testid="stSkeleton"]')) return -1;
    const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]').length;
    const svgs = document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg').length;
    if (!document.querySelector('[data-testid="stMainBlockContainer"] h1')) return -1;
    return svgs >= charts ? document.querySelectorAll('[data-testid]').length : -1;
  };
  const now = settled();
  const ok = now >= 0 && now === window.__lastSettled && Date.now() - window.__since > 500;
  if (now !== window.__lastSettled) { window.__lastSettled = now; window.__since = Date.now(); }
  return ok;
}"""


def wait_drawn(page: Page) -> None:
    page.wait_for_function(DRAWN, timeout=60_000, polling=100)


# Points drawn in the first curve of the page's first plotly chart: the job panel's live curve.
LIVE_POINTS = """() => {
  const plot = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  return plot && plot.data ? plot.data[0].x.length : 0;
}"""


def open_page(page: Page, app_url: str, title: str, heading: str | None = None) -> None:
    """Open the app, follow the sidebar link ``title`` and wait until its page (headed
    ``heading``, or ``title``) is drawn."""
    page.goto(app_url)
    wait_drawn(page)
    if title != "Data":
        page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
        heading_locator = page.get_by_role("heading", name=heading or title, level=1)
        expect(heading_locator).to_be_visible(timeout=60_000)
        wait_drawn(page)


def enter(field: Locator, value: str) -> None:
    """Type ``value`` into ``field``, press Enter and wait for the page to redraw."""
    field.fill(value)
    field.press("Enter")
    wait_drawn(field.page)


def set_number(page: Page, label: str, value: str) -> None:
    enter(page.get_by_role("spinbutton", name=label, exact=True), value)


def apply_preset(page: Page, name: str) -> None:
    """Pick the preset ``name`` in the page's "Preset" box and apply it."""
    page.get_by_test_id("stSelectbox").filter(has_text="Preset").click()
    page.get_by_role("option", name=name).click()
    wait_drawn(page)
    page.get_by_role("button", name="Apply preset").click()
    wait_drawn(page)


def wait_live_points(page: Page, at_least: int, timeout: float = 60_000) -> int:
    """Wait until the live curve has ``at_least`` points; the number it has then."""
    page.wait_for_function(f"({LIVE_POINTS})() >= {at_least}", timeout=timeout, polling=200)
    return page.evaluate(LIVE_POINTS)


def screenshot(page: Page, name: str) -> None:
    """The whole page, saved as tests/artifacts/page-``name``.png to look at."""
    page.screenshot(path=ARTIFACTS / f"page-{name}.png", full_page=True)


def train_to_confusion(page: Page) -> Locator:
    """On the app already open, go to Train, train its default model and return the confusion
    matrix chart once drawn, scrolled into view."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Train").click()
    expect(page.get_by_role("heading", name="Train", level=1)).to_be_visible()
    page.get_by_test_id("stButton").get_by_role("button", name="Train").click()
    expect(page.get_by_role("heading", name="Evaluation")).to_be_visible(timeout=90_000)
    confusion = page.get_by_test_id("stPlotlyChart").filter(has_text="Confusion matrix")
    expect(confusion).to_have_count(1, timeout=60_000)
    confusion.scroll_into_view_if_needed()
    return confusion
