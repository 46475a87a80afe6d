"""Take a result home: the report of stored runs (HTML) and its print figures (PNG and PDF).

Both files are made only when their button is pressed (Streamlit's deferred downloads), from
the run history, by :mod:`genre_core.reports`; a page only says which runs.
"""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Iterable

import streamlit as st

from genre_core.errors import DataError
from genre_core.reports import figures_zip, report_html, report_name


def _report(run_ids: list[str]) -> str:
    try:
        return report_html(run_ids)
    except DataError as error:  # the file still downloads, and says what went wrong
        message = html.escape(f"The report could not be made: {error}")
        return f'<!DOCTYPE html><html lang="en"><meta charset="utf-8"><p>{message}</p></html>'


def _figures(run_ids: list[str]) -> bytes:
    try:
        return figures_zip(run_ids)
    except DataError as error:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("error.txt", f"The figures could not be made: {error}\n")
        return buffer.getvalue()


def report_buttons(run_ids: Iterable[str | None], key: str, where=None) -> None:
    """ "Download report (HTML)" and "Download figures (PNG)" for the stored runs ``run_ids``:
    one run's report, or the comparison of several. Nothing is drawn without a stored run
    (``None`` ids, of runs the history could not store, are skipped). ``key`` prefixes the
    buttons' keys; ``where`` is a container (default: the page)."""
    ids = list(dict.fromkeys(r for r in run_ids if r))
    if not ids:
        return
    where = st if where is None else where
    what = "this run" if len(ids) == 1 else f"these {len(ids)} runs"
    buttons = (
        ("Download report (HTML)", lambda: _report(ids), ".html", "text/html", "report_html",
         ":material/description:",
         f"One HTML file about {what} that opens offline: the recipe in words, data and audit, "
         "metrics with intervals, confusion matrix, curves, per-genre table"
         + (", McNemar's test for each pair." if len(ids) > 1 else ".")),
        ("Download figures (PNG)", lambda: _figures(ids), "-figures.zip", "application/zip",
         "report_figures", ":material/image:",
         f"Print figures of {what} (seaborn), PNG and PDF in a zip: the confusion heatmap and "
         "the clustermap of genres taken for each other."),
    )  # fmt: skip
    for column, (label, make, suffix, mime, name, icon, text) in zip(
        where.columns([1, 1, 2]), buttons, strict=False
    ):
        column.download_button(
            label,
            make,
            file_name=report_name(ids, suffix),
            mime=mime,
            key=f"{key}.{name}",
            on_click="ignore",
            icon=icon,
            help=text,
        )
