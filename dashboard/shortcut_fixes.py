"""The Data page's one-click fixes of the shortcuts found: drop a feature, or flag its missing
or small-scale rows as a feature of their own. The fixes in use (``data.fixes``) go into every
page's recipe (``DataSpec.fixes``), so a run and the CLI apply the same ones."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from dashboard.state import plain
from genre_core.data.dataset import Dataset
from genre_core.data.shortcuts import Shortcut, flag_column

FLAGGABLE = ("scale", "missing")


def _add(fix: str) -> None:
    st.session_state["data.fixes"] = [*st.session_state["data.fixes"], fix]


def _undo() -> None:
    """No fix in use; user roles that named a flag column no longer do."""
    state = st.session_state
    flags = {flag_column(f.partition(":")[2]) for f in state["data.fixes"]}
    roles = state["data.roles"]
    if roles is not None:
        state["data.roles"] = replace(
            roles, features=tuple(f for f in roles.features if f not in flags)
        )
    state["data.fixes"] = []


def fix_controls(dataset: Dataset, shortcuts: list[Shortcut]) -> None:
    """One row per finding a fix applies to, with its buttons; the fixes in use and Undo."""
    fixes = list(st.session_state["data.fixes"])
    features = set(dataset.roles.features)
    fixable = [s for s in shortcuts if s.kind != "same-song" and s.feature in dataset.frame]
    if fixable:
        st.markdown("**Fix a shortcut.** The fix goes into every page's recipe.")
    for i, finding in enumerate(fixable):
        what, drop, flag = st.columns([4, 1, 1], vertical_alignment="center")
        converted = finding.kind == "scale" and finding.feature in dataset.repaired
        note = " (converted to one scale on loading)" if converted else ""
        what.write(plain(f"{finding.feature}: {finding.kind}{note}"))
        buttons = [("drop", "Drop it", "Take the column out of the features.", drop)]
        if finding.kind in FLAGGABLE:
            help_text = (
                f"Add '{flag_column(finding.feature)}': 1 on the shortcut's rows (missing, or "
                "on the small scale), so a model's score says what the shortcut is worth."
            )
            buttons.append(("flag", "Flag it", help_text, flag))
        for kind, label, help_text, where in buttons:
            fix = f"{kind}:{finding.feature}"
            where.button(
                label,
                key=f"data.fix.{kind}.{i}",
                on_click=_add,
                args=(fix,),
                disabled=fix in fixes or (kind == "drop" and finding.feature not in features),
                help=help_text,
            )
    if any(s.kind == "same-song" for s in shortcuts):
        st.caption(
            "Copies of a song: every page's split is grouped by track by default, which keeps "
            "them on one side."
        )
    if fixes:
        left, right = st.columns([4, 1], vertical_alignment="center")
        left.caption(plain("Fixes in use: " + ", ".join(fixes)))
        right.button("Undo the fixes", key="data.fix.undo", on_click=_undo)
