"""Property tests: random layers of areas (holes, multiparts, slivers, collections) written
to GeoPackage and GeoJSON come back polygonal, valid, with every row and its area.

The expected area of each row is the area of its polygon parts as built (shapely), and
for GeoJSON (9 decimals of a degree, about 0.1 mm) within the perimeter times 0.2 mm.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geoloft.boundaries import StrayPartsWarning
from geoloft.export import write

X0, Y0 = 262_000.0, 6_650_000.0


@st.composite
def areas(draw: st.DrawFn) -> shapely.Geometry:
    """A polygon with holes, a multipolygon, a sliver, or a collection with stray parts."""
    x = X0 + draw(st.floats(0, 5000))
    y = Y0 + draw(st.floats(0, 5000))
    size = draw(st.floats(50, 1000))
    kind = draw(st.sampled_from(["holes", "multi", "sliver", "collection"]))
    outer = shapely.box(x, y, x + size, y + size)
    if kind == "holes":
        n = draw(st.integers(0, 3))
        holes = [
            shapely.box(
                x + size * (0.1 + 0.25 * i),
                y + size * 0.1,
                x + size * (0.2 + 0.25 * i),
                y + size * 0.5,
            )
            for i in range(n)
        ]
        return shapely.Polygon(outer.exterior, [h.exterior for h in holes])
    if kind == "multi":
        gap = draw(st.floats(0.0005, 50))  # parts nearly touching, down to 0.5 mm apart
        second = shapely.box(x + size + gap, y, x + 2 * size + gap, y + size)  # never degenerate
        return shapely.MultiPolygon([outer, second])
    if kind == "sliver":
        width = draw(st.floats(1e-5, 2.0))  # 0.01 mm (thinner than GeoJSON keeps) to 2 m
        return shapely.box(x, y, x + size, y + width)
    line = shapely.LineString([(x + size, y + size), (x + 2 * size, y + 2 * size)])
    return shapely.GeometryCollection([outer, line, shapely.Point(x - 10, y - 10)])


def _write_and_read(frame: gpd.GeoDataFrame, suffix: str) -> gpd.GeoDataFrame:
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = write(frame, Path(tmp) / f"zones{suffix}")
        back = pyogrio.read_dataframe(path)
    assert {w.category for w in caught} <= {StrayPartsWarning}
    return back.to_crs(frame.crs)


@settings(max_examples=25, deadline=None)
@given(
    shapes=st.lists(areas(), min_size=1, max_size=5), suffix=st.sampled_from([".gpkg", ".geojson"])
)
def test_random_area_layers_read_back_polygonal(shapes, suffix):
    ids = [f"Z{i:02d}" for i in range(len(shapes))]
    frame = gpd.GeoDataFrame({"zone_id": ids}, geometry=shapes, crs="EPSG:25833")
    back = _write_and_read(frame, suffix)
    assert back["zone_id"].tolist() == ids
    geoms = back.geometry.array
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    assert set(shapely.get_type_id(geoms[present])) <= {3, 6}  # Polygon, MultiPolygon
    assert shapely.is_valid(geoms[present]).all()
    expected = np.array([sum(p.area for p in shapely.get_parts(g) if p.area > 0) for g in shapes])
    got = np.where(present, shapely.area(geoms), 0.0)
    if suffix == ".gpkg":
        np.testing.assert_allclose(got, expected, rtol=1e-9)
    else:
        perimeter = np.array([shapely.length(shapely.get_parts(g)).sum() for g in shapes])
        assert (np.abs(got - expected) <= perimeter * 2e-4 + 1e-6).all()
