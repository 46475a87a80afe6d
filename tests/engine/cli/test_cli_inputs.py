"""Issue 18 on the command line: the upload limits hold for files given to the CLI, nothing of
a file that is not a CSV is echoed, and predict derives the columns training derived."""

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from conftest import make_tracks, run_cli
from genre_core.settings import MAX_CLASSES, upload_limit_mb


def one_error_line(result, *fragments: str) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    return result.stderr


def test_an_endless_device_is_refused_at_the_limit():
    one_error_line(
        run_cli("validate", "--data", "/dev/zero"), f"larger than {upload_limit_mb()} MB"
    )


def test_a_gzip_bomb_is_refused_by_its_unpacked_size(tmp_path):
    path = tmp_path / "bomb.csv.gz"
    unpacked = (upload_limit_mb() + 10) * 1_000_000
    path.write_bytes(gzip.compress(b"genre,x\n" + b"pop,1\n" * (unpacked // 6), compresslevel=1))
    one_error_line(
        run_cli("validate", "--data", str(path)),
        f"unpacks to more than {upload_limit_mb()} MB",
        f"the limit is {upload_limit_mb()} MB",
    )


def test_a_file_that_is_not_a_csv_is_not_echoed(tmp_path):
    path = tmp_path / "shadow"
    secret = "root:$6$Zq1salt$Hx9secrethash:19700:0:99999:7:::"
    path.write_text(secret + "\ndaemon:*:19700:0:99999:7:::\nbin:*:19700:0:99999:7:::\n")
    error = one_error_line(run_cli("validate", "--data", str(path)), "is not a CSV table")
    assert "root" not in error and "secret" not in error and "$6$" not in error


def test_a_line_of_junk_is_not_taken_for_column_names(tmp_path):
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\x01\x02,\x03secret\x04\n\x05,\x06\n")
    error = one_error_line(run_cli("validate", "--data", str(path)), "not a CSV table")
    assert "secret" not in error


def test_too_many_columns_and_classes(tmp_path):
    wide = tmp_path / "wide.csv"
    header = ",".join(["genre", *(f"f{i}" for i in range(50_000))])
    wide.write_text(header + "\n" + "\n".join(["pop" + ",1" * 50_000] * 2) + "\n")
    one_error_line(run_cli("validate", "--data", str(wide)), "has 50,001 columns", "at most 2,000")

    many = tmp_path / "many.csv"
    classes = 10_000
    pd.DataFrame(
        {"genre": [f"g{i}" for i in range(classes)] * 2, "energy": np.arange(2 * classes)}
    ).to_csv(many, index=False)
    one_error_line(
        run_cli("validate", "--data", str(many)), "holds 10,000 genres", f"at most {MAX_CLASSES}"
    )


def test_predict_on_a_file_with_a_release_date(tmp_path):
    tracks = make_tracks(90)
    tracks["release_date"] = [f"{1990 + i % 30}-05-01" for i in range(len(tracks))]
    path = tmp_path / "mine.csv"
    tracks.to_csv(path, index=False)
    out = tmp_path / "out.csv"
    done = run_cli(
        "predict", "--data", str(path), "--input", str(path), "--model", "logreg",
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rows"] == 90 and len(pd.read_csv(out)) == 90


@pytest.mark.realdata
def test_training_on_a_raw_table_of_hundreds_of_genres_is_refused(real_data_dir, tmp_path):
    one_error_line(
        run_cli("train", "--data", "spotify-youtube-raw", "--model", "logreg", "--no-log"),
        "holds 397 genres",
    )


def test_describe_says_which_key_the_audit_used(tmp_path):
    tracks = make_tracks(60).drop(columns="track_id").reset_index(names="Unnamed: 0")
    path = tmp_path / "saved_with_index.csv"
    tracks.to_csv(path, index=False)
    done = run_cli("describe", "--data", str(path), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["group_columns"] == ["track_artist"]  # not the row index
    assert summary["audit"]["key"] == "track_name + track_artist"
    assert "no track id column" in summary["audit"]["key_text"]
