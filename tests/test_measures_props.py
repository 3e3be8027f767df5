"""Property tests: measure files with any subset of optional columns, any geometry, odd values.

Each example writes a file by hand (CSV text, or GeoJSON through the json module) and
works out what geoloft must make of it without geoloft's own code: canonical values by
the rules in read_measures' docstring, coordinates through pyproj, areas and lengths
through geopandas.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import mapping

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
from geoloft.measures import MissingCoordinatesWarning, read_measures
from geoloft.report import get_report

#: Spellings people use, per canonical column (any case).
SPELLINGS = {
    NAME: ["navn", "Name", "Tiltaksnavn", "TITTEL"],
    CATEGORY: ["kategori", "Category", "Type"],
    STATUS: ["status", "Status"],
    START_YEAR: ["startår", "Start_Year", "Start", "fra"],
    END_YEAR: ["sluttår", "end_year", "Slutt", "til"],
    BUDGET: ["budsjett", "Budget", "Kostnad"],
}
LONLAT = [("lon", "lat"), ("Longitude", "Latitude"), ("lengdegrad", "breddegrad"), ("lng", "lat")]
KNOWN = {"fysisk": "fysisk", "physical": "fysisk", "sosial": "sosial", "cultural": "kulturell"}
TEXT = st.text(alphabet="abcXYZ æøåÆØÅé-1", max_size=12)
CATEGORIES = st.sampled_from(["fysisk", "Sosial", "CULTURAL", "Physical", "Annet tiltak", "", " "])
TO_WORKING = pyproj.Transformer.from_crs("EPSG:4326", WORKING_CRS, always_xy=True)


def _expected_text(value: str | None) -> object:
    text = "" if value is None else str(value).strip()
    return pd.NA if text == "" else text


def _expected_category(value: str | None) -> object:
    text = _expected_text(value)
    return text if text is pd.NA else KNOWN.get(str(text).casefold(), text)


@st.composite
def rows(draw: st.DrawFn) -> dict[str, object]:
    """One measure: every optional value, and coordinates (or none)."""
    start = draw(st.one_of(st.none(), st.integers(1990, 2030)))
    end = None if start is None else draw(st.one_of(st.none(), st.integers(start, start + 5)))
    return {
        NAME: draw(TEXT),
        CATEGORY: draw(CATEGORIES),
        STATUS: draw(TEXT),
        START_YEAR: start,
        END_YEAR: end,
        BUDGET: draw(st.one_of(st.none(), st.integers(0, 10_000_000))),
        "lonlat": draw(
            st.one_of(
                st.none(),
                st.tuples(st.floats(5.0, 30.0), st.floats(58.5, 70.0)),
            )
        ),
    }


@st.composite
def tables(draw: st.DrawFn) -> dict[str, object]:
    present = draw(st.lists(st.sampled_from(list(SPELLINGS)), unique=True))
    return {
        "rows": draw(st.lists(rows(), min_size=1, max_size=8)),
        "columns": {c: draw(st.sampled_from(SPELLINGS[c])) for c in present},
        "lonlat": draw(st.sampled_from(LONLAT)),
        "sep": draw(st.sampled_from([";", ",", "\t"])),
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1"])),
        "missing": draw(st.sampled_from(["", "NaN", "nan", "."])),
        "budget_style": draw(st.sampled_from(["{:d}", "{:,d} kr", "{:d},-"])),
        "label": draw(st.one_of(st.none(), st.just("Etikett"))),
    }


def _cell(spec: dict, column: str, value: object) -> str:
    if value is None:
        return ""
    if column == BUDGET:
        text = str(spec["budget_style"]).format(value)
        if "kr" in text:
            return text.replace(",", "\u00a0")  # "1 500 000 kr" with no-break spaces
        return text.replace(",-", ".-") if spec["sep"] == "," else text
    return str(value)


def _csv(spec: dict) -> str:
    columns: dict[str, str] = spec["columns"]  # type: ignore[assignment]
    lon, lat = spec["lonlat"]  # type: ignore[misc]
    sep = str(spec["sep"])
    lines = [sep.join([*columns.values(), lon, lat])]
    for row in spec["rows"]:  # type: ignore[attr-defined]
        cells = [_cell(spec, c, row[c]) for c in columns]
        if row["lonlat"] is None:
            coords = [str(spec["missing"])] * 2
        else:
            coords = [f"{v:.6f}" for v in row["lonlat"]]
            if sep == ";":
                coords = [c.replace(".", ",") for c in coords]  # Norwegian decimal comma
        lines.append(sep.join([*cells, *coords]))
    return "\n".join(lines) + "\n"


def _read(path: Path, **kwargs: object) -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MissingCoordinatesWarning)
        return read_measures(path, **kwargs)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(spec=tables())
def test_any_subset_of_optional_columns_in_csv(spec):
    all_rows = spec["rows"]
    kept = [r for r in all_rows if r["lonlat"] is not None]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tiltak.csv"
        path.write_bytes(_csv(spec).encode(spec["encoding"]))
        if not kept:
            return  # every row without coordinates: nothing to check beyond no crash below
        m = _read(path, label=spec["label"])
    report = get_report(m)
    assert (report.rows_in, report.rows_out) == (len(all_rows), len(kept))
    assert report.n_dropped == len(all_rows) - len(kept)
    assert m.crs == WORKING_CRS
    assert m[MEASURE_ID].is_unique
    assert (m[SOURCE] == (spec["label"] or "tiltak.csv")).all()
    present = spec["columns"]
    for column in SPELLINGS:
        got = m[column].tolist()
        if column not in present:
            if column == CATEGORY and spec["label"]:
                assert got == [spec["label"]] * len(kept)
            else:
                assert pd.isna(m[column]).all(), column
            continue
        if column in (NAME, STATUS):
            want = [_expected_text(r[column]) for r in kept]
        elif column == CATEGORY:
            want = [_expected_category(r[column]) for r in kept]
        else:
            want = [pd.NA if r[column] is None else r[column] for r in kept]
        assert [None if pd.isna(v) else v for v in got] == [
            None if v is pd.NA else v for v in want
        ], column
    lon, lat = np.array([r["lonlat"] for r in kept]).T
    expected = np.column_stack(TO_WORKING.transform(np.round(lon, 6), np.round(lat, 6)))
    np.testing.assert_allclose(shapely.get_coordinates(m.geometry.array), expected, atol=1e-4)


def _shape(draw: st.DrawFn, kind: str, x: float, y: float) -> shapely.Geometry:
    d = draw(st.floats(0.001, 0.01))
    if kind == "point":
        return shapely.Point(x, y)
    if kind == "line":
        return shapely.LineString([(x, y), (x + d, y + d / 2), (x + 2 * d, y)])
    if kind == "multiline":
        return shapely.MultiLineString([[(x, y), (x + d, y)], [(x, y + d), (x + d, y + 2 * d)]])
    outer = shapely.box(x, y, x + 2 * d, y + 2 * d)
    if kind == "polygon":
        return outer
    if kind == "donut":
        return outer.difference(shapely.box(x + d / 2, y + d / 2, x + d, y + d))
    return shapely.MultiPolygon([outer, shapely.box(x + 3 * d, y, x + 4 * d, y + d)])


@st.composite
def features(draw: st.DrawFn) -> dict[str, object]:
    present = draw(st.lists(st.sampled_from(list(SPELLINGS)), unique=True))
    spelled = {c: draw(st.sampled_from(SPELLINGS[c])) for c in present}
    kinds = ["point", "line", "multiline", "polygon", "donut", "multipolygon", "none"]
    out = []
    for _ in range(draw(st.integers(1, 6))):
        row = draw(rows())
        kind = draw(st.sampled_from(kinds))
        x, y = draw(st.floats(10.6, 10.9)), draw(st.floats(59.85, 59.97))
        row["geometry"] = None if kind == "none" else _shape(draw, kind, x, y)
        out.append(row)
    return {"rows": out, "columns": spelled}


def _geojson(spec: dict) -> str:
    columns: dict[str, str] = spec["columns"]
    items = []
    for row in spec["rows"]:
        props = {spelled: row[c] for c, spelled in columns.items()}
        geometry = None if row["geometry"] is None else mapping(row["geometry"])
        items.append({"type": "Feature", "properties": props, "geometry": geometry})
    return json.dumps({"type": "FeatureCollection", "features": items}, ensure_ascii=False)


@settings(max_examples=25, deadline=None)
@given(spec=features())
def test_any_geometry_and_optional_columns_in_geojson(spec):
    kept = [r for r in spec["rows"] if r["geometry"] is not None]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tiltak.geojson"
        path.write_text(_geojson(spec), encoding="utf-8")
        if not kept:
            return
        m = _read(path)
    report = get_report(m)
    assert (report.rows_in, report.rows_out) == (len(spec["rows"]), len(kept))
    shapes = gpd.GeoSeries([r["geometry"] for r in kept], crs="EPSG:4326").to_crs(WORKING_CRS)
    assert m.geom_type.tolist() == shapes.geom_type.tolist()
    np.testing.assert_allclose(m.area, shapes.area, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(m.length, shapes.length, rtol=1e-9, atol=1e-6)
    for column in SPELLINGS:
        if column not in spec["columns"]:
            assert pd.isna(m[column]).all(), column
    if NAME in spec["columns"]:
        want = [_expected_text(r[NAME]) for r in kept]
        assert [None if pd.isna(v) else v for v in m[NAME]] == [
            None if v is pd.NA else v for v in want
        ]
    if START_YEAR in spec["columns"]:
        want_years = [pd.NA if r[START_YEAR] is None else r[START_YEAR] for r in kept]
        assert [None if pd.isna(v) else v for v in m[START_YEAR]] == [
            None if v is pd.NA else v for v in want_years
        ]
