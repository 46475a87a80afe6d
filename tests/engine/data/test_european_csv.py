"""Issue 17.4: a European export (';' between fields, Windows-1252, decimal commas, '.' between
thousands) is read as numbers, and what cannot be told apart is said."""

import re

import pytest

from genre_core.data.csvio import read_csv_bytes
from genre_core.data.dataset import load_upload
from genre_core.errors import DataError

ROWS = [
    ("genre", "artist", "energy", "tempo", "duration_ms", "loudness", "key"),
    ("pop", "Beyoncé", "0,335", "120,5", "1.234,5", "-5,2", "5"),
    ("pop", "Céline Dion", "0,41", "118", "215.000,0", "-6", "7"),
    ("rock", "Motörhead", "0,9", "130,25", "1.234.567", "-3,75", "2"),
    ("rock", "Björk", "0,875", "141", "199.999", "-4,5", "11"),
]


def european(rows=ROWS) -> bytes:
    return "\r\n".join(";".join(row) for row in rows).encode("cp1252") + b"\r\n"


def test_decimal_commas_and_thousands_are_numbers():
    dataset = load_upload(european(), "export.csv")
    frame = dataset.frame
    assert frame["artist"].tolist() == ["Beyoncé", "Céline Dion", "Motörhead", "Björk"]
    assert frame["energy"].tolist() == [0.335, 0.41, 0.9, 0.875]
    assert frame["tempo"].tolist() == [120.5, 118, 130.25, 141]
    assert frame["duration_ms"].tolist() == [1234.5, 215000.0, 1234567.0, 199999.0]
    assert frame["loudness"].tolist() == [-5.2, -6.0, -3.75, -4.5]
    assert set(dataset.roles.features) == {"energy", "tempo", "duration_ms", "loudness", "key"}
    notes = " ".join(dataset.warnings)
    assert "semicolon" in notes and "not valid UTF-8" in notes and "Windows-1252" in notes
    assert "decimal commas" in notes and "energy" in notes


def test_tab_separated_with_decimal_commas():
    raw = european().replace(b";", b"\t")
    frame, warnings = read_csv_bytes(raw, "export.tsv")
    assert frame["energy"].tolist() == [0.335, 0.41, 0.9, 0.875]


def test_a_dot_that_may_be_either_is_named():
    rows = [
        (*row, plays)
        for row, plays in zip(ROWS, ("plays", "1.234", "2.500", "3.001", "4.000"), strict=True)
    ]
    frame, warnings = read_csv_bytes(european(rows), "export.csv")
    assert frame["energy"].tolist() == [0.335, 0.41, 0.9, 0.875]
    unsure = [w for w in warnings if "cannot tell" in w]
    assert len(unsure) == 1 and "plays" in unsure[0] and "'1.234'" in unsure[0]
    assert frame["plays"].tolist() == [1.234, 2.5, 3.001, 4.0]  # read as a decimal point


def test_commas_in_a_comma_separated_file_stay_delimiters():
    raw = b'genre,energy,title\npop,0.5,"Hello, world"\nrock,0.7,"Yes, no"\n'
    frame, warnings = read_csv_bytes(raw, "plain.csv")
    assert frame["energy"].tolist() == [0.5, 0.7] and frame["title"][0] == "Hello, world"
    assert not any("decimal" in w for w in warnings)


def test_text_with_commas_is_left_alone():
    raw = b"genre;note;energy\npop;a,b;0,5\nrock;1,2,3;0,7\n"
    frame, _ = read_csv_bytes(raw, "x.csv")
    assert frame["note"].tolist() == ["a,b", "1,2,3"] and frame["energy"].tolist() == [0.5, 0.7]


def test_no_delimiter_at_all_is_said_exactly():
    with pytest.raises(
        DataError, match=re.escape("its first line has no comma, semicolon, tab or pipe")
    ):
        read_csv_bytes(b"genre energy\npop 0,5\n", "odd.csv")
