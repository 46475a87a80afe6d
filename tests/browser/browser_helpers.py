"""Waiting for a Streamlit page to be fully drawn; shared by the browser tests and bench/."""

from playwright.sync_api import Page

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
