"""Property tests of the web-map builder (hypothesis): random polygon shapes with holes,
several parts, slivers, tiny parts, geometry collections and empties; random subsets of
the optional measure columns with missing values of every kind.

The expected geometry is the input itself, reprojected by pyproj: the page's payload is
decoded here by a reader written from the documented layout of
:func:`geoloft.maps.prepare.encode_polygons`, not by the code under test.
"""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import affinity

from geoloft.errors import GeometryError
from geoloft.maps import make_map

X0, Y0 = 262_000.0, 6_649_000.0  # Oslo, EPSG:25833
Q = 1e5  # the page's coordinate quantum, 1e-5 degrees
#: Largest distance of a decoded point from its input point: half a quantum on each axis.
PRECISION = math.hypot(0.5, 0.5) / Q + 1e-12
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- shapes ----------------------------------------------------------------------------------

sizes = st.one_of(
    st.floats(0.05, 2.0),  # tiny: under a quantum (0.6-1.1 m)
    st.floats(2.0, 3000.0),
)


@st.composite
def polygons(draw: st.DrawFn) -> shapely.Polygon:
    """A box (tiny, a sliver or large), maybe with holes, maybe rotated."""
    w, h = draw(sizes), draw(sizes)
    shell = shapely.box(0, 0, w, h)
    holes = []
    if w > 30 and h > 30:  # holes: shrunken cells of a 3 x 3 subdivision, never touching
        for i, j in draw(st.sets(st.tuples(st.integers(0, 2), st.integers(0, 2)), max_size=4)):
            inset = draw(st.floats(0.05, 0.45))
            x0, y0 = w * (i + inset) / 3, h * (j + inset) / 3
            x1, y1 = w * (i + 1 - inset) / 3, h * (j + 1 - inset) / 3
            holes.append(shapely.box(x0, y0, x1, y1).exterior.coords)
    polygon = shapely.Polygon(shell.exterior.coords, holes)
    angle = draw(st.sampled_from([0.0, 17.0, 45.0, 90.0]))
    return affinity.rotate(polygon, angle, origin=(0, 0))


def _side_by_side(parts: list[shapely.Polygon]) -> list[shapely.Polygon]:
    """Move parts apart so they never touch (a valid multipolygon)."""
    out, x = [], 0.0
    for part in parts:
        minx, miny, maxx, _ = part.bounds
        out.append(affinity.translate(part, x - minx, -miny))
        x += maxx - minx + 50.0
    return out


@st.composite
def features(draw: st.DrawFn) -> shapely.Geometry:
    """A polygon, a multipolygon, a collection with line fragments, or nothing to draw."""
    kind = draw(st.sampled_from(["polygon", "multipolygon", "collection", "empty", "line", "none"]))
    if kind == "empty":
        return shapely.Polygon()
    if kind == "line":
        return shapely.LineString([(0, 0), (draw(sizes), draw(sizes))])
    if kind == "none":
        return None
    parts = _side_by_side(draw(st.lists(polygons(), min_size=1, max_size=3)))
    if kind == "polygon":
        return parts[0]
    if kind == "multipolygon":
        return shapely.MultiPolygon(parts)
    fragments = [shapely.LineString([(0, -5), (30, -5)]), shapely.Point(-3, -3)]
    return shapely.GeometryCollection([*parts, *draw(st.lists(st.sampled_from(fragments)))])


def _areas(geoms: list[shapely.Geometry], values: list[float]) -> gpd.GeoDataFrame:
    """One area per feature, each in its own 20 km column east of Oslo (no overlaps)."""
    placed = [
        None if g is None else affinity.translate(g, X0 + 20_000 * i, Y0)
        for i, g in enumerate(geoms)
    ]
    return gpd.GeoDataFrame(
        {
            "area_id": [f"{i:04d}" for i in range(len(geoms))],
            "name": [f"Område {i}" for i in range(len(geoms))],
            "index": values,
        },
        geometry=placed,
        crs="EPSG:25833",
    )


# -- the page's payload, read independently ---------------------------------------------------


def _payload(html: str, var: str) -> tuple[dict, list | None]:
    match = re.search(rf"var {var} = \{{g: geoloft\.decode\((\{{.*?\}})\), n: (.*?)\}};\n", html)
    assert match, f"no geometry {var} on the page"
    return json.loads(match.group(1)), json.loads(match.group(2))


def _decode(e: dict) -> list[list[list[np.ndarray]]]:
    """Features -> parts -> rings -> (lon, lat) points, from the documented offsets."""
    points = np.cumsum(np.asarray(e["d"], dtype=np.int64).reshape(-1, 2), axis=0) / Q
    r, p, g = e["r"], e["p"], e["g"]
    return [
        [[points[r[k] : r[k + 1]] for k in range(p[j], p[j + 1])] for j in range(g[i], g[i + 1])]
        for i in range(len(g) - 1)
    ]


def _expected_parts(geom: shapely.Geometry) -> list[shapely.Polygon]:
    """The polygons of a feature in lon/lat, in order (collections: their polygons only)."""
    wgs = gpd.GeoSeries([geom], crs=25833).to_crs(4326).iloc[0]
    return [
        part
        for part in shapely.get_parts(shapely.get_parts(wgs))
        if part.geom_type == "Polygon" and not part.is_empty
    ]


@given(st.lists(features(), min_size=1, max_size=6))
@SETTINGS
def test_every_polygon_feature_is_on_the_page_and_decodes_to_its_geometry(geoms):
    drawable = [g is not None and len(_expected_parts(g)) > 0 for g in geoms]
    areas = _areas(geoms, [float(i) for i in range(len(geoms))])
    if not any(drawable):
        with pytest.raises(GeometryError, match="no row has a geometry"):
            make_map(areas, basemap="none", tolerance=0)
        return
    m = make_map(areas, basemap="none", tolerance=0)
    encoded, names = _payload(m.get_root().render(), "gl_geo_areas")
    kept = areas[drawable]
    assert names == kept["name"].tolist()  # every drawable feature, in order
    assert len(encoded["g"]) == len(kept) + 1
    left_out = len(areas) - len(kept)
    assert any(f": {left_out} uten flate" in n for n in m.notes) == (left_out > 0)
    for decoded, geom in zip(_decode(encoded), kept.geometry, strict=True):
        parts = _expected_parts(geom)
        assert len(decoded) == len(parts)
        for rings, part in zip(decoded, parts, strict=True):
            expected = [part.exterior, *part.interiors]
            assert len(rings) == len(expected)  # the shell, then every hole
            for ring, exact in zip(rings, expected, strict=True):
                assert 1 <= len(ring) <= len(exact.coords) - 1  # closing point not repeated
                got = shapely.multipoints(ring)
                assert shapely.hausdorff_distance(got, shapely.multipoints(exact.coords)) <= (
                    PRECISION
                )


@given(st.lists(features(), min_size=1, max_size=5))
@SETTINGS
def test_simplified_maps_still_draw_every_feature(geoms):
    """With the default simplification, no feature loses its last part or a hole's place."""
    drawable = [g is not None and len(_expected_parts(g)) > 0 for g in geoms]
    if not any(drawable):
        return
    areas = _areas(geoms, [float(i) for i in range(len(geoms))])
    encoded, names = _payload(make_map(areas, basemap="none").get_root().render(), "gl_geo_areas")
    assert len(names) == sum(drawable)
    for decoded, geom in zip(_decode(encoded), areas.geometry[drawable], strict=True):
        parts = _expected_parts(geom)
        assert len(decoded) == len(parts)
        assert [len(rings) for rings in decoded] == [1 + len(p.interiors) for p in parts]
        assert all(len(ring) >= 1 for rings in decoded for ring in rings)


# -- measures -----------------------------------------------------------------------------------

OPTIONAL = ("name", "category", "status", "start_year", "end_year", "budget")
MISSING_TEXT = ("nan", "NaN", "<NA>", "None", "NaT", "Ingen data")


def _column(draw: st.DrawFn, name: str, n: int) -> pd.Series:
    """A column of ``n`` values with missing ones, in a dtype real files give."""
    present = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if name in ("start_year", "end_year"):
        years = draw(st.lists(st.integers(1990, 2040), min_size=n, max_size=n))
        values = [y if ok else None for y, ok in zip(years, present, strict=True)]
        dtype = draw(st.sampled_from(["Int64", "float64", "object"]))
        return pd.Series(values, dtype=dtype)
    if name == "budget":
        amounts = draw(st.lists(st.floats(0, 1e9), min_size=n, max_size=n))
        values = [a if ok else None for a, ok in zip(amounts, present, strict=True)]
        return pd.Series(values, dtype=draw(st.sampled_from(["Float64", "float64", "object"])))
    words = draw(st.lists(st.text("abcæøå Å-", min_size=1, max_size=8), min_size=n, max_size=n))
    values = [
        w if ok else draw(st.sampled_from([None, np.nan, pd.NA]))
        for w, ok in zip(words, present, strict=True)
    ]
    return pd.Series(values, dtype=draw(st.sampled_from(["object", "string"])))


@st.composite
def measures(draw: st.DrawFn) -> gpd.GeoDataFrame:
    n = draw(st.integers(1, 8))
    columns = draw(st.sets(st.sampled_from(OPTIONAL)))
    data = {c: _column(draw, c, n) for c in sorted(columns)}
    kinds = draw(st.lists(st.sampled_from(["point", "line", "polygon"]), min_size=n, max_size=n))
    geoms = []
    for i, kind in enumerate(kinds):
        x, y = X0 + 300 * i, Y0 + 100 * i
        if kind == "point":
            geoms.append(shapely.Point(x, y))
        elif kind == "line":
            geoms.append(shapely.LineString([(x, y), (x + 80, y + 40)]))
        else:
            geoms.append(
                shapely.box(x, y, x + 60, y + 60).difference(
                    shapely.box(x + 20, y + 20, x + 40, y + 40)
                )
            )
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:25833")


def _measure_data(html: str) -> dict:
    match = re.search(r"geoloft\.measures\((\{.*?\}), \{\"cluster\"", html)
    assert match, "no measures layer"
    return json.loads(match.group(1))


@given(measures())
@SETTINGS
def test_measures_with_any_optional_columns_draw_every_location(frame):
    m = make_map(measures=frame, basemap="none")
    html = m.get_root().render()
    data = _measure_data(html)
    assert len(data["ll"]) == 2 * len(frame)  # one marker per measure
    expected = frame.geometry.representative_point().to_crs(4326)
    got = np.asarray(data["ll"], dtype=float).reshape(-1, 2)[:, ::-1] / Q
    assert np.abs(got - shapely.get_coordinates(expected.to_numpy())).max() <= 0.5 / Q + 1e-12
    shown = " ".join(data["pop"]) + html[html.index('id="gl-table-measures"') :]
    for missing in MISSING_TEXT:
        assert missing not in shown
    for column in ("start_year", "end_year"):
        for year in frame.get(column, pd.Series(dtype=object)).dropna():
            assert str(int(year)) in shown  # years as years, never "2 015"
    if "name" in frame:
        for i, name in enumerate(frame["name"]):
            if isinstance(name, str):
                assert data["n"][i] == name.replace("&", "&amp;")
