"""A process (a job worker) reads a known dataset once and copies it for the next recipes,
until its file changes."""

from __future__ import annotations

import shutil

from genre_core.data.dataset import load_dataset


def test_a_known_table_is_read_once_copied_and_read_again_when_its_file_changes(
    real_data_dir, tmp_path, monkeypatch
):
    folder = tmp_path / "music-genre-11"
    folder.mkdir()
    path = folder / "trainWithNaNs.csv"
    shutil.copy(real_data_dir / "music-genre-11" / "trainWithNaNs.csv", path)
    monkeypatch.setenv("GENRE_DATA_DIR", str(tmp_path))
    first = load_dataset("music-genre-11")
    first.frame.loc[first.frame.index[0], "tempo"] = -1.0  # a caller that edits its copy
    second = load_dataset("music-genre-11")
    assert second.frame["tempo"].iloc[0] != -1.0 and len(second.frame) == len(first.frame)
    assert second.repaired["duration_ms"].sum() == first.repaired["duration_ms"].sum() > 0
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-100]))  # the file changes: read again
    third = load_dataset("music-genre-11")
    assert len(third.frame) == len(first.frame) - 100
    assert any("differs from the published file" in w for w in third.warnings)
