"""Every way a user's CSV goes wrong gets a message naming the problem."""

import gzip
import io
import re
import zipfile

import pytest

from genre_core.data.csvio import read_csv_bytes, read_csv_path
from genre_core.errors import DataError

GOOD = b"genre,energy,tempo\npop,0.5,120\nrock,0.7,130\n"


def test_reads_a_plain_csv():
    frame, warnings = read_csv_bytes(GOOD, "good.csv")
    assert list(frame.columns) == ["genre", "energy", "tempo"]
    assert frame["tempo"].tolist() == [120, 130]
    assert warnings == []


@pytest.mark.parametrize(
    ("raw", "note"),
    [
        (b"\xef\xbb\xbf" + GOOD, None),
        (GOOD.replace(b",", b";"), "semicolon"),
        (GOOD.replace(b",", b"\t"), "tab"),
        (GOOD.replace(b",", b"|"), "pipe"),
        (gzip.compress(GOOD), "gzip"),
        (GOOD.decode().encode("utf-16"), None),
        (GOOD.replace(b"\n", b"\r\n"), None),
    ],
)
def test_detects_delimiter_encoding_bom_and_gzip(raw, note):
    frame, warnings = read_csv_bytes(raw, "x.csv")
    assert list(frame.columns) == ["genre", "energy", "tempo"]
    assert frame["genre"].tolist() == ["pop", "rock"]
    assert (note is None) == (not warnings) and all(note in w for w in warnings if note)


def test_non_utf8_bytes_are_read_and_named():
    raw = "genre,artist,energy\npop,Beyoncé,0.5\nrock,Motörhead,0.9\n".encode("cp1252")
    frame, warnings = read_csv_bytes(raw, "latin.csv")
    assert frame["artist"].tolist() == ["Beyoncé", "Motörhead"]
    assert "not valid UTF-8" in warnings[0] and "line 2" in warnings[0]


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("songs.csv", GOOD)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "is empty"),
        (b"\n\n  \n", "is empty"),
        (b"genre,energy,tempo\n", "header (3 columns) but no data rows"),
        (b"genre,energy,energy\npop,1,2\n", "'energy' appears twice in bad.csv (columns 2 and 3)"),
        (b"genre,energy\npop,1\nrock,2,3\n", "line 3 of bad.csv has 3 fields but the header has 2"),
        (_zip(), "zip archive"),
        (b"%PDF-1.7 ...", "PDF"),
        (b"\x89PNG\r\n\x1a\n....", "PNG image"),
        (b"genre\x00,energy\npop,1\n", "binary data"),
        (b"\x1f\x8b\x08\x00garbage", "gzip-compressed but is corrupt"),
    ],
)
def test_bad_files_get_specific_messages(raw, message):
    with pytest.raises(DataError, match=re.escape(message)):
        read_csv_bytes(raw, "bad.csv")


def test_file_above_the_upload_limit():
    # MB as Streamlit counts them (10**6 bytes), so the app's check is the browser's limit.
    with pytest.raises(DataError, match=r"is 2\.0 MB; the upload limit is 1 MB"):
        read_csv_bytes(b"x" * 2_000_000, "big.csv", limit_mb=1)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_csv_path(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        read_csv_path(tmp_path)
