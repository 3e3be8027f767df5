"""Measures as people have them: column mappings, labels, several files, real files.

Expected values are worked out by hand, or come from parsing the same file with the
json module and transforming its coordinates with pyproj directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
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
from geoloft.errors import InputError, SchemaError
from geoloft.measures import (
    MeasureFile,
    MissingCoordinatesWarning,
    read_measures,
    read_measures_many,
)
from geoloft.report import get_report

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "measures"
MINIMAL = (
    "id;navn;kategori;lon;lat\n1;Aktivitetspark;fysisk;10.90;59.95\n2;Leksehjelp;;10.91;59.96\n"
)


def write(tmp_path: Path, text: str, name: str = "m.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def lonlat_to_working(lon: list[float], lat: list[float]) -> np.ndarray:
    transformer = pyproj.Transformer.from_crs("EPSG:4326", WORKING_CRS, always_xy=True)
    return np.column_stack(transformer.transform(lon, lat))


def test_minimal_file_has_every_optional_column_missing(tmp_path):
    m = read_measures(write(tmp_path, MINIMAL))
    assert m[[MEASURE_ID, NAME]].values.tolist() == [["1", "Aktivitetspark"], ["2", "Leksehjelp"]]
    assert m[CATEGORY].iloc[0] == "fysisk"
    assert pd.isna(m[CATEGORY].iloc[1])  # empty, not invented
    for column in (STATUS, START_YEAR, END_YEAR, BUDGET):
        assert m[column].isna().all(), column
    assert m[START_YEAR].dtype == "Int64"
    assert m[BUDGET].dtype == "float64"
    assert get_report(m).notes["columns not in file"] == [STATUS, START_YEAR, END_YEAR, BUDGET]
    expected = lonlat_to_working([10.90, 10.91], [59.95, 59.96])
    np.testing.assert_allclose(shapely.get_coordinates(m.geometry.array), expected, atol=1e-6)


def test_column_mapping_names_every_column(tmp_path):
    text = (
        "kode|tittel|tema|fase|oppstart|ferdig|kroner|bredde_grader|lengde_grader\n"
        "A7|Turvei|Fysisk|pågår|2021|2023|2 000 000|59.93|10.80\n"
    )
    columns = {
        "id": "kode",
        "name": "tittel",
        "category": "tema",
        "status": "fase",
        "start_year": "oppstart",
        "end_year": "ferdig",
        "budget": "kroner",
        "lon": "lengde_grader",
        "lat": "bredde_grader",
    }
    m = read_measures(write(tmp_path, text), columns=columns)
    row = m.iloc[0]
    assert [row[c] for c in (MEASURE_ID, NAME, CATEGORY, STATUS)] == [
        "A7",
        "Turvei",
        "fysisk",
        "pågår",
    ]
    assert (row[START_YEAR], row[END_YEAR], row[BUDGET]) == (2021, 2023, 2_000_000.0)
    np.testing.assert_allclose(
        shapely.get_coordinates(m.geometry.array), lonlat_to_working([10.80], [59.93]), atol=1e-6
    )
    # the mapped columns are not repeated among the other columns
    assert m.columns.tolist() == [MEASURE_ID, NAME, CATEGORY, STATUS, START_YEAR, END_YEAR,
                                  BUDGET, SOURCE, "geometry"]  # fmt: skip


def test_projected_xy_mapping_with_crs(tmp_path):
    text = "nr;E;N\n1;262000;6649000\n"
    m = read_measures(write(tmp_path, text), columns={"x": "E", "y": "N"}, crs="EPSG:25832")
    transformer = pyproj.Transformer.from_crs("EPSG:25832", WORKING_CRS, always_xy=True)
    expected = np.column_stack(transformer.transform([262000], [6649000]))
    np.testing.assert_allclose(shapely.get_coordinates(m.geometry.array), expected, atol=1e-6)


def test_none_in_mapping_means_the_file_has_no_such_column(tmp_path):
    # 'type' is a usual spelling of category; here it means the kind of building
    text = "navn;type;lon;lat\nHuset;bolig;10.8;59.9\n"
    m = read_measures(write(tmp_path, text), columns={"category": None})
    assert m[CATEGORY].isna().all()
    assert m["type"].tolist() == ["bolig"]
    assert read_measures(write(tmp_path, text))[CATEGORY].tolist() == ["bolig"]


@pytest.mark.parametrize(
    ("columns", "error", "match"),
    [
        ({"navn": "navn"}, SchemaError, r"m\.csv.*unknown key 'navn'.*id, measure_id, name"),
        ({"name": "tittel"}, SchemaError, r"m\.csv.*no column 'tittel' \(named for 'name'\).*navn"),
        ({"lon": "lon", "x": "lat"}, SchemaError, r"both lon/lat and x/y"),
        ({"name": 3}, TypeError, r"columns\['name'\] must be a column name"),
    ],
    ids=["unknown-key", "absent-column", "lonlat-and-xy", "not-text"],
)
def test_bad_mappings(tmp_path, columns, error, match):
    with pytest.raises(error, match=match):
        read_measures(write(tmp_path, MINIMAL), columns=columns)


def test_label_is_the_category_only_where_the_file_has_none(tmp_path):
    no_category = write(tmp_path, "navn;lon;lat\nA;10.8;59.9\nB;10.81;59.91\n", "a.csv")
    m = read_measures(no_category, label="Skoler")
    assert m[CATEGORY].tolist() == ["Skoler", "Skoler"]
    assert m[SOURCE].tolist() == ["Skoler", "Skoler"]
    assert get_report(m).notes["category from label"] == "Skoler"
    # a file with categories keeps them; an empty one stays missing (never invented)
    m = read_measures(write(tmp_path, MINIMAL), label="Prosjekter")
    assert m[CATEGORY].iloc[0] == "fysisk"
    assert pd.isna(m[CATEGORY].iloc[1])
    assert m[SOURCE].tolist() == ["Prosjekter", "Prosjekter"]


def test_a_source_column_in_the_file(tmp_path):
    path = write(tmp_path, "navn;source;lon;lat\nA;Bydelen;10.8;59.9\nB;;10.8;59.9\n")
    labelled = read_measures(path, label="X")  # the label wins; the file's column is kept
    assert labelled[SOURCE].tolist() == ["X", "X"]
    assert labelled["source_original"].tolist() == ["Bydelen", ""]
    # without a label the file's own source stays (a layer geoloft wrote reads back as it was)
    m = read_measures(path)
    assert m[SOURCE].tolist() == ["Bydelen", "m.csv"]
    assert "source_original" not in m.columns


def test_latin1_with_norwegian_letters(tmp_path):
    text = "navn;kategori;breddegrad;lengdegrad\nLøkka får ærlig lys;Fysisk;59,92;10,76\n"
    m = read_measures(write(tmp_path, text, encoding="latin-1"))
    assert m[NAME].tolist() == ["Løkka får ærlig lys"]
    assert m[CATEGORY].tolist() == ["fysisk"]


@pytest.mark.parametrize("missing", ["", "NaN", "nan", "NA", "null", "."])
def test_missing_coordinates_are_dropped_and_named(tmp_path, missing):
    text = f"id;lon;lat\nA;10.8;59.9\nB;{missing};{missing}\nC;10.81;{missing}\n"
    with pytest.warns(MissingCoordinatesWarning, match=r"2 measures.*B \(row 2\), C \(row 3\)"):
        m = read_measures(write(tmp_path, text))
    assert m[MEASURE_ID].tolist() == ["A"]
    report = get_report(m)
    assert (report.rows_in, report.rows_out, report.dropped) == (3, 1, {"no coordinates": 2})
    assert report.notes["no coordinates"]["rows"] == [2, 3]


def test_text_in_coordinates_is_an_error_naming_rows(tmp_path):
    text = "id;lon;lat\nA;10.8;59.9\nB;ti;59.9\nC;10.8;inf\n"
    with pytest.raises(SchemaError, match=r"column 'lon', 1 row: 2.*'ti'") as caught:
        read_measures(write(tmp_path, text))
    assert "column 'lat', 1 row: 3" in str(caught.value)


def test_points_lines_and_polygons_with_a_spike_repaired(tmp_path):
    lon, lat = 10.75, 59.91
    spike = Polygon(
        [(lon, lat), (lon + 0.01, lat), (lon + 0.01, lat + 0.01), (lon + 0.005, lat + 0.01),
         (lon + 0.005, lat + 0.02), (lon + 0.005, lat + 0.01), (lon, lat + 0.01)]
    )  # fmt: skip
    assert shapely.make_valid(spike).geom_type == "GeometryCollection"  # polygon + line
    shapes = [Point(lon, lat), LineString([(lon, lat), (lon + 0.01, lat)]), spike]
    frame = gpd.GeoDataFrame({"navn": ["p", "l", "s"]}, geometry=shapes, crs="EPSG:4326")
    frame.to_file(tmp_path / "mix.geojson", driver="GeoJSON")
    m = read_measures(tmp_path / "mix.geojson")
    assert m.geom_type.tolist() == ["Point", "LineString", "Polygon"]
    body = Polygon(
        [(lon, lat), (lon + 0.01, lat), (lon + 0.01, lat + 0.01), (lon + 0.005, lat + 0.01),
         (lon, lat + 0.01)]
    )  # fmt: skip
    square = gpd.GeoSeries([body], crs="EPSG:4326")  # the spike has no area
    np.testing.assert_allclose(m.area.iloc[2], square.to_crs(WORKING_CRS).area.iloc[0], rtol=1e-9)


def test_many_files_in_one_frame_with_counts_per_file(tmp_path):
    minimal = write(tmp_path, MINIMAL, "minimal.csv")
    holes = write(tmp_path, "navn;lon;lat\nX;10.8;59.9\nY;;\n", "uten.csv")
    demo_csv = DEMO / "demoby_tiltak.csv"
    demo_areas = DEMO / "demoby_tiltak_omrader.geojson"
    n_csv = len(pd.read_csv(demo_csv, sep=";"))
    n_areas = len(json.loads(demo_areas.read_text(encoding="utf-8"))["features"])
    with pytest.warns(MissingCoordinatesWarning, match=r"uten\.csv.*M002 \(row 2\)"):
        m = read_measures_many(
            [
                demo_csv,
                {"path": demo_areas, "label": "Områdetiltak"},
                MeasureFile(minimal, columns={"category": None}),
                MeasureFile(holes, label="Skoler"),
            ]
        )
    assert len(m) == n_csv + n_areas + 2 + 1
    assert m[SOURCE].value_counts().to_dict() == {
        "demoby_tiltak.csv": n_csv,
        "Områdetiltak": n_areas,
        "minimal.csv": 2,
        "Skoler": 1,
    }
    assert m.crs == WORKING_CRS
    assert m[MEASURE_ID].is_unique
    minimal_rows = m[m[SOURCE] == "minimal.csv"]
    assert minimal_rows[CATEGORY].isna().all()  # mapped away, no label: missing
    assert minimal_rows["kategori"].tolist() == ["fysisk", ""]  # kept as read, another column
    assert m.loc[m[SOURCE] == "demoby_tiltak.csv", "kategori"].isna().all()
    assert m.loc[m[SOURCE] == "Skoler", CATEGORY].tolist() == ["Skoler"]
    report = get_report(m)
    assert (report.rows_in, report.rows_out) == (n_csv + n_areas + 2 + 2, len(m))
    assert report.dropped == {"no coordinates": 1}
    files = {f["source"]: f for f in report.notes["files"]}
    assert (files["Skoler"]["rows_in"], files["Skoler"]["rows_out"]) == (2, 1)
    assert files["Skoler"]["file"] == "uten.csv"  # a file name, never a local path
    assert files["Områdetiltak"]["rows_out"] == n_areas
    pd.testing.assert_index_equal(m.index, pd.RangeIndex(len(m)))


def test_ids_repeated_across_files_get_their_source(tmp_path):
    a = write(tmp_path, MINIMAL, "a.csv")
    b = write(tmp_path, "id;lon;lat\n1;10.7;59.9\n9;10.7;59.91\n", "b.csv")
    m = read_measures_many([a, MeasureFile(b, label="B")])
    assert m[MEASURE_ID].tolist() == ["a.csv:1", "a.csv:2", "B:1", "B:9"]
    assert get_report(m).notes["ids prefixed with their source"] == {
        "count": 1,
        "examples": ["1"],
    }
    distinct = write(tmp_path, "id;lon;lat\n7;10.7;59.9\n", "c.csv")
    assert read_measures_many([a, distinct])[MEASURE_ID].tolist() == ["1", "2", "7"]


def test_bad_lists_of_files(tmp_path):
    a = write(tmp_path, MINIMAL, "a.csv")
    with pytest.raises(InputError, match="no measures files"):
        read_measures_many([])
    with pytest.raises(InputError, match=r"several files have the source 'S'.*own label"):
        read_measures_many([MeasureFile(a, label="S"), MeasureFile(a, label="S")])
    with pytest.raises(SchemaError, match=r"unknown keys kolonner.*path, label, columns"):
        read_measures_many([{"path": a, "kolonner": {}}])
    with pytest.raises(TypeError, match="not int"):
        read_measures_many([3])  # type: ignore[list-item]


def test_schools_norway_national_points_without_years(realdata):
    path = realdata / "schools-norway" / "skoler.geojson"
    raw = json.loads(path.read_text(encoding="utf-8"))["features"]
    m = read_measures_many([MeasureFile(path, label="Skoler")])
    assert len(m) == len(raw) == 2667
    assert m[NAME].tolist() == [f["properties"]["navn"] for f in raw]
    assert (m[CATEGORY] == "Skoler").all()
    for column in (STATUS, START_YEAR, END_YEAR, BUDGET):
        assert m[column].isna().all(), column
    lon, lat = np.array([f["geometry"]["coordinates"] for f in raw]).T
    expected = lonlat_to_working(lon.tolist(), lat.tolist())
    np.testing.assert_allclose(shapely.get_coordinates(m.geometry.array), expected, atol=1e-6)
    assert (m["kommunenummer"] == "0301").sum() == 151  # README: Oslo has 151 schools
    # the report stays small: counts and a few examples, never every generated id
    assert len(json.dumps(get_report(m).to_dict(), default=str)) < 3000
