"""The app's pages, defined once so that app.py and links between pages share them."""

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"

DATA = st.Page(PAGES_DIR / "data.py", title="Data", icon=":material/table:", default=True)
EXPLORE = st.Page(PAGES_DIR / "explore.py", title="Explore", icon=":material/insights:")
MERGE = st.Page(PAGES_DIR / "merge.py", title="Merge genres", icon=":material/merge:")
TRAIN = st.Page(PAGES_DIR / "train.py", title="Train", icon=":material/model_training:")
NETWORKS = st.Page(PAGES_DIR / "networks.py", title="Networks", icon=":material/hub:")
TRANSFER = st.Page(PAGES_DIR / "transfer.py", title="Transfer", icon=":material/move_up:")
BAYES = st.Page(PAGES_DIR / "bayes.py", title="Bayesian", icon=":material/function:")
SEARCH = st.Page(PAGES_DIR / "search.py", title="Search", icon=":material/tune:")
COMPARE = st.Page(PAGES_DIR / "compare.py", title="Compare runs", icon=":material/compare:")

PAGES = [DATA, EXPLORE, MERGE, TRAIN, NETWORKS, TRANSFER, BAYES, SEARCH, COMPARE]
