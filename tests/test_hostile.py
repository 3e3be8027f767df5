"""Hostile and extreme values: each case of the issue with its message or treatment.

Long names, huge settings, mathtext in names, spreadsheet formulas, NUL and bidi
characters, NaN/Inf coordinates, areas that miss the grid, stray separators and
implausible counts.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geoloft._validate import (
    MAX_TEXT_LENGTH,
    CleanedTextWarning,
    check_areas_meet_grid,
    clean_text,
)
from geoloft.boundaries import read_boundaries
from geoloft.config import load_project
from geoloft.demo import write_demo_project
from geoloft.errors import ConfigError, CRSError, GeometryError, InputError
from geoloft.export import write
from geoloft.export.formats import csv_safe
from geoloft.grid import read_grid
from geoloft.grid._build import ImplausibleCountWarning
from geoloft.indicators import read_indicators
from geoloft.measures import read_measures

X0, Y0 = 597_000, 6_643_000  # a corner of a 250 m cell in Oslo (EPSG:25833)


def _ssbid(x: int, y: int) -> str:
    return str((x + 2_000_000) * 10_000_000 + y)


def _geojson(path: Path, features: list[dict], crs: str | None = None) -> Path:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=True), encoding="utf-8")
    return path


def _square(area_id: str, name: str, x: float, y: float, size: float = 1000) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {
        "type": "Feature",
        "properties": {"area_id": area_id, "name": name},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


# -- names: length, NUL, bidi -------------------------------------------------------------


def test_a_one_megabyte_name_is_cut_quickly_with_a_report(tmp_path):
    huge = "Ø" * 1_000_000
    path = _geojson(
        tmp_path / "b.geojson",
        [_square("01", huge, X0, Y0), _square("02", "Sagene", X0 + 1000, Y0)],
        crs="urn:ogc:def:crs:EPSG::25833",
    )
    start = time.perf_counter()
    with pytest.warns(CleanedTextWarning, match=r"longer than 200 characters cut in 1 row: 01"):
        areas = read_boundaries(path)
    assert time.perf_counter() - start < 10
    assert len(areas["name"].iloc[0]) == MAX_TEXT_LENGTH
    assert areas["name"].iloc[0].endswith("…")
    assert areas["name"].iloc[1] == "Sagene"
    assert areas.attrs["report"].notes["text_cut"]["rows"] == ["01"]


def test_nul_in_geojson_names_is_removed_not_cut_at(tmp_path):
    # GDAL's strings end at NUL: without care "Nul\u0000l" and "Nul\u0000x" both read "Nul"
    path = _geojson(
        tmp_path / "b.geojson",
        [
            _square("01", "Nul\u0000l", 10.70, 59.90, 0.01),
            _square("02", "Nul\u0000x", 10.72, 59.90, 0.01),
        ],
    )
    with pytest.warns(CleanedTextWarning, match=r"b.geojson: column 'name'.*2 rows: 01, 02"):
        areas = read_boundaries(path)
    assert areas["name"].tolist() == ["Null", "Nulx"]


def test_bidi_controls_are_removed_from_area_measure_and_indicator_names(tmp_path):
    rlo, lri, lrm = "\u202e", "\u2066", "\u200e"
    path = _geojson(
        tmp_path / "b.geojson",
        [_square("01", f"{rlo}Grünerløkka", X0, Y0), _square("02", "Sagene", X0 + 1000, Y0)],
        crs="urn:ogc:def:crs:EPSG::25833",
    )
    with pytest.warns(CleanedTextWarning, match=r"1 row: 01"):
        areas = read_boundaries(path)
    assert areas["name"].tolist() == ["Grünerløkka", "Sagene"]

    measures = tmp_path / "m.csv"
    measures.write_text(
        f"id;name;category;x;y\nT1;Skole{lri}park;fysisk;{X0 + 10};{Y0 + 10}\n"
        f"T2;Nabolag\x00vert;{lrm}sosial;{X0 + 20};{Y0 + 20}\n",
        encoding="utf-8",
    )
    with pytest.warns(CleanedTextWarning) as caught:
        m = read_measures(measures, crs="EPSG:25833")
    assert m["name"].tolist() == ["Skolepark", "Nabolagvert"]
    assert m["category"].tolist() == ["fysisk", "sosial"]
    said = " ".join(str(w.message) for w in caught)
    assert "column 'name'" in said
    assert "T1, T2" in said
    assert "column 'category'" in said

    table = tmp_path / "i.csv"
    table.write_text(
        f"area_id;name;lavinntekt_n;lavinntekt_d\n01;{rlo}Grünerløkka;5;100\n02;Sagene;7;100\n",
        encoding="utf-8",
    )
    with pytest.warns(CleanedTextWarning, match=r"i.csv: column 'name'.*1 row: 1"):
        t = read_indicators(table)
    assert t["name"].tolist() == ["Grünerløkka", "Sagene"]


def test_clean_text_leaves_ordinary_names_alone():
    names = pd.Series(["Grünerløkka", "Ærøy–Bø", None, "Tøyen\tsenter"])
    out, notes = clean_text(names, source="x", column="name")
    assert out is names
    assert notes == {}


def test_catalogue_labels_are_limited(tmp_path):
    from geoloft.indicators.catalogue import load_catalogue

    path = tmp_path / "c.toml"
    path.write_text(
        "[[indicator]]\n"
        'id = "x"\n'
        f'label_nb = "{"X" * 300}"\n'
        'label_en = "X\\u202eY"\n'
        'numerator = "x_n"\ndenominator = "x_d"\ndomain = "d"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_catalogue(path)
    text = str(caught.value)
    assert "label_nb is 300 characters; at most 200" in text
    assert "label_en holds control or bidirectional characters" in text


# -- settings ------------------------------------------------------------------------------


def _project_with(tmp_path: Path, old: str, new: str) -> Path:
    toml = write_demo_project(tmp_path / "p")
    text = toml.read_text(encoding="utf-8")
    assert old in text
    toml.write_text(text.replace(old, new, 1), encoding="utf-8")
    return toml


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("bootstrap = 200", "bootstrap = 1000000000000", "'score.bootstrap' is 1000000000000; "
         "it must be at most 10 000"),
        ("seed = 0", f'seed = 0\ntitle = "{"T" * 5000}"', None),
    ],
)  # fmt: skip
def test_settings_are_bounded(tmp_path, old, new, said):
    if said is None:  # a second title key: replace the existing one instead
        toml = write_demo_project(tmp_path / "p")
        text = toml.read_text(encoding="utf-8")
        start = text.index('title = "')
        end = text.index("\n", start)
        toml.write_text(text[:start] + f'title = "{"T" * 5000}"' + text[end:], encoding="utf-8")
        said = "is 5000 characters long; it must be at most 1000"
    else:
        toml = _project_with(tmp_path, old, new)
    with pytest.raises(ConfigError, match=said):
        load_project(toml)


def test_bootstrap_at_the_limit_is_accepted(tmp_path):
    toml = _project_with(tmp_path, "bootstrap = 200", "bootstrap = 10000")
    assert load_project(toml).score.bootstrap == 10_000


# -- figures: literal text -----------------------------------------------------------------


def test_dollar_names_are_drawn_literally_in_figures(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from geoloft.figures import draw_figure, make_figure

    areas = gpd.GeoDataFrame(
        {"index": [1.0, 2.0], "name": ["$\\frac{a$", "$x^2$ kr"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 500, Y0 + 500),
            shapely.box(X0 + 500, Y0, X0 + 1e3, Y0 + 500),
        ],
        crs=25833,
    )
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z01"], "name": ["$\\undefinedcommand$ Øst"]},
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 500)],
        crs=25833,
    )
    title = "Pris $5 og $6: $\\frac{a$"
    # the check bites: mathtext cannot draw this title
    fig = plt.figure()
    fig.text(0.1, 0.5, title)
    with pytest.raises(ValueError, match=r"mathtext|Expected|Unknown symbol"):
        fig.savefig(tmp_path / "bare.png")
    plt.close(fig)
    out = make_figure(
        areas, column="index", zones=zones, title=title, out=tmp_path / "f.png", basemap=None
    )
    assert out.stat().st_size > 10_000
    fig = draw_figure(areas, column="index", zones=zones, title=title, basemap=None)
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    assert any(t.get_text() == title for t in texts)
    assert not any(t.get_parse_math() for t in texts)
    plt.close(fig)


# -- CSV formula injection ---------------------------------------------------------------


def test_csv_cells_that_start_a_formula_are_neutralised(tmp_path):
    names = ["=HYPERLINK(\"http://x\",\"klikk\")", "@SUM(A1)", "+47 22", "-1+2", "\tTab", "\rCR",
             "Grünerløkka", "Tøyen - sentrum"]  # fmt: skip
    zones = gpd.GeoDataFrame(
        {"zone_id": [f"Z{i:02d}" for i in range(len(names))], "name": names, "pop": -1.5},
        geometry=[shapely.box(X0 + i * 10, Y0, X0 + i * 10 + 5, Y0 + 5) for i in range(len(names))],
        crs=25833,
    )
    path = write(zones, tmp_path / "intervention_areas.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    written = [r["name"] for r in rows]
    assert written[:6] == ["'" + n for n in names[:6]]
    assert written[6:] == names[6:]
    assert {r["pop"] for r in rows} == {"-1.5"}  # numbers stay numbers
    # sidecars (outside_*.csv) go through the same helper
    assert csv_safe(pd.DataFrame({"=x": ["=1"]})).to_dict("list") == {"'=x": ["'=1"]}


# -- coordinates ---------------------------------------------------------------------------


def test_nan_and_infinite_boundary_coordinates_are_named(tmp_path):
    good = _square("01", "A", X0, Y0)
    nan = _square("02", "B", X0 + 1000, Y0)
    inf = _square("03", "C", X0 + 2000, Y0)
    nan["geometry"]["coordinates"][0][1][0] = float("nan")
    inf["geometry"]["coordinates"][0][2][1] = float("inf")
    path = tmp_path / "b.geojson"
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25833"}},
        "features": [good, nan, inf],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")  # NaN and Infinity as JSON extensions
    with pytest.raises(GeometryError, match=r"b.geojson: 2 rows: 02, 03: .*not numbers"):
        read_boundaries(path)


def test_infinite_measure_coordinates_are_named(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(f"id;name;x;y\nT1;A;{X0};{Y0}\nT2;B;inf;{Y0}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"m.csv: column 'x', 1 row: 2"):
        read_measures(path, crs="EPSG:25833")


def test_nan_measure_coordinates_in_a_vector_file_are_named(tmp_path):
    path = tmp_path / "m.geojson"
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": "T1"},
             "geometry": {"type": "Point", "coordinates": [10.75, 59.91]}},
            {"type": "Feature", "properties": {"id": "T2"},
             "geometry": {"type": "Point", "coordinates": [float("nan"), 59.91]}},
        ],
    }  # fmt: skip
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=r"m.geojson: 1 row: 2: .*not numbers \(NaN or infinite\)"):
        read_measures(path)


def _cells(n: int) -> gpd.GeoDataFrame:
    boxes = [shapely.box(X0 + i * 250, Y0, X0 + (i + 1) * 250, Y0 + 250) for i in range(n)]
    return gpd.GeoDataFrame({"ssbid": range(n)}, geometry=boxes, crs=25833)


def test_areas_that_miss_the_grid_name_both_files_and_the_rows():
    grid = _cells(8)
    areas = gpd.GeoDataFrame(
        {"area_id": ["01", "02"]},
        geometry=[
            shapely.box(X0, Y0, X0 + 500, Y0 + 250),
            shapely.box(X0 + 500, Y0, X0 + 2000, Y0 + 250),
        ],
        crs=25833,
    )
    check_areas_meet_grid(areas, grid, areas_source="b.geojson", grid_source="g.csv")  # fine
    # lon/lat swapped: the areas land in the Indian Ocean
    lonlat = areas.to_crs(4326)
    swapped = lonlat.set_geometry(
        shapely.transform(lonlat.geometry.to_numpy(), lambda c: c[:, ::-1])
    ).to_crs(25833)
    with pytest.raises(CRSError) as caught:
        check_areas_meet_grid(swapped, grid, areas_source="b.geojson", grid_source="g.csv")
    text = str(caught.value)
    assert text.startswith("b.geojson: 2 rows: 01, 02: not one of the 2 areas overlaps")
    assert "g.csv" in text
    assert "areas lie at lon 59.9" in text  # where they lie: latitude and longitude exchanged
    assert "swapped" in text


def test_a_wrongly_declared_crs_is_caught_in_a_run(tmp_path):
    from geoloft.pipeline import run

    toml = write_demo_project(tmp_path / "p")
    text = toml.read_text(encoding="utf-8")
    data = toml.parent / "data" / "boundaries" / "demoby_delbydeler.geojson"
    # UTM 33 metres declared as UTM 32: plausible numbers, some 300 km off in the North Sea
    bad = gpd.read_file(data).to_crs(25833).set_crs(25832, allow_override=True)
    bad.to_file(data, driver="GeoJSON")
    toml.write_text(text, encoding="utf-8")
    with pytest.raises(CRSError, match=r"demoby_delbydeler.geojson: 36 rows.*not one of the 36"):
        run(load_project(toml), out=tmp_path / "out", only=["ingest"])
    assert not (tmp_path / "out").exists()


# -- CSV structure and counts --------------------------------------------------------------


@pytest.mark.parametrize("reader", ["grid", "measures", "indicators"])
def test_a_stray_separator_names_the_line(tmp_path, reader):
    path = tmp_path / "t.csv"
    if reader == "grid":
        path.write_text(f"ru250m;pop_tot\n{_ssbid(X0, Y0)};12\n{_ssbid(X0 + 250, Y0)};1;2\n")
        call = lambda: read_grid(path)  # noqa: E731
    elif reader == "measures":
        path.write_text(f"id;name;x;y\nT1;A;{X0};{Y0}\nT2;Skole; park;{X0};{Y0}\n")
        call = lambda: read_measures(path, crs="EPSG:25833")  # noqa: E731
    else:
        path.write_text("area_id;name;a_n;a_d\n01;A;1;2\n02;B;C;1;2\n")
        call = lambda: read_indicators(path)  # noqa: E731
    with pytest.raises(InputError, match=r"t.csv: line 3 has \d fields where the header has \d"):
        call()


def test_non_integer_person_counts_are_reported(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text(
        f"ru250m;pop_tot\n{_ssbid(X0, Y0)};12,5\n{_ssbid(X0 + 250, Y0)};7\n", encoding="utf-8"
    )
    with pytest.warns(ImplausibleCountWarning, match=r"g.csv: column 'pop_tot': 1 row: 1 .*12.5"):
        grid = read_grid(path)
    assert grid["pop_tot"].tolist() == [12.5, 7.0]


@pytest.mark.parametrize("value", ["1e308", "inf", "20000000"])
def test_absurd_person_counts_are_refused(tmp_path, value):
    path = tmp_path / "g.csv"
    path.write_text(
        f"ru250m;pop_tot\n{_ssbid(X0, Y0)};7\n{_ssbid(X0 + 250, Y0)};{value}\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match=r"g.csv: column 'pop_tot': 1 row: 2: .*above 10 000 000"):
        read_grid(path)


# -- reading changes nothing; zone ids -----------------------------------------------------


def test_reading_a_geopackage_writes_nothing_beside_it(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    areas = gpd.GeoDataFrame(
        {"area_id": ["01"], "name": ["A"]}, geometry=[shapely.box(X0, Y0, X0 + 500, Y0 + 500)],
        crs=25833,
    )  # fmt: skip
    measures = gpd.GeoDataFrame(
        {"id": ["T1"], "name": ["A"]}, geometry=[shapely.Point(X0 + 5, Y0 + 5)], crs=25833
    )
    # dataset metadata is what GDAL copies into a .aux.xml when it reads
    pyogrio.write_dataframe(areas, folder / "a.gpkg", dataset_metadata={"title": "x"})
    pyogrio.write_dataframe(measures, folder / "m.gpkg", dataset_metadata={"title": "x"})
    pyogrio.read_dataframe(folder / "a.gpkg")
    bite = sorted(p.name for p in folder.iterdir())
    assert "a.gpkg.aux.xml" in bite  # plain GDAL does write one: the check can fail
    (folder / "a.gpkg.aux.xml").unlink()
    read_boundaries(folder / "a.gpkg")
    read_measures(folder / "m.gpkg")
    assert sorted(p.name for p in folder.iterdir()) == ["a.gpkg", "m.gpkg"]


def test_zone_id_is_an_id_column(tmp_path):
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z01", "Z02"], "name": ["Østre", "Vestre"], "pop": [1, 2]},
        geometry=[
            shapely.box(X0, Y0, X0 + 500, Y0 + 500),
            shapely.box(X0 + 500, Y0, X0 + 1e3, Y0 + 500),
        ],
        crs=25833,
    )
    path = write(zones, tmp_path / "intervention_areas.geojson")
    areas = read_boundaries(path)
    assert areas["area_id"].tolist() == ["Z01", "Z02"]
    assert areas["name"].tolist() == ["Østre", "Vestre"]
    np.testing.assert_allclose(areas.area, zones.area, rtol=1e-6)
