"""The app's pages, listed once for app.py and for links between pages."""

from pathlib import Path

import streamlit as st

from dashboard.classroom import active, open_pages

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

# (file, title, icon); the first is the default page
PAGE_TABLE = (
    ("data.py", "Data", ":material/table:"),
    ("explore.py", "Explore", ":material/insights:"),
    ("merge.py", "Merge genres", ":material/merge:"),
    ("train.py", "Train", ":material/model_training:"),
    ("explain.py", "Explain", ":material/psychology_alt:"),
    ("networks.py", "Networks", ":material/hub:"),
    ("transfer.py", "Transfer", ":material/move_up:"),
    ("bayes.py", "Bayesian", ":material/function:"),
    ("search.py", "Search", ":material/tune:"),
    ("compare.py", "Compare runs", ":material/compare:"),
    ("board.py", "Class board", ":material/leaderboard:"),
    ("guess.py", "Guess the genre", ":material/quiz:"),
)
CLASSROOM_PAGES = ("board.py", "guess.py")  # listed only when a lesson opens them


def page_table(open_pages: tuple[str, ...] | None = None) -> tuple:
    """The rows of :data:`PAGE_TABLE` listed: a lesson's ``open_pages`` (file names), or
    without a lesson every page but the classroom's."""
    if open_pages is None:
        return tuple(row for row in PAGE_TABLE if row[0] not in CLASSROOM_PAGES)
    return tuple(row for row in PAGE_TABLE if row[0] in open_pages)


def pages() -> list:
    """Fresh ``st.Page`` objects for one script run: those the session's lesson opens, or
    every page but the classroom's.

    Streamlit marks the page that ``st.navigation`` returns as callable on the page object
    itself, so page objects shared by every session race when two sessions run at once
    ("This page cannot be called directly"): each run builds its own.
    """
    return [
        st.Page(PAGES_DIR / name, title=title, icon=icon, default=i == 0)
        for i, (name, title, icon) in enumerate(page_table(open_pages(active())))
    ]
