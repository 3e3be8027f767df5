"""Tests for geoloft.measures.read_measures.

Expected coordinates come from pyproj transforming the same numbers directly and from
geopandas reprojecting the hand-made geometries; everything else is worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

from geoloft.columns import (
    BUDGET,
    CATEGORY,
    END_YEAR,
    MEASURE_ID,
    NAME,
    SOURCE,
    START_YEAR,
    STATUS,
    WORKING_CRS,
)
from geoloft.errors import CRSError, InputError, SchemaError
from geoloft.measures import MissingCoordinatesWarning, read_measures
from geoloft.report import get_report

CANONICAL = [MEASURE_ID, NAME, CATEGORY, STATUS, START_YEAR, END_YEAR, BUDGET]


def write(tmp_path: Path, text: str, *, name: str = "m.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def to_working(xs: list[float], ys: list[float], crs: str) -> np.ndarray:
    """Transform coordinates with pyproj directly (the expected values)."""
    transformer = pyproj.Transformer.from_crs(crs, WORKING_CRS, always_xy=True)
    return np.column_stack(transformer.transform(xs, ys))


def coords(frame: gpd.GeoDataFrame) -> np.ndarray:
    return shapely.get_coordinates(frame.geometry.array)


NORWEGIAN = (
    "id;navn;Kategori;status;startår;sluttår;budsjett;lat;lon;ansvarlig\n"
    "T1;Møteplass Tøyen;Fysisk;planlagt;2023;2025;1 500 000 kr;59,915;10,770;PBE\n"
    "T2;Leksehjelp;SOSIAL;pågår;2022-08-15;;250 000,-;59.928;10.807;Bydel Bjerke\n"
)


def test_norwegian_csv_with_bom(tmp_path):
    path = write(tmp_path, NORWEGIAN, encoding="utf-8-sig")
    m = read_measures(path)
    assert m.columns.tolist() == [*CANONICAL, SOURCE, "ansvarlig", "geometry"]
    assert m[SOURCE].tolist() == ["m.csv", "m.csv"]  # no label: the file name
    assert m.crs == WORKING_CRS
    assert m[MEASURE_ID].tolist() == ["T1", "T2"]  # not "\ufeffid" -> generated ids
    assert m[NAME].tolist() == ["Møteplass Tøyen", "Leksehjelp"]
    assert m[CATEGORY].tolist() == ["fysisk", "sosial"]
    assert m[START_YEAR].tolist() == [2023, 2022]
    assert m[START_YEAR].dtype == "Int64"
    assert m[END_YEAR].isna().tolist() == [False, True]
    assert m[BUDGET].tolist() == [1_500_000.0, 250_000.0]
    expected = to_working([10.770, 10.807], [59.915, 59.928], "EPSG:4326")
    np.testing.assert_allclose(coords(m), expected, atol=1e-6)
    report = get_report(m)
    assert (report.rows_in, report.rows_out, report.dropped) == (2, 2, {})
    assert report.notes["columns"]["id"] == MEASURE_ID
    assert "generated ids" not in report.notes


def test_english_columns_and_unknown_category(tmp_path):
    text = (
        "Measure_ID,Name,Category,Status,Start_Year,End_Year,Budget,Longitude,Latitude\n"
        "a,Park,Physical,done,2020,2021,100,10.75,59.91\n"
        "b,Concert,Music Night,planned,2024,2024,,10.76,59.92\n"
    )
    m = read_measures(write(tmp_path, text))
    assert m[CATEGORY].tolist() == ["fysisk", "Music Night"]  # unknown kept as given
    assert get_report(m).notes["other categories"] == ["Music Night"]
    assert m[BUDGET].isna().tolist() == [False, True]
    assert m[STATUS].tolist() == ["done", "planned"]


def test_latin1_file(tmp_path):
    text = "navn;lon;lat\nSkøyteis på Årvoll;10,82;59,95\n"
    m = read_measures(write(tmp_path, text, encoding="latin-1"))
    assert m[NAME].tolist() == ["Skøyteis på Årvoll"]
    assert m[MEASURE_ID].tolist() == ["M001"]
    assert get_report(m).notes["generated ids"] == {"count": 1, "examples": ["M001"]}


@pytest.mark.parametrize("crs", ["EPSG:25833", "EPSG:25832"])
def test_xy_columns_in_named_crs(tmp_path, crs):
    text = "tiltak;øst;nord\nA;262000;6649000\nB;598000,5;6643000\n"
    m = read_measures(write(tmp_path, text), crs=crs)
    expected = to_working([262000, 598000.5], [6649000, 6643000], crs)
    np.testing.assert_allclose(coords(m), expected, atol=1e-6)
    assert get_report(m).notes["coordinate columns"] == ["øst", "nord"]


def test_explicit_xy_and_id_columns(tmp_path):
    text = "kode;E;N\nK-1;262000;6649000\n"
    m = read_measures(write(tmp_path, text), x="E", y="N", crs="EPSG:25833", id_column="kode")
    assert m[MEASURE_ID].tolist() == ["K-1"]
    np.testing.assert_allclose(coords(m), [[262000, 6649000]])
    with pytest.raises(SchemaError, match=r"m\.csv.*no column 'east' \(named for 'x'\).*kode, E"):
        read_measures(write(tmp_path, text), x="east", y="N", crs="EPSG:25833")


def test_missing_file_and_missing_id_column(tmp_path):
    with pytest.raises(InputError, match=r"tiltak\.csv.*not found"):
        read_measures(tmp_path / "tiltak.csv")
    path = write(tmp_path, "navn;lon;lat\nA;10.75;59.91\n")
    with pytest.raises(SchemaError, match=r"m\.csv.*no column 'nr' \(named for 'id'\).*navn, lon"):
        read_measures(path, id_column="nr")


def test_xy_without_crs_is_an_error(tmp_path):
    path = write(tmp_path, "id;x;y\n1;262000;6649000\n")
    with pytest.raises(CRSError, match=r"m\.csv.*column 'x'.*need a CRS.*crs="):
        read_measures(path)


def test_degrees_in_xy_without_crs_get_a_hint(tmp_path):
    path = write(tmp_path, "id;x;y\n1;10.75;59.91\n")
    with pytest.raises(CRSError, match=r"look like degrees: 'EPSG:4326'"):
        read_measures(path)


def test_rows_without_coordinates_are_reported(tmp_path):
    text = "id;lat;lon\nA;59.91;10.75\nB;;\nC;59.92;10.76\nD;;10.7\nE;.;.\n"
    with pytest.warns(
        MissingCoordinatesWarning, match=r"3 measures without coordinates dropped: B \(row 2\), D"
    ):
        m = read_measures(write(tmp_path, text))
    assert m[MEASURE_ID].tolist() == ["A", "C"]
    report = get_report(m)
    assert report.dropped == {"no coordinates": 3}
    assert report.notes["no coordinates"] == {
        "count": 3,
        "examples": ["B", "D", "E"],
        "rows": [2, 4, 5],
    }
    assert (report.rows_in, report.rows_out) == (5, 2)


def test_coordinates_that_are_not_numbers_are_an_error(tmp_path):
    # a typing error is not a measure without a place: never dropped, named with its rows
    text = "id;lat;lon\nA;59.91;10.75\nB;59,9x;10.7\nC;59.92;ti\nD;nord;10.7\n"
    with pytest.raises(SchemaError) as caught:
        read_measures(write(tmp_path, text))
    message = str(caught.value)
    assert f"{tmp_path / 'm.csv'}: 2 problems:" in message
    assert "column 'lat', 2 rows: 2, 4: coordinates that are not numbers ('59,9x', 'nord')" in (
        message
    )
    assert "column 'lon', 1 row: 3: coordinates that are not numbers ('ti')" in message
    assert "Fix: correct them" in message


def test_swapped_lon_lat(tmp_path):
    text = "id;lon;lat\nA;10.75;59.91\nB;59.92;10.76\nC;60.39;5.32\n"
    with pytest.raises(
        CRSError, match=r"m\.csv: 2 rows: 2, 3: coordinates outside Norway.*swapped"
    ):
        read_measures(write(tmp_path, text))


def test_swapped_projected_xy(tmp_path):
    text = "id;x;y\nA;6649000;262000\n"
    with pytest.raises(CRSError, match=r"1 row: 1: coordinates outside Norway \(ids A\).*swapped"):
        read_measures(write(tmp_path, text), crs="EPSG:25833")


def test_degrees_declared_as_utm(tmp_path):
    text = "id;x;y\nA;10.75;59.91\n"
    with pytest.raises(CRSError, match=r"outside Norway.*look like degrees; pass crs='EPSG:4326'"):
        read_measures(write(tmp_path, text), crs="EPSG:25833")


def test_unknown_crs(tmp_path):
    with pytest.raises(CRSError, match="unknown CRS 'EPSG:999999'"):
        read_measures(write(tmp_path, "id;x;y\nA;1;2\n"), crs="EPSG:999999")


def test_generated_and_duplicate_ids(tmp_path):
    text = "id;lon;lat\n;10.75;59.91\nX;10.76;59.92\n;10.77;59.93\n"
    m = read_measures(write(tmp_path, text))
    assert m[MEASURE_ID].tolist() == ["M001", "X", "M003"]
    dup = "id;lon;lat\nA;10.75;59.91\nB;10.76;59.92\nA;10.77;59.93\n"
    with pytest.raises(SchemaError, match=r"m\.csv.*'measure_id'.*duplicate ids A"):
        read_measures(write(tmp_path, dup))


def test_start_after_end_and_bad_values_named_together(tmp_path):
    text = (
        "id;lon;lat;start;slutt;budsjett\n"
        "A;10.75;59.91;2025;2023;100\n"
        "B;10.75;59.91;2020;2021;mange\n"
        "C;10.75;59.91;i fjor;2021;5\n"
    )
    with pytest.raises(InputError) as info:
        read_measures(write(tmp_path, text))
    message = str(info.value)
    assert "m.csv: 3 problems" in message
    assert "column 'start_year', 1 row: 3: not a year ('i fjor')" in message
    assert "column 'start_year', 1 row: 1: the start year is after the end year" in message
    assert "column 'budget', 1 row: 2: not an amount in NOK ('mange')" in message


def test_no_coordinate_columns(tmp_path):
    with pytest.raises(SchemaError, match=r"m\.csv.*no coordinate columns.*has: id, navn"):
        read_measures(write(tmp_path, "id;navn\n1;A\n"))


def test_empty_and_header_only_files(tmp_path):
    with pytest.raises(InputError, match=r"m\.csv.*empty"):
        read_measures(write(tmp_path, ""))
    with pytest.raises(InputError, match=r"m\.csv.*header but no rows"):
        read_measures(write(tmp_path, "id;lon;lat\n"))


@pytest.fixture
def shapes() -> gpd.GeoDataFrame:
    """A polygon, a line and a point in Oslo (lon/lat), with Norwegian columns."""
    square = Polygon([(10.74, 59.90), (10.76, 59.90), (10.76, 59.91), (10.74, 59.91)])
    return gpd.GeoDataFrame(
        {
            "tiltak_id": [1, 2, 3],
            "tiltak": ["Nytt torg", "Turvei", "Bibliotek"],
            "kategori": ["fysisk", "Fysisk", "kulturell"],
            "budsjett": [2.5e6, 1e6, None],
        },
        geometry=[square, LineString([(10.80, 59.93), (10.82, 59.94)]), Point(10.77, 59.92)],
        crs="EPSG:4326",
    )


def test_geojson_polygons_lines_points(tmp_path, shapes):
    path = tmp_path / "tiltak.geojson"
    shapes.to_file(path, driver="GeoJSON")
    m = read_measures(path)
    assert m.crs == WORKING_CRS
    assert m[MEASURE_ID].tolist() == ["1", "2", "3"]
    assert m[CATEGORY].tolist() == ["fysisk", "fysisk", "kulturell"]
    assert m.geom_type.tolist() == ["Polygon", "LineString", "Point"]
    expected = shapes.to_crs(WORKING_CRS)
    np.testing.assert_allclose(m.area, expected.area, rtol=1e-9)
    np.testing.assert_allclose(m.length, expected.length, rtol=1e-9)
    assert m[BUDGET].isna().tolist() == [False, False, True]


def test_geojson_with_z_and_empty_geometry(tmp_path, shapes):
    frame = shapes.copy()
    frame["geometry"] = [shapely.force_3d(g) for g in frame.geometry]
    frame.loc[2, "geometry"] = None
    path = tmp_path / "z.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.warns(UserWarning, match=r"1 measure without coordinates dropped: 3 \(row 3\)"):
        m = read_measures(path)
    assert not m.has_z.any()
    assert len(m) == 2


def test_gpkg_layers(tmp_path, shapes):
    path = tmp_path / "prosjekt.gpkg"
    shapes.to_crs("EPSG:25832").to_file(path, layer="tiltak")
    shapes.to_file(path, layer="andre")
    with pytest.raises(InputError, match=r"prosjekt\.gpkg.*several layers.*tiltak, andre"):
        read_measures(path)
    with pytest.raises(InputError, match=r"no layer 'x'.*tiltak, andre"):
        read_measures(path, layer="x")
    m = read_measures(path, layer="tiltak")
    np.testing.assert_allclose(m.area, shapes.to_crs(WORKING_CRS).area, rtol=1e-9)


def test_vector_file_without_crs(tmp_path, shapes):
    path = tmp_path / "uten_crs.shp"
    polygons = shapes.iloc[:1].to_crs(WORKING_CRS)
    polygons.to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=r"uten_crs\.shp.*no CRS.*crs="):
        read_measures(path)
    m = read_measures(path, crs=WORKING_CRS)
    np.testing.assert_allclose(m.area, polygons.area, rtol=1e-9)


def test_invalid_polygon_is_repaired(tmp_path):
    bowtie = Polygon([(10.74, 59.90), (10.76, 59.91), (10.76, 59.90), (10.74, 59.91)])
    frame = gpd.GeoDataFrame({"navn": ["Sløyfe"]}, geometry=[bowtie], crs="EPSG:4326")
    path = tmp_path / "ugyldig.geojson"
    frame.to_file(path, driver="GeoJSON")
    m = read_measures(path)
    assert m.is_valid.all()
    assert get_report(m).notes["repaired geometries (rows)"] == [1]
    assert get_report(m).notes["repaired geometries"] == 1
    expected = shapely.make_valid(bowtie)  # two triangles, area kept
    assert m.geom_type.tolist() == [expected.geom_type]
    expected_area = gpd.GeoSeries([expected], crs="EPSG:4326").to_crs(WORKING_CRS).area
    np.testing.assert_allclose(m.area, expected_area, rtol=1e-9)


def test_unknown_format(tmp_path):
    path = write(tmp_path, "not a vector file", name="m.xyz")
    with pytest.raises(InputError, match=r"m\.xyz.*unknown or unreadable format"):
        read_measures(path)


def test_workbook_with_coordinates(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["id", "Lengdegrad", "Breddegrad", "Tiltak"])
    book.active.append(["A", 10.75, 59.91, "Park"])
    book.save(tmp_path / "m.xlsx")
    m = read_measures(tmp_path / "m.xlsx")
    assert m[[MEASURE_ID, NAME]].values.tolist() == [["A", "Park"]]
    np.testing.assert_allclose(coords(m), to_working([10.75], [59.91], "EPSG:4326"), atol=1e-6)


def test_layer_without_geometry(tmp_path):
    path = tmp_path / "tabell.gpkg"
    gpd.GeoDataFrame({"id": ["A"]}, geometry=[Point(262000, 6649000)], crs=WORKING_CRS).to_file(
        path, layer="punkter"
    )
    pyogrio.write_dataframe(pd.DataFrame({"id": ["A"]}), path, layer="tabell", append=True)
    with pytest.raises(InputError, match=r"tabell\.gpkg.*no geometry.*CSV with lon/lat"):
        read_measures(path, layer="tabell")


def test_index_is_fresh_and_input_file_unchanged(tmp_path):
    path = write(tmp_path, NORWEGIAN)
    before = path.read_bytes()
    m = read_measures(path)
    pd.testing.assert_index_equal(m.index, pd.RangeIndex(2))
    assert path.read_bytes() == before
