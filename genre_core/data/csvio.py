"""Reading a CSV a user brings: any delimiter, encoding, BOM, gzip or decimal comma, with a
specific message for every way such a file goes wrong.

Every file, uploaded or named on the command line, is held to the same limits
(:mod:`genre_core.settings`): its size (unpacked, for gzip), its columns and its cells.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from pathlib import Path

import pandas as pd

from genre_core.errors import DataError
from genre_core.settings import (
    BYTES_PER_CELL,
    MAX_COLUMNS,
    cell_limit,
    upload_limit_bytes,
    upload_limit_mb,
)

_SNIFF_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_DELIMITERS = ",;\t|"
_LONGEST_NAME = 200
# A number written with a decimal comma, optionally with '.' between groups of thousands.
_COMMA_NUMBER = re.compile(r"[-+]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?")
# What a '.' thousands separator looks like without a decimal comma: it may be a decimal point.
_ONE_GROUP = re.compile(r"[-+]?[1-9]\d{0,2}\.\d{3}")
_BINARY_MAGIC = {
    b"PK\x03\x04": "a zip archive (or an Excel .xlsx workbook)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\xd0\xcf\x11\xe0": "an old Excel or Word file",
    b"PAR1": "a Parquet file",
    b"SQLite format 3": "an SQLite database",
    b"\x80\x04": "a Python pickle",
}


def read_csv_bytes(
    raw: bytes,
    filename: str = "the file",
    *,
    limit_mb: float | None = None,
    max_columns: int = MAX_COLUMNS,
) -> tuple[pd.DataFrame, list[str]]:
    """Parse a CSV given as bytes.

    Parameters
    ----------
    limit_mb
        The most MB (10**6 bytes) the file may hold, unpacked if it is gzip-compressed; it
        also bounds the cells (:func:`genre_core.settings.cell_limit`). Default: the upload
        limit of ``.streamlit/config.toml``.
    max_columns
        The most columns; checked on the header, before any per-column work.

    Returns
    -------
    frame, warnings
        The table (every cell as pandas infers it, decimal commas read as numbers) and notes
        on what was repaired, such as a file that was not UTF-8.

    Raises
    ------
    DataError
        Naming what is wrong: size, emptiness, a binary or zip file, no delimiter, too many
        columns or cells, duplicated or ragged columns, or a header with no rows.
    """
    limit_mb = upload_limit_mb() if limit_mb is None else limit_mb
    limit = upload_limit_bytes(limit_mb)
    if len(raw) > limit:
        raise DataError(
            f"{filename} is {len(raw) / 1e6:.1f} MB; the upload limit is {limit_mb:g} MB "
            f"(server.maxUploadSize in .streamlit/config.toml)."
        )
    warnings: list[str] = []
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, filename, limit_mb)
        warnings.append(f"{filename} was gzip-compressed; it was decompressed.")
    if not raw.strip():
        raise DataError(f"{filename} is empty.")
    for magic, kind in _BINARY_MAGIC.items():
        if raw.startswith(magic):
            raise DataError(f"{filename} is {kind}, not a CSV text file.")
    text = _decode(raw, filename, warnings)
    del raw  # the unpacked bytes of a gzip file: free them before pandas parses the text
    if "\x00" in text[:_SNIFF_BYTES]:
        raise DataError(f"{filename} holds binary data (NUL bytes), not CSV text.")
    delimiter = _sniff_delimiter(text, filename)
    header = _check_structure(text, delimiter, filename, max_columns=max_columns, limit_mb=limit_mb)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, skip_blank_lines=True)
    except (ValueError, csv.Error, pd.errors.ParserError) as error:
        raise DataError(f"{filename} could not be parsed as CSV: {_first_line(error)}") from None
    frame.columns = header
    if delimiter != ",":
        warnings.append(f"{filename} uses {_delimiter_name(delimiter)} as its delimiter.")
        warnings += _read_decimal_commas(frame, text, delimiter, filename)
    return frame, warnings


def read_file_bytes(path: Path, *, limit_mb: float | None = None) -> bytes:
    """The bytes of a file on disk, read no further than the limit (a device such as
    ``/dev/zero`` or a huge file never fills the memory).

    Raises
    ------
    DataError
        For a folder, a missing or unreadable file, or one above ``limit_mb`` (default: the
        upload limit).
    """
    path = Path(path)
    limit_mb = upload_limit_mb() if limit_mb is None else limit_mb
    limit = upload_limit_bytes(limit_mb)
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a CSV file.")
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise DataError(f"{path} does not exist.") from None
    except OSError as error:
        raise DataError(f"{path} could not be read: {error.strerror or error}.") from None
    if len(raw) > limit:
        raise DataError(
            f"{path.name} is larger than {limit_mb:g} MB, the limit for a file "
            f"(server.maxUploadSize in .streamlit/config.toml)."
        )
    return raw


def read_csv_path(path: Path, *, limit_mb: float | None = None) -> tuple[pd.DataFrame, list[str]]:
    """:func:`read_csv_bytes` on a file on disk, with a message for a missing or unreadable one."""
    raw = read_file_bytes(path, limit_mb=limit_mb)
    return read_csv_bytes(raw, Path(path).name, limit_mb=limit_mb)


def check_width(columns: int, name: str, max_columns: int = MAX_COLUMNS) -> None:
    """Refuse a table of more than ``max_columns`` columns, naming both counts."""
    if columns > max_columns:
        raise DataError(
            f"{name} has {columns:,} columns; Genre Lab reads at most {max_columns:,} "
            "(MAX_COLUMNS in genre_core/settings.py). Keep the label and the feature columns."
        )


def _gunzip(raw: bytes, filename: str, limit_mb: float) -> bytes:
    # Unpack a chunk at a time and stop as soon as the limit is passed: a few MB of gzip can
    # hold gigabytes.
    limit = upload_limit_bytes(limit_mb)
    out = bytearray()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as handle:
            while chunk := handle.read(_CHUNK):
                out += chunk
                if len(out) > limit:
                    raise DataError(
                        f"{filename} unpacks to more than {limit_mb:g} MB (it is "
                        f"{len(raw) / 1e6:.1f} MB packed); the limit is {limit_mb:g} MB for the "
                        "unpacked file too (server.maxUploadSize in .streamlit/config.toml)."
                    )
    except (OSError, EOFError, zlib.error):
        raise DataError(f"{filename} looks gzip-compressed but is corrupt or truncated.") from None
    return bytes(out)


def _decode(raw: bytes, filename: str, warnings: list[str]) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise DataError(f"{filename} starts with a UTF-16 mark but is not UTF-16.") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        bad = raw[error.start : error.start + 1].hex()
        try:
            text, encoding = raw.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            text, encoding = raw.decode("latin-1"), "Latin-1"
        warnings.append(
            f"{filename} is not valid UTF-8 (byte 0x{bad} on line {line}); it was read as "
            f"{encoding}. Check that accented names look right."
        )
        return text


def _sniff_delimiter(text: str, filename: str) -> str:
    """The candidate delimiter that splits the header into most fields while splitting the
    sampled lines like the header (decimal commas in a ';' file do not fool it)."""
    lines = [line for line in text[:_SNIFF_BYTES].splitlines() if line.strip()][:50]
    if len(text) > _SNIFF_BYTES and len(lines) > 2:
        lines = lines[:-1]  # the sample may end in the middle of a line
    best, best_score = None, (-1.0, 0)
    for delimiter in _DELIMITERS:
        try:
            rows = list(csv.reader(lines, delimiter=delimiter))
        except csv.Error:
            continue
        width = len(rows[0]) if rows else 0
        if width < 2:
            continue
        body = rows[1:]
        alike = sum(len(row) == width for row in body) / len(body) if body else 1.0
        if (alike, width) > best_score:
            best, best_score = delimiter, (alike, width)
    if best is None:
        raise DataError(
            f"{filename} is not a CSV table: its first line has no comma, semicolon, tab or "
            "pipe between column names."
        )
    return best


def _check_structure(
    text: str, delimiter: str, filename: str, *, max_columns: int, limit_mb: float
) -> list[str]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
        header = [name.strip() for name in header]
        check_width(len(header), filename, max_columns)
        if any(len(name) > _LONGEST_NAME or not name.isprintable() for name in header):
            raise DataError(
                f"{filename} is not a CSV table with a header: its first line does not hold "
                "column names."
            )
        max_cells = cell_limit(limit_mb)
        max_rows = max(max_cells // len(header), 1)
        seen: dict[str, int] = {}
        for position, name in enumerate(header, start=1):
            if name in seen:
                raise DataError(
                    f"column name '{name}' appears twice in {filename} (columns {seen[name]} and "
                    f"{position}); rename one of them."
                )
            seen[name] = position
        rows = 0
        for record in reader:
            if not record or all(not cell.strip() for cell in record):
                continue
            rows += 1
            if rows > max_rows:
                raise DataError(
                    f"{filename} has more than {max_rows:,} rows of {len(header):,} columns; the "
                    f"limit is {max_cells:,} cells (rows x columns), {BYTES_PER_CELL} bytes a "
                    f"cell of the {limit_mb:g} MB upload limit."
                )
            if len(record) != len(header):
                raise DataError(
                    f"line {reader.line_num} of {filename} has {len(record)} fields but the header "
                    f"has {len(header)}; check for a stray '{_printable(delimiter)}' or quote."
                )
    except csv.Error as error:
        raise DataError(
            f"{filename} is not valid CSV near line {reader.line_num}: {error}."
        ) from None
    if rows == 0:
        raise DataError(f"{filename} has a header ({len(header)} columns) but no data rows.")
    return [name or f"column_{i}" for i, name in enumerate(header, start=1)]


def _read_decimal_commas(
    frame: pd.DataFrame, text: str, delimiter: str, filename: str
) -> list[str]:
    """Turn text columns of numbers with decimal commas ('0,335', '1.234,5') into numbers, in
    place; a warning says which, and names the columns whose '.' cannot be told apart."""
    converted = []
    for column, dtype in frame.dtypes.items():
        if pd.api.types.is_numeric_dtype(dtype):
            continue
        values = frame[column].astype("string").str.strip().replace("", pd.NA)
        present = values.dropna()
        if present.empty or not present.str.fullmatch(_COMMA_NUMBER).all():
            continue
        if not present.str.contains(",", regex=False).any():
            continue
        plain_text = values.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        frame[column] = pd.to_numeric(plain_text, errors="coerce").astype(float)
        converted.append(str(column))
    if not converted:
        return []
    warnings = [
        f"{filename} writes numbers with decimal commas; read as numbers: {_names(converted)}."
    ]
    # In a decimal-comma file, '1.234' may be 1234 (a thousands separator) or 1.234: say so.
    floats = [
        i
        for i, (name, kind) in enumerate(zip(frame.columns, frame.dtypes, strict=True))
        if kind.kind == "f" and name not in converted
    ]
    if floats:
        raw = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, usecols=floats)
        unsure = {
            str(frame.columns[i]): example
            for i, column in zip(floats, raw.columns, strict=True)
            if (example := _single_group_example(raw[column])) is not None
        }
        if unsure:
            name, example = next(iter(unsure.items()))
            warnings.append(
                f"{filename}: cannot tell whether the '.' in {_names(list(unsure))} is a "
                f"thousands separator or a decimal point ('{example}' in {name}); it was read "
                "as a decimal point."
            )
    return warnings


def _single_group_example(values: pd.Series) -> str | None:
    """A value like '1.234' when every dotted value of the column looks like it, else None."""
    dotted = values.dropna().str.strip()
    dotted = dotted[dotted.str.contains(".", regex=False)]
    if dotted.empty or not dotted.str.fullmatch(_ONE_GROUP).all():
        return None
    return str(dotted.iloc[0])


def _names(columns: list[str], limit: int = 8) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f", … ({len(columns)} in all)" if len(columns) > limit else "")


def _printable(delimiter: str) -> str:
    return "\\t" if delimiter == "\t" else delimiter


def _delimiter_name(delimiter: str) -> str:
    return {",": "a comma", ";": "a semicolon", "\t": "a tab", "|": "a pipe"}[delimiter]


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
