"""A chart with its downloads: the plotly figure (its modebar's camera saves a PNG under a
name that says what it is) and a small "Download data (CSV)" button for the numbers behind it."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from genre_core.data.csvsafe import csv_text

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def chart_name(name: str) -> str:
    """``name`` as a file name: letters, digits, ``.``, ``_`` and ``-`` (``genre-lab-<name>``)."""
    stem = _UNSAFE.sub("-", str(name)).strip("-.")[:80]
    return f"genre-lab-{stem}" if stem else "genre-lab-chart"


def chart_config(name: str) -> dict:
    """Plotly's config for a chart: the modebar shown on hover (never hidden), its camera
    saving a 2x PNG named after the chart, no plotly logo."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": chart_name(name), "scale": 2},
    }


def chart(fig, data: pd.DataFrame | None, key: str, name: str, where=None) -> None:
    """Draw ``fig`` in ``where`` (a column or container; default the page) with
    :func:`chart_config`, and under it a "Download data (CSV)" button for ``data``
    (none when ``data`` is None or empty). ``key`` keys the chart; the button's is
    ``key + ".csv"``."""
    where = st if where is None else where
    where.plotly_chart(fig, key=key, config=chart_config(name))
    if data is None or data.empty:
        return
    where.download_button(
        "Download data (CSV)",
        csv_text(data, index=False),
        file_name=chart_name(name) + ".csv",
        mime="text/csv",
        key=f"{key}.csv",
        on_click="ignore",
        type="tertiary",
        icon=":material/download:",
    )
