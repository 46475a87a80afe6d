"""The app's pages, defined once so that app.py and links between pages share them."""

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

DATA = st.Page(PAGES_DIR / "data.py", title="Data", icon=":material/table:", default=True)
EXPLORE = st.Page(PAGES_DIR / "explore.py", title="Explore", icon=":material/insights:")

PAGES = [DATA, EXPLORE]
