"""Every CSV the lab writes, safe to open in a spreadsheet.

A text cell or a header that starts like a formula (``=``, ``+``, ``-``, ``@``, a tab or a
carriage return) would run in Excel, LibreOffice or Google Sheets: a genre label
``=HYPERLINK(...)`` becomes a link, and its ``p_<genre>`` or ``<genre>_<id>`` column header
too. :func:`csv_text` and :func:`write_csv` put an apostrophe before such a text, the
spreadsheets' own mark for "this is text" (OWASP's advice on CSV injection). Numbers, and
texts that are plain numbers such as ``-0.5``, stay as they are. :func:`restore_frame` undoes
it exactly, for the files the lab reads back.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MARK = "'"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise(value):
    """``value`` with a leading apostrophe when it is a text a spreadsheet would run.

    A text that already starts with an apostrophe before such a start (or before another
    apostrophe) gets one more, so :func:`restore` gives back exactly the original.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in FORMULA_STARTS and not _is_number(value):
        return MARK + value
    if value[0] == MARK and value[1:2] in (*FORMULA_STARTS, MARK):
        return MARK + value
    return value


def restore(value):
    """The inverse of :func:`neutralise`."""
    if isinstance(value, str) and value[:1] == MARK and value[1:2] in (*FORMULA_STARTS, MARK):
        return value[1:]
    return value


def _map_text(frame: pd.DataFrame, change) -> pd.DataFrame:
    out = frame.copy()
    out.columns = [change(c) for c in frame.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            out.isetitem(position, column.astype(object).map(change))
    if not pd.api.types.is_numeric_dtype(out.index):
        out.index = out.index.map(change)
    return out


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, headers and index labels are neutralised."""
    return _map_text(frame, neutralise)


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A table read back from a file :func:`write_csv` wrote, its texts as they were."""
    return _map_text(frame, restore)


def csv_text(frame: pd.DataFrame, **options) -> str:
    """``frame.to_csv(**options)`` with every formula-like text neutralised (a download).

    Lines end in CRLF, as RFC 4180 and spreadsheets expect; pandas then also quotes a text
    holding a lone carriage return, which would otherwise split its row in two.
    """
    return safe_frame(frame).to_csv(**{"lineterminator": "\r\n", **options})


def write_csv(frame: pd.DataFrame, path: str | Path, **options) -> None:
    """Write ``frame`` to ``path`` as :func:`csv_text` does."""
    safe_frame(frame).to_csv(path, **{"lineterminator": "\r\n", **options})


__all__ = ["csv_text", "neutralise", "restore", "restore_frame", "safe_frame", "write_csv"]
