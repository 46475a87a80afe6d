"""The CLI on small files: JSON out, or exit 2 with one `error:` line and no traceback."""

import json

import pytest

from conftest import make_tracks, run_cli


def test_describe_json(tmp_path):
    path = tmp_path / "songs.csv"
    make_tracks(60).to_csv(path, index=False)
    result = run_cli("describe", "--data", str(path), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["rows"] == 60 and summary["label"] == "genre"
    assert summary["classes"] == {"pop": 20, "rock": 20, "rap": 20}
    assert summary["features"] == ["danceability", "energy", "tempo"]
    assert summary["audit"]["duplicate_ids"] == 30  # every id is on two rows
    assert set(summary["audit"]) >= {"duplicate_ids", "conflicting_ids", "duplicate_rows"}


def test_validate_ok(tmp_path):
    path = tmp_path / "songs.csv"
    make_tracks(30).to_csv(path, index=False)
    result = run_cli("validate", "--data", str(path), "--label", "genre")
    assert result.returncode == 0 and result.stdout.startswith("ok: songs.csv: 30 rows, 3 genres")


BAD = {
    "empty.csv": (b"", "is empty"),
    "header.csv": (b"genre,energy\n", "no data rows"),
    "oneclass.csv": (b"genre,energy\npop,1\npop,2\n", "single genre"),
    "ragged.csv": (b"genre,energy\npop,1\nrock,2,3\n", "line 3"),
    "zipped.csv": (b"PK\x03\x04rest", "zip archive"),
    "inf.csv": (b"genre,energy\npop,1\npop,inf\nrock,2\nrock,3\n", "infinite value on line 3"),
    "text.csv": (
        b"genre,energy,tempo\npop,1,120\npop,2,fast\nrock,3,130\nrock,4,131\n"
        b"rap,5,99\nrap,6,98\nrap,7,97\nrap,8,96\nrap,9,95\nrap,1,94\n",
        "column 'tempo' should hold numbers but line 3 holds 'fast'",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_exits_2_with_one_line(tmp_path, name):
    raw, message = BAD[name]
    path = tmp_path / name
    path.write_bytes(raw)
    result = run_cli("validate", "--data", str(path))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_missing_label_and_missing_file(tmp_path):
    path = tmp_path / "songs.csv"
    make_tracks(30).to_csv(path, index=False)
    result = run_cli("validate", "--data", str(path), "--label", "style")
    assert result.returncode == 2 and "label column 'style' not found" in result.stderr
    result = run_cli("describe", "--data", str(tmp_path / "gone.csv"))
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_datasets_lists_every_known_dataset():
    result = run_cli("datasets", "--json")
    names = [row["name"] for row in json.loads(result.stdout)]
    assert names[:2] == ["spotify-30k", "music-genre-11"] and "spotify-114k" in names
