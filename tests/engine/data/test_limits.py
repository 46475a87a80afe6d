"""Issue 18: every file is held to the upload limit (unpacked too), a column cap and a class
limit, each refused early with a message naming the numbers."""

import gzip
import io
import re
import time
import tomllib
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, make_tracks
from genre_core.data.csvio import read_csv_bytes, read_file_bytes
from genre_core.data.dataset import Roles, from_user_frame, load_upload, validate
from genre_core.errors import DataError
from genre_core.settings import MAX_CLASSES, MAX_COLUMNS, upload_limit_bytes, upload_limit_mb


def gzip_of_repeats(header: bytes, line: bytes, unpacked: int) -> bytes:
    """A gzip file unpacking to about ``unpacked`` bytes, made without holding them."""
    buffer = io.BytesIO()
    block = line * (1_000_000 // len(line))
    with gzip.GzipFile(fileobj=buffer, mode="wb") as handle:
        handle.write(header)
        for _ in range(unpacked // len(block) + 1):
            handle.write(block)
    return buffer.getvalue()


def test_gzip_is_limited_by_its_unpacked_size_and_unpacking_stops_there():
    # 300 MB of rows in a file of a few hundred kB: it used to be unpacked in full.
    bomb = gzip_of_repeats(b"genre,energy\n", b"pop,1\nrock,2\n", 300_000_000)
    assert len(bomb) < 1_000_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(
        DataError, match=r"songs\.csv\.gz unpacks to more than 5 MB .*the limit is 5 MB"
    ):
        read_csv_bytes(bomb, "songs.csv.gz", limit_mb=5)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 40_000_000  # a few times the limit, never the 300 MB
    assert time.perf_counter() - started < 10


def test_gzip_under_the_limit_is_read():
    raw = gzip_of_repeats(b"genre,energy\n", b"pop,1\nrock,2\n", 1_000_000)
    frame, warnings = read_csv_bytes(raw, "songs.csv.gz", limit_mb=5)
    assert len(frame) > 100_000 and "gzip" in warnings[0]


def test_rows_times_columns_are_limited():
    # 900 bytes, under the 0.001 MB (1,000 byte) limit, but 448 cells: the limit is 250.
    raw = b"a,b\n" + b"1,2\n" * 224
    with pytest.raises(DataError, match=r"more than 125 rows of 2 columns; the limit is 250 cells"):
        read_csv_bytes(raw, "tiny.csv", limit_mb=0.001)


def test_limit_is_in_streamlits_megabytes_and_matches_the_config():
    """The browser refuses above maxUploadSize x 10**6 bytes: the app's check must not be
    higher (it would never run), and the page states the same number."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert upload_limit_mb() == config["server"]["maxUploadSize"]
    assert upload_limit_bytes() == config["server"]["maxUploadSize"] * 1_000_000
    with pytest.raises(DataError, match=r"is 1\.0 MB; the upload limit is 1 MB"):
        read_csv_bytes(b"genre,x\n" + b"p,1\n" * 250_001, "a.csv", limit_mb=1)
    assert "up to {limit} MB" in (ROOT / "pages" / "data.py").read_text()


def test_a_device_or_huge_file_is_read_no_further_than_the_limit(tmp_path):
    with pytest.raises(DataError, match=r"zero is larger than 1 MB"):
        read_file_bytes("/dev/zero", limit_mb=1)
    path = tmp_path / "big.csv"
    path.write_bytes(b"genre,x\n" + b"pop,1\n" * 400_000)
    with pytest.raises(DataError, match=r"big\.csv is larger than 2 MB"):
        read_file_bytes(path, limit_mb=2)


def wide_csv(columns: int) -> bytes:
    header = ",".join(["genre", *(f"f{i}" for i in range(columns))])
    rows = [",".join([g, *("0.5" for _ in range(columns))]) for g in ("pop", "rock") * 3]
    return ("\n".join([header, *rows]) + "\n").encode()


def test_too_many_columns_are_refused_before_any_per_column_work():
    raw = wide_csv(50_000)
    started = time.perf_counter()
    with pytest.raises(
        DataError, match=rf"has 50,001 columns; Genre Lab reads at most {MAX_COLUMNS:,}"
    ):
        load_upload(raw, "wide.csv")
    assert time.perf_counter() - started < 5  # was minutes of per-column checks
    frame = pd.DataFrame(
        np.zeros((4, MAX_COLUMNS + 1)), columns=[f"f{i}" for i in range(MAX_COLUMNS + 1)]
    )
    frame["genre"] = ["pop", "rock"] * 2
    with pytest.raises(DataError, match=r"has 2,002 columns"):
        from_user_frame(frame, "frame")


def test_a_table_at_the_column_cap_is_read():
    dataset = load_upload(wide_csv(MAX_COLUMNS - 1), "wide.csv")
    assert len(dataset.roles.features) == MAX_COLUMNS - 1
    assert dataset.frame[list(dataset.roles.features)].dtypes.eq(float).all()


def many_genres(classes: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "genre": [f"g{i}" for i in range(classes)] * 2,
            "energy": np.linspace(0, 1, 2 * classes),
        }
    )


def test_a_label_with_too_many_classes_is_refused():
    frame = many_genres(10_000)
    with pytest.raises(
        DataError, match=rf"'genre' holds 10,000 genres; Genre Lab classifies at most {MAX_CLASSES}"
    ):
        from_user_frame(frame, "t.csv")
    assert len(from_user_frame(many_genres(MAX_CLASSES), "t.csv").class_counts) == MAX_CLASSES


def test_choosing_a_label_with_too_many_classes_is_refused():
    # Roles set on the page (or --label) go through the same check.
    big = make_tracks(2 * (MAX_CLASSES + 1))
    big["track_name"] = [f"Song {i // 2}" for i in range(len(big))]
    dataset = from_user_frame(big, "t.csv")
    with pytest.raises(DataError, match=re.escape(f"'track_name' holds {MAX_CLASSES + 1} genres")):
        dataset.with_roles(Roles("track_name", ("energy",)))


def test_a_known_raw_table_warns_instead():
    frame, warnings = validate(
        many_genres(MAX_CLASSES + 5), Roles("genre", ("energy",)), strict_classes=False
    )
    assert any(f"{MAX_CLASSES + 5} genres" in w and "merge" in w for w in warnings)
