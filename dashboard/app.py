"""Genre Lab: `streamlit run dashboard/app.py`."""

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts dashboard/ on the path, not the checkout
    sys.path.insert(0, str(ROOT))

from dashboard.classroom import open_lesson, sidebar_panel  # noqa: E402
from dashboard.nav import pages  # noqa: E402
from dashboard.state import init_state  # noqa: E402

# the favicon is a file of ours: a material icon would be fetched from an outside font host
st.set_page_config(
    page_title="Genre Lab", page_icon=str(ROOT / "dashboard" / "icon.png"), layout="wide"
)
init_state()
lesson = open_lesson()  # ?lesson=NAME: its data, split and locks, before any page reads them
if lesson is not None:
    sidebar_panel(lesson)

st.navigation(pages()).run()
