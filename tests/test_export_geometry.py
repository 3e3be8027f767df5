"""Layers of areas leave geoloft with polygonal geometry only, and read back.

A dissolve or a repair can return a GeometryCollection (polygon plus line fragments),
and GDAL's RFC 7946 GeoJSON writer, rounding coordinates, can turn a valid polygon
invalid and repair it into one. Expected areas are worked out by hand or come from
geopandas on the geometry before writing; the files are read back with pyogrio.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geoloft import read_boundaries
from geoloft.boundaries import StrayPartsWarning
from geoloft.export import write, write_layers
from geoloft.info import describe_file

X0, Y0 = 262_000, 6_650_000
FORMATS = ["gpkg", "geojson", "fgb", "shp", "parquet", "csv"]
POLYGONAL = {"Polygon", "MultiPolygon"}


def _read(path):
    if path.suffix == ".parquet":
        return gpd.read_parquet(path)
    if path.suffix == ".csv":
        table = pyogrio.read_dataframe(path)
        return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries.from_wkt(table["WKT"]), crs=25833)
    back = pyogrio.read_dataframe(path)
    if path.suffix == ".fgb":  # its spatial index orders features along a Hilbert curve
        key = next(c for c in ("zone_id", "bydel", "area_id") if c in back.columns)
        back = back.sort_values(key, ignore_index=True)
    return back


@pytest.fixture
def mixed() -> gpd.GeoDataFrame:
    """Zones as a dissolve or make_valid may leave them (areas worked out by hand)."""
    square = shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)  # 1 km²
    neighbour = shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)  # shares an edge
    stray = shapely.LineString([(X0 + 1000, Y0 + 1000), (X0 + 1500, Y0 + 1500)])
    geoms = [
        shapely.GeometryCollection([square, stray]),  # 1 km² and a line
        shapely.GeometryCollection([square, neighbour]),  # 2 km², one polygon
        shapely.GeometryCollection(
            [shapely.MultiPolygon([square]), shapely.Point(X0 + 3000, Y0)]
        ),  # 1 km² and a point
        shapely.box(X0, Y0, X0 + 500, Y0 + 500),  # 0.25 km², untouched
    ]
    return gpd.GeoDataFrame(
        {"zone_id": ["Z01", "Z02", "Z03", "Z04"], "name": ["Å", "B", "C", "D"]},
        geometry=geoms,
        crs="EPSG:25833",
    )


@pytest.mark.parametrize("suffix", FORMATS)
def test_collections_keep_their_polygons_and_stray_parts_are_reported(tmp_path, mixed, suffix):
    with pytest.warns(StrayPartsWarning, match=r"2 with stray lines or points.*ids Z01, Z03"):
        path = write(mixed, tmp_path / f"zones.{suffix}")
    back = _read(path)
    assert set(back.geom_type) <= POLYGONAL
    assert back.is_valid.all()
    assert back["zone_id"].tolist() == ["Z01", "Z02", "Z03", "Z04"]
    np.testing.assert_allclose(back.to_crs(25833).area, [1e6, 2e6, 1e6, 0.25e6], rtol=1e-6)
    assert back.geom_type.iloc[1] == "Polygon"  # the two squares merged along their edge


def test_the_input_frame_is_not_changed(tmp_path, mixed):
    before = mixed.copy()
    with pytest.warns(StrayPartsWarning):
        write(mixed, tmp_path / "z.gpkg")
    assert mixed.geom_type.tolist() == before.geom_type.tolist()
    assert mixed.geometry.geom_equals_exact(before.geometry, tolerance=0).all()


def test_layers_of_points_and_lines_pass_unchanged(tmp_path):
    measures = gpd.GeoDataFrame(
        {"measure_id": ["1", "2", "3"]},
        geometry=[
            shapely.Point(X0, Y0),
            shapely.LineString([(X0, Y0), (X0 + 10, Y0)]),
            shapely.box(X0, Y0, X0 + 10, Y0 + 10),
        ],
        crs="EPSG:25833",
    )
    path = write_layers({"measures": measures}, tmp_path / "m.gpkg")
    back = pyogrio.read_dataframe(path, layer="measures")
    assert back.geom_type.tolist() == ["Point", "LineString", "Polygon"]


def test_geojson_rounding_never_turns_a_polygon_into_a_collection(tmp_path):
    # A hole whose edge lies 3e-10 degrees inside the outer ring: valid as given, but
    # rounded to 9 decimals the two rings share an edge (invalid); GDAL then repairs
    # the polygon into a GeometryCollection. Snapped first, it stays a polygon.
    outer = [(10.0, 59.0), (10.01, 59.0), (10.01, 59.01), (10.0, 59.01)]
    hole = [(10.002, 59.0 + 3e-10), (10.004, 59.0 + 3e-10), (10.003, 59.005)]
    polygon = shapely.Polygon(outer, [hole])
    assert polygon.is_valid
    assert not shapely.set_precision(polygon, 1e-9, mode="pointwise").is_valid
    zones = gpd.GeoDataFrame({"zone_id": ["Z01"]}, geometry=[polygon], crs="EPSG:4326")
    path = write(zones.to_crs(25833), tmp_path / "z.geojson")
    back = pyogrio.read_dataframe(path)
    assert back.geom_type.tolist() == ["Polygon"]
    assert back.is_valid.all()
    # in degrees², as drawn (a rounded edge bends differently once projected)
    np.testing.assert_allclose(shapely.area(back.geometry.array), polygon.area, rtol=1e-6)


def test_a_sliver_thinner_than_the_geojson_precision_is_reported(tmp_path):
    sliver = shapely.box(10.0, 59.0, 10.01, 59.0 + 2e-10)  # 0.02 mm wide
    wide = shapely.box(10.0, 59.1, 10.01, 59.11)
    zones = gpd.GeoDataFrame(
        {"zone_id": ["Z01", "Z02"]}, geometry=[sliver, wide], crs="EPSG:4326"
    ).to_crs(25833)
    with pytest.warns(StrayPartsWarning, match=r"1 too thin.*ids Z01"):
        path = write(zones, tmp_path / "z.geojson")
    back = pyogrio.read_dataframe(path)
    assert back["zone_id"].tolist() == ["Z01", "Z02"]
    assert back.geometry.iloc[1].geom_type == "Polygon"


def test_read_boundaries_keeps_the_polygons_of_a_collection_file(tmp_path, mixed):
    # a file another tool wrote with collections (GeoJSON keeps them as they are)
    path = tmp_path / "zones.geojson"
    pyogrio.write_dataframe(mixed.to_crs(4326), path, driver="GeoJSON")
    assert "GeometryCollection" in set(pyogrio.read_dataframe(path).geom_type)
    with pytest.warns(StrayPartsWarning, match=r"2 rows: Z01, Z03"):  # zone_id is the id
        areas = read_boundaries(path)
    assert set(areas.geom_type) <= POLYGONAL
    np.testing.assert_allclose(areas.area, [1e6, 2e6, 1e6, 0.25e6], rtol=1e-6)
    with pytest.warns(StrayPartsWarning):
        info = describe_file(path)
    assert info.kind == "boundaries"
    assert info.rows == 4
    assert info.details["stray_parts_dropped"] == {"count": 2, "examples": ["Z01", "Z03"]}


@pytest.fixture(scope="module")
def oslo_bydeler(realdata) -> gpd.GeoDataFrame:
    """Oslo's 97 delbydeler dissolved into their 16 bydeler (the first two digits)."""
    delbydeler = read_boundaries(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson")
    delbydeler["bydel"] = delbydeler["area_id"].str[:2]
    return delbydeler.dissolve("bydel").reset_index()[["bydel", "geometry"]]


@pytest.mark.parametrize("suffix", FORMATS)
def test_real_oslo_dissolved_reads_back_polygonal(tmp_path, oslo_bydeler, suffix):
    # Written by GDAL alone, one of these bydeler comes back from GeoJSON as a
    # GeometryCollection (GDAL 3.12); through geoloft every one is a polygon.
    path = write(oslo_bydeler, tmp_path / f"bydeler.{suffix}")
    back = _read(path)
    assert len(back) == 16
    assert set(back.geom_type) <= POLYGONAL
    assert back.is_valid.all()
    np.testing.assert_allclose(back.to_crs(25833).area, oslo_bydeler.area, rtol=1e-6)
    if suffix in ("gpkg", "geojson", "fgb", "shp"):
        areas = read_boundaries(path, id_column="bydel")  # no warning: nothing to repair
        order = sorted if suffix == "fgb" else list
        assert order(areas["area_id"]) == oslo_bydeler["bydel"].tolist()


def test_geoloft_export_takes_a_collection_file(tmp_path, mixed):
    from geoloft.cli import main

    source = tmp_path / "zones.geojson"
    pyogrio.write_dataframe(mixed.to_crs(4326), source, driver="GeoJSON")
    target = tmp_path / "zones.gpkg"
    with pytest.warns(StrayPartsWarning):
        assert main(["export", str(source), "-o", str(target), "--kind", "boundaries"]) == 0
    back = pyogrio.read_dataframe(target)
    assert set(back.geom_type) <= POLYGONAL
    np.testing.assert_allclose(back.area, [1e6, 2e6, 1e6, 0.25e6], rtol=1e-6)
