"""Genre Lab: `streamlit run dashboard/app.py`."""

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts dashboard/ on the path, not the checkout
    sys.path.insert(0, str(ROOT))

from dashboard.state import init_state  # noqa: E402

st.set_page_config(page_title="Genre Lab", page_icon=":material/graphic_eq:", layout="wide")
init_state()

PAGES = [
    st.Page(ROOT / "pages" / "data.py", title="Data", icon=":material/table:", default=True),
    st.Page(ROOT / "pages" / "explore.py", title="Explore", icon=":material/insights:"),
]

st.navigation(PAGES).run()
