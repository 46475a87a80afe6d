"""Reading a CSV a user brings: any delimiter, encoding, BOM or gzip, with a specific message
for every way such a file goes wrong."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from pathlib import Path

import pandas as pd

from genre_core.errors import DataError

_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
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
    raw: bytes, filename: str = "the file", *, limit_mb: float | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Parse a CSV given as bytes.

    Returns
    -------
    frame, warnings
        The table (every cell as pandas infers it) and notes on what was repaired, such as a
        file that was not UTF-8.

    Raises
    ------
    DataError
        Naming what is wrong: size, emptiness, a binary or zip file, duplicated or ragged
        columns, or a header with no rows.
    """
    if limit_mb is not None and len(raw) > limit_mb * 1024 * 1024:
        raise DataError(
            f"{filename} is {len(raw) / 1024 / 1024:.1f} MB; the upload limit is {limit_mb:g} MB "
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
    if "\x00" in text[:_SNIFF_BYTES]:
        raise DataError(f"{filename} holds binary data (NUL bytes), not CSV text.")
    delimiter = _sniff_delimiter(text)
    header = _check_structure(text, delimiter, filename)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, skip_blank_lines=True)
    except (ValueError, csv.Error, pd.errors.ParserError) as error:
        raise DataError(f"{filename} could not be parsed as CSV: {_first_line(error)}") from None
    frame.columns = header
    if delimiter != ",":
        warnings.append(f"{filename} uses {_delimiter_name(delimiter)} as its delimiter.")
    return frame, warnings


def read_csv_path(path: Path, *, limit_mb: float | None = None) -> tuple[pd.DataFrame, list[str]]:
    """:func:`read_csv_bytes` on a file on disk, with a message for a missing or unreadable one."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a CSV file.")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path} does not exist.") from None
    except OSError as error:
        raise DataError(f"{path} could not be read: {error.strerror or error}.") from None
    return read_csv_bytes(raw, path.name, limit_mb=limit_mb)


def _gunzip(raw: bytes, filename: str, limit_mb: float | None) -> bytes:
    cap = None if limit_mb is None else int(limit_mb * 1024 * 1024 * 20)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as handle:
            data = handle.read(cap + 1 if cap else -1)
    except (OSError, EOFError, zlib.error):
        raise DataError(f"{filename} looks gzip-compressed but is corrupt or truncated.") from None
    if cap and len(data) > cap:
        raise DataError(f"{filename} decompresses to more than {cap // 1024 // 1024} MB.")
    return data


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


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text[:_SNIFF_BYTES].splitlines()[:50])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in _DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _check_structure(text: str, delimiter: str, filename: str) -> list[str]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
        header = [name.strip() for name in header]
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


def _printable(delimiter: str) -> str:
    return "\\t" if delimiter == "\t" else delimiter


def _delimiter_name(delimiter: str) -> str:
    return {",": "a comma", ";": "a semicolon", "\t": "a tab", "|": "a pipe"}[delimiter]


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
