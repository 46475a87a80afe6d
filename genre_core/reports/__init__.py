"""Reports of stored runs: a self-contained HTML file, and print figures (PNG and PDF).

- :mod:`~genre_core.reports.content`: what a report says (recipe in words, data and audit,
  metrics with intervals, per-genre table, McNemar's test for pairs), as text and tables
- :mod:`~genre_core.reports.document`: the HTML page, its figures from :mod:`genre_core.plots`
- :mod:`~genre_core.reports.prints`: seaborn print figures (confusion heatmap, the
  genre-confusion clustermap, a pairplot of features by genre)

:func:`report_html` and :func:`figures_zip` read the runs from the run history.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from genre_core.errors import DataError
from genre_core.reports import prints
from genre_core.reports.document import comparison_report, file_name, run_report
from genre_core.runs.history import RunDetails, load_run


def _runs(run_ids: Sequence[str]) -> list[RunDetails]:
    ids = list(dict.fromkeys(r for r in run_ids if r))
    if not ids:
        raise DataError("a report needs at least one stored run.")
    return [load_run(r) for r in ids]


def report_html(run_ids: Sequence[str] | Sequence[RunDetails]) -> str:
    """The HTML report of one run, or the comparison of several (ids, or runs already read).

    Raises
    ------
    DataError
        For no run; :class:`~genre_core.runs.store.RunStoreError` when the store cannot be
        read or holds no such run.
    """
    runs = _as_runs(run_ids)
    return run_report(runs[0]) if len(runs) == 1 else comparison_report(runs)


def _as_runs(run_ids) -> list[RunDetails]:
    items = list(run_ids)
    if items and all(isinstance(r, RunDetails) for r in items):
        return items
    return _runs(items)


def report_name(run_ids: Sequence[str] | Sequence[RunDetails], suffix: str) -> str:
    """A file name for the report of these runs: ``genre-lab-<run>`` or
    ``genre-lab-comparison-<n>-runs``, then ``suffix``."""
    items = [r for r in run_ids if r]
    if len(items) == 1:
        ident = items[0].run_id if isinstance(items[0], RunDetails) else items[0]
        return file_name(f"genre-lab-run-{ident[:8]}", suffix)
    return file_name(f"genre-lab-comparison-{len(items)}-runs", suffix)


def print_figures(runs: Sequence[RunDetails]) -> dict[str, bytes]:
    """Each run's confusion heatmap and genre-confusion clustermap, as PNG and PDF: file name
    -> bytes (a run with fewer than two genres gets no clustermap)."""
    files: dict[str, bytes] = {}
    for i, details in enumerate(runs, 1):
        if not details.classes:
            continue
        label = f"{details.tags.get('model') or details.name} ({details.run_id[:6]})"
        stem = file_name(f"{i:02d}-{details.name}") if len(runs) > 1 else "run"
        for fmt in prints.FORMATS:
            files[f"{stem}-confusion.{fmt}"] = prints.confusion_heatmap(
                details.confusion, details.classes, title=f"Confusion matrix: {label}", fmt=fmt
            )
            if len(details.classes) >= 2:
                files[f"{stem}-genre-clusters.{fmt}"] = prints.confusion_clustermap(
                    details.confusion,
                    details.classes,
                    title=f"Genres taken for each other: {label}",
                    fmt=fmt,
                )
    return files


def figures_zip(run_ids: Sequence[str] | Sequence[RunDetails]) -> bytes:
    """:func:`print_figures` of these runs in one zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, raw in print_figures(_as_runs(run_ids)).items():
            archive.writestr(name, raw)
    return buffer.getvalue()


__all__ = [
    "comparison_report",
    "figures_zip",
    "print_figures",
    "report_html",
    "report_name",
    "run_report",
]
