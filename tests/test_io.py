"""Low-level readers: encodings, separators, Norwegian numbers, atomic writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoloft._io import (
    atomic_path,
    detect_encoding,
    existing_file,
    parse_numbers,
    read_text_table,
)
from geoloft.errors import InputError, OutputExistsError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("navn;verdi\nØkern;1\n".encode(), "utf-8"),
        ("navn;verdi\nØkern;1\n".encode("latin-1"), "latin-1"),
        (b"\xef\xbb\xbf" + "navn;verdi\nØkern;1\n".encode(), "utf-8-sig"),
    ],
    ids=["utf8", "latin1", "bom"],
)
def test_encodings_read_aeoeaa(tmp_path, raw, expected):
    path = tmp_path / "t.csv"
    path.write_bytes(raw)
    assert detect_encoding(path) == expected
    table = read_text_table(path)
    assert table.columns.tolist() == ["navn", "verdi"]  # no BOM in the first name
    assert table["navn"].tolist() == ["Økern"]


def test_latin1_letter_in_the_last_bytes(tmp_path):
    # The only non-ASCII byte sits at the very end of a small file: no sample was cut there.
    path = tmp_path / "t.csv"
    path.write_bytes("navn;verdi\n1;Bø\n".encode("latin-1"))
    assert detect_encoding(path) == "latin-1"
    assert read_text_table(path)["verdi"].tolist() == ["Bø"]


def test_utf8_letter_cut_at_the_sample_end(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("navn;verdi\n1;Bø\n".encode())
    cut = len(b"navn;verdi\n1;B") + 1  # the first of the two bytes of "ø"
    assert detect_encoding(path, sample=cut) == "utf-8"


def test_whitespace_separated(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("rute_100m sum\n22536006661600 9\n", encoding="utf-8")
    assert read_text_table(path)["sum"].tolist() == ["9"]


@pytest.mark.parametrize("content", [b"", b"\n"], ids=["empty", "blank-line"])
def test_empty_files(tmp_path, content):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"t\.csv.*(empty|no header)"):
        read_text_table(existing_file(path))


def test_missing_file_lists_neighbours(tmp_path):
    (tmp_path / "grid_250m.csv").write_text("x")
    with pytest.raises(InputError, match=r"not found.*grid_250m\.csv"):
        existing_file(tmp_path / "grid_25m.csv")


def test_parse_numbers_norwegian_and_markers():
    values = pd.Series(
        ["1 234,5", "39,9", "1.234,5", "1,234.5", ".", ":", "..", "-", "", "\u22127", "12", "x1"]
    )
    parsed = parse_numbers(values)
    expected = [1234.5, 39.9, 1234.5, 1234.5, *([np.nan] * 5), -7.0, 12.0, np.nan]
    np.testing.assert_array_equal(parsed.values.to_numpy(), expected)
    assert parsed.suppressed.sum() == 5
    assert parsed.bad_rows.tolist() == [11]


def test_atomic_path_renames_on_success_and_cleans_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != target
        tmp.write_text("done")
    assert target.read_text() == "done"
    with pytest.raises(OutputExistsError), atomic_path(target):
        pass

    def fail_half_way() -> None:
        with atomic_path(target, overwrite=True) as tmp:
            tmp.write_text("half")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_half_way()
    assert target.read_text() == "done"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
