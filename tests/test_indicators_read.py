"""Tests for geoloft.indicators.read_indicators.

Expected values come from the README of ``realdata/oslo-indicators`` (counts, codes,
sample rows), from pandas reading the same files directly, and from hand-made tables.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geoloft.columns import AREA_ID, NAME
from geoloft.errors import InputError, SchemaError
from geoloft.indicators import read_indicators
from geoloft.report import get_report

EIEFORM = "oslo-indicators/eieform_delbydel_2015-2017.csv"
# 2017+ delbydel codes without rows in 2015 (realdata/oslo-delbydeler/README.md)
NEW_CODES = ["0108", "0109", "0110", "0111", "0208", "0209", "0905", "0906"]


@pytest.fixture(scope="module")
def delbydeler(realdata: Path) -> gpd.GeoDataFrame:
    """The 97 Oslo delbydeler as a minimal areas frame (area_id, name, geometry)."""
    frame = gpd.read_file(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson")
    return frame.rename(columns={"DELBYDEL": AREA_ID, "DELBYDELSN": NAME})[
        [AREA_ID, NAME, "geometry"]
    ]


@pytest.fixture
def tiny_areas() -> pd.DataFrame:
    return pd.DataFrame(
        {AREA_ID: ["0101", "0102", "0103"], NAME: ["Bjølsen", "Åsen", "Grünerløkka øst"]}
    )


def write(tmp_path: Path, text: str, *, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


# -- real data ---------------------------------------------------------------------------


def test_eieform_2017_matches_all_delbydeler(realdata, delbydeler):
    with pytest.warns(UserWarning, match=r"1 row whose key matches no area dropped \(1701\)"):
        table = read_indicators(realdata / EIEFORM, areas=delbydeler, where={"aar": 2017})
    assert sorted(table[AREA_ID]) == sorted(delbydeler[AREA_ID])
    assert len(table) == 97
    report = get_report(table)
    assert report.rows_in == 358
    assert report.rows_out == 97
    assert report.dropped == {
        "not selected by where aar=2017": 358 - 122,
        "empty key": 24,
        "key matches no area": 1,
    }
    assert report.notes["keys matching no area"] == ["1701"]
    assert report.notes["areas without rows"] == []
    # values: pandas reading the same file directly
    raw = pd.read_csv(realdata / EIEFORM, sep=";", dtype={"delbydel_id": str})
    raw = raw[(raw["aar"] == 2017) & raw["delbydel_id"].notna()].set_index("delbydel_id")
    got = table.set_index(AREA_ID)
    for col in ["selveier_alle", "borettslag_andel_alle", "leier_uten_studenter"]:
        assert got[col].dtype == np.float64
        pd.testing.assert_series_equal(got[col], raw.loc[got.index, col], check_names=False)
    assert (got[NAME] == raw.loc[got.index, "delbydel_navn"]).all()
    assert table[AREA_ID].str.len().eq(4).all()  # leading zeros kept


def test_eieform_2015_reports_old_codes_and_new_areas(realdata, delbydeler):
    with pytest.warns(UserWarning, match="5 rows whose key .* 8 areas without a row"):
        table = read_indicators(realdata / EIEFORM, areas=delbydeler, where={"aar": 2015})
    report = get_report(table)
    assert sorted(report.notes["keys matching no area"]) == ["0101", "0107", "0207", "0903", "1701"]
    assert sorted(report.notes["areas without rows"]) == NEW_CODES
    assert len(table) == 97 - 8
    # README sample: 2015;11;Bydel Stovner;1104;Haugenstua;2.81;86.53;10.67;2.84;86.75;10.41
    row = table.set_index(AREA_ID).loc["1104"]
    assert row[NAME] == "Haugenstua"
    assert row[["selveier_alle", "borettslag_andel_alle", "leier_alle"]].tolist() == [
        2.81,
        86.53,
        10.67,
    ]


def test_eieform_all_years_is_duplicate_error_suggesting_where(realdata):
    with pytest.raises(
        SchemaError, match=r"eieform.*delbydel_id.*duplicate ids 0101.*where=\{'aar'"
    ):
        read_indicators(realdata / EIEFORM)


def test_eieform_without_areas_reports_empty_keys(realdata):
    with pytest.warns(UserWarning, match="rows with an empty key dropped"):
        table = read_indicators(realdata / EIEFORM, where={"aar": [2017]})
    report = get_report(table)
    assert report.dropped["empty key"] == 24
    assert len(report.notes["rows with empty key"]) == 24
    assert len(table) == 98  # README: 98 delbydel rows in 2017, 1701 Marka included
    assert "bydel_navn" in report.notes["columns not read (identifiers or text)"]


@pytest.mark.parametrize("name", ["snittinntekt_delbydel.csv", "snittinntekt_delbydel.xls"])
def test_snittinntekt_by_name(realdata, delbydeler, name):
    with pytest.warns(UserWarning, match="31 rows whose key matches no area"):
        table = read_indicators(realdata / "oslo-indicators" / name, areas=delbydeler)
    assert len(table) == 96
    report = get_report(table)
    assert report.notes["matched by"] == "name"
    unmatched = report.notes["keys matching no area"]
    assert {"Lodalen", "Helsfyr", "Hasle-Løren", "Økern", "Oslo i alt"} <= set(unmatched)
    assert report.notes["areas without rows"] == ["1601"]  # Sentrum
    # the area ids belong to the names (from the geojson)
    lookup = delbydeler.set_index(NAME)[AREA_ID]
    assert (table[AREA_ID] == lookup.loc[table[NAME]].to_numpy()).all()
    assert table.set_index(NAME).loc["Grønland", "Snittinntekt"] == 367000.0


def test_snittinntekt_xls_equals_csv(realdata, delbydeler):
    folder = realdata / "oslo-indicators"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        from_csv = read_indicators(folder / "snittinntekt_delbydel.csv", areas=delbydeler)
        from_xls = read_indicators(
            folder / "snittinntekt_delbydel.xls", areas=delbydeler, name_key=True, sheet=0
        )
    pd.testing.assert_frame_equal(from_csv, from_xls)


def test_name_table_without_areas_is_an_error(realdata):
    with pytest.raises(SchemaError, match=r"snittinntekt.*column 'Delbydel'.*names.*areas="):
        read_indicators(realdata / "oslo-indicators" / "snittinntekt_delbydel.csv")


# -- hand-made tables ----------------------------------------------------------------------


def test_latin1_names_match_case_and_space_insensitive(tmp_path, tiny_areas):
    path = write(
        tmp_path, "Navn;verdi\nBJØLSEN;1\n  Åsen ;2\ngrünerløkka   øst;3\n", encoding="latin-1"
    )
    before = tiny_areas.copy()
    table = read_indicators(path, areas=tiny_areas, name_key=True)
    assert table[AREA_ID].tolist() == ["0101", "0102", "0103"]
    assert table[NAME].tolist() == ["BJØLSEN", "Åsen", "grünerløkka   øst"]
    assert table["verdi"].tolist() == [1.0, 2.0, 3.0]
    assert get_report(table).notes["keys matching no area"] == []
    pd.testing.assert_frame_equal(tiny_areas, before)  # input not mutated


def test_bom_is_not_part_of_first_column(tmp_path):
    path = write(tmp_path, "delbydel_id;x\n0301;1\n", encoding="utf-8-sig")
    table = read_indicators(path)
    assert table.columns.tolist() == [AREA_ID, "x"]
    assert table[AREA_ID].tolist() == ["0301"]


def test_norwegian_numbers(tmp_path):
    path = write(tmp_path, "area_id;a;b\n01;1 234,5;12,0\n02;1\u00a0000;-3,25\n03;7;0\n")
    table = read_indicators(path)
    assert table["a"].tolist() == [1234.5, 1000.0, 7.0]
    assert table["b"].tolist() == [12.0, -3.25, 0.0]


def test_comma_separated_with_quoted_decimal_commas(tmp_path):
    path = write(tmp_path, 'area_id,a\n"01","2,5"\n"02","3"\n')
    assert read_indicators(path)["a"].tolist() == [2.5, 3.0]


def test_suppression_markers_are_counted_nan(tmp_path):
    path = write(tmp_path, "area_id\tn\tm\n01\t.\t1\n02\t:\t\n03\t..\t2\n04\t-\t3\n05\t5\t.\n")
    table = read_indicators(path)
    assert table["n"].isna().tolist() == [True, True, True, True, False]
    assert table.loc[4, "n"] == 5.0
    notes = get_report(table).notes
    assert notes["suppressed"] == {"n": 4, "m": 1}
    assert notes["empty"] == {"m": 1}


def test_non_numeric_values_name_column_and_rows(tmp_path):
    path = write(tmp_path, "area_id;verdi;ok\n01;12;1\n02;abc;2\n03;14;3\n04;n/a;4\n")
    with pytest.raises(InputError, match=r"t\.csv.*column 'verdi', 2 rows: 2, 4.*'abc', 'n/a'"):
        read_indicators(path)


def test_several_bad_columns_are_reported_together(tmp_path):
    path = write(tmp_path, "area_id;a;b\n01;z;1\n02;2;y\n")  # "x" is an SSB marker
    with pytest.raises(
        InputError, match=r"(?s)2 problems.*column 'a', 1 row: 1.*column 'b', 1 row: 2"
    ):
        read_indicators(path, columns=["a", "b"])


def test_empty_file(tmp_path):
    with pytest.raises(InputError, match=r"t\.csv.*empty"):
        read_indicators(write(tmp_path, ""))


def test_header_only(tmp_path):
    with pytest.raises(InputError, match=r"t\.csv.*header but no data rows"):
        read_indicators(write(tmp_path, "area_id;x\n"))


def test_unknown_format(tmp_path):
    with pytest.raises(InputError, match=r"t\.json.*unknown table format '\.json'"):
        read_indicators(write(tmp_path, '{"a": 1}', name="t.json"))


def test_text_columns_are_dropped_and_constant_ones_noted(tmp_path):
    path = write(tmp_path, "area_id;kilde;merknad;x\n01;SYNTETISK;a;1\n02;SYNTETISK;b;2\n")
    table = read_indicators(path)
    assert table.columns.tolist() == [AREA_ID, "x"]
    notes = get_report(table).notes
    assert notes["columns not read (identifiers or text)"] == ["kilde", "merknad"]
    assert notes["constant text columns"] == {"kilde": "SYNTETISK"}


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv.*not found"):
        read_indicators(tmp_path / "nope.csv")


def test_duplicate_keys_listed(tmp_path):
    path = write(tmp_path, "kommunenummer;x\n0301;1\n4601;2\n0301;3\n5001;4\n4601;5\n")
    with pytest.raises(SchemaError, match=r"t\.csv.*'kommunenummer'.*duplicate ids 0301, 4601"):
        read_indicators(path)


@pytest.mark.parametrize(
    ("surface", "fix"),
    [
        ("python", r"where=\{'aar': 2017\}"),
        ("cli", r"--where aar=2017"),
        ("project", r"\[inputs\.indicators\] where = \{ aar = 2017 \}"),
    ],
)
def test_keys_repeating_over_years_suggest_where_as_written_where_the_user_is(
    tmp_path, surface, fix
):
    from geoloft._where import using_surface

    path = write(tmp_path, "aar;bydel_id;x\n2016;01;1\n2016;02;2\n2017;01;3\n2017;02;4\n")
    with (
        using_surface(surface),
        pytest.raises(
            SchemaError,
            match=r"t\.csv: column 'bydel_id': duplicate ids 01, 02.*Fix: rows repeat over 'aar'.*"
            + fix,
        ),
    ):
        read_indicators(path)
    assert read_indicators(path, where={"aar": 2017})["x"].tolist() == [3.0, 4.0]
    assert read_indicators(path, where="aar == 2017")["x"].tolist() == [3.0, 4.0]
    assert read_indicators(path, where={"AAR": "2017"})["x"].tolist() == [3.0, 4.0]


def test_missing_key_column_lists_available(tmp_path):
    path = write(tmp_path, "sted;verdi\n1;2\n")
    with pytest.raises(SchemaError, match=r"t\.csv.*no key \(area id\) column.*has: sted, verdi"):
        read_indicators(path)
    with pytest.raises(SchemaError, match=r"no key column 'kode'.*has: sted, verdi"):
        read_indicators(path, key="kode")


def test_explicit_key_and_id_columns(tmp_path):
    path = write(tmp_path, "Sted;bydel_nr;verdi\n030101;01;2\n030102;02;3\n")
    table = read_indicators(path, key="sted")  # case-insensitive
    assert table.columns.tolist() == [AREA_ID, "verdi"]  # bydel_nr is an id, not a value
    assert table[AREA_ID].tolist() == ["030101", "030102"]


def test_where_and_columns(tmp_path):
    path = write(tmp_path, "aar;area_id;a;b\n2016;01;1;2\n2017;01;3;4\n2017;02;5;x\n")
    table = read_indicators(path, where={"aar": 2017}, columns=["a"])
    assert table.columns.tolist() == [AREA_ID, "a"]
    assert table["a"].tolist() == [3.0, 5.0]
    with pytest.raises(SchemaError, match=r"missing column\(s\) c; the table has: aar, area_id"):
        read_indicators(path, where={"aar": 2017}, columns=["c"])
    with pytest.raises(SchemaError, match="no column 'year' to select rows by"):
        read_indicators(path, where={"year": 2017})
    with pytest.raises(InputError, match=r"column 'aar'.*no rows where aar is 2018.*2016, 2017"):
        read_indicators(path, where={"aar": 2018})


def test_areas_without_rows_alone_are_reported_not_warned(tmp_path, tiny_areas):
    path = write(tmp_path, "area_id;x\n0101;1\n0103;3\n")
    table = read_indicators(path, areas=tiny_areas)  # warnings are errors in the test run
    assert get_report(table).notes["areas without rows"] == ["0102"]


def test_unmatched_ids_and_areas_without_rows(tmp_path, tiny_areas):
    path = write(tmp_path, "area_id;x\n0101;1\n0199;2\n0103;3\n")
    with pytest.warns(UserWarning, match=r"1 row whose key matches no area dropped \(0199\); "
                      r"1 area without a row \(0102\)"):  # fmt: skip
        table = read_indicators(path, areas=tiny_areas)
    assert table[AREA_ID].tolist() == ["0101", "0103"]
    assert get_report(table).dropped == {"key matches no area": 1}


def test_xlsx_with_sheet_and_numeric_ids(tmp_path, tiny_areas):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "info"
    book.active.append(["Synthetic test table"])
    sheet = book.create_sheet("data")
    sheet.append([])  # a leading empty row
    sheet.append(["delbydel", "antall", "andel"])
    for row in [(101, 10, 0.5), (102, None, "."), (103, 30, 0.25)]:
        sheet.append(row)
    path = tmp_path / "t.xlsx"
    book.save(path)
    table = read_indicators(path, sheet="data", areas=tiny_areas)
    assert table[AREA_ID].tolist() == ["0101", "0102", "0103"]  # zero-padded like the areas
    assert table["antall"].tolist()[::2] == [10.0, 30.0]
    assert np.isnan(table.loc[1, "antall"])
    report = get_report(table)
    assert report.notes["zero-padded keys"] == 3
    assert report.notes["suppressed"] == {"andel": 1}
    with pytest.raises(InputError, match=r"t\.xlsx.*no sheet 'tall'.*'info', 'data'"):
        read_indicators(path, sheet="tall")


def test_broken_workbook(tmp_path):
    with pytest.raises(InputError, match=r"t\.xlsx.*not a valid Excel workbook"):
        read_indicators(write(tmp_path, "area_id;x\n01;1\n", name="t.xlsx"))


def test_name_key_needs_areas(tmp_path):
    path = write(tmp_path, "navn;x\nÅsen;1\n")
    with pytest.raises(InputError, match="name_key=True needs areas="):
        read_indicators(path, name_key=True)
