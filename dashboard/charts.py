"""A chart with its downloads: the plotly figure (its modebar's camera saves a PNG under a
name that says what it is) and a small "Download data (CSV)" button for the numbers behind it."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import streamlit as st

from genre_core.data.csvsafe import csv_text

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def chart_name(name: str) -> str:
    """``name`` as a file name: letters, digits, ``.``, ``_`` and ``-`` (``genre-lab-<name>``)."""
    stem = re.sub("-{2,}", "-", _UNSAFE.sub("-", str(name))).strip("-.")[:80]
    return f"genre-lab-{stem}" if stem else "genre-lab-chart"


def chart_config(name: str) -> dict:
    """Plotly's config for a chart: the modebar shown on hover (never hidden), its camera
    saving a 2x PNG named after the chart, no plotly logo."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": chart_name(name), "scale": 2},
    }


def figure_data(fig) -> pd.DataFrame:
    """The numbers a plotly figure draws, one row per point and a ``trace`` column: ``x``,
    ``y`` (and error bars) of scatters and bars, one row per cell of a heatmap, the dimensions
    of parallel coordinates."""
    frames = []
    for i, trace in enumerate(fig.data):
        name = trace.name or f"trace {i + 1}"
        if trace.type == "heatmap" and trace.z is not None:
            z = np.asarray(trace.z, dtype=object)
            xs = list(trace.x) if trace.x is not None else list(range(z.shape[1]))
            ys = list(trace.y) if trace.y is not None else list(range(z.shape[0]))
            frame = pd.DataFrame(
                [(ys[r], xs[c], z[r, c]) for r in range(z.shape[0]) for c in range(z.shape[1])],
                columns=["y", "x", "value"],
            )
        elif trace.type == "parcoords":
            frame = pd.DataFrame({d.label: pd.Series(d.values) for d in trace.dimensions})
        else:
            columns = {
                axis: pd.Series(np.asarray(getattr(trace, axis)))
                for axis in ("x", "y")
                if getattr(trace, axis, None) is not None
            }
            error = getattr(getattr(trace, "error_y", None), "array", None)
            if error is not None:
                columns["y_error"] = pd.Series(np.asarray(error))
            if not columns:
                continue
            frame = pd.concat(columns, axis=1)
        frames.append(frame.assign(trace=name)[["trace", *frame.columns]])
    return pd.concat(frames, ignore_index=True, sort=False) if frames else pd.DataFrame()


def chart(fig, data: pd.DataFrame | None, key: str, name: str, where=None, select: bool = False):
    """Draw ``fig`` in ``where`` (a column or container; default the page) with
    :func:`chart_config`, and under it a "Download data (CSV)" button for ``data`` (``None``:
    the numbers the figure draws, :func:`figure_data`; none when empty). ``key`` keys the
    chart; the button's is ``key + ".csv"``. ``select``: clicking a point selects it and reruns
    the page; the chart's selection event (``{"selection": {"points": [...], ...}}``) is
    returned (``None`` otherwise)."""
    where = st if where is None else where
    selection = {"on_select": "rerun", "selection_mode": ("points",)} if select else {}
    event = where.plotly_chart(fig, key=key, config=chart_config(name), **selection)
    if data is None:
        data = figure_data(fig)
    if not data.empty:
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
    return event if select else None
