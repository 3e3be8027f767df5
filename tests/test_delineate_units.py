"""delineate on real units: Oslo's 97 delbydeler and the 2015 250 m population grid."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from geoloft.delineation import delineate, membership
from geoloft.grid import cell_centres, cell_polygons


@pytest.fixture(scope="module")
def oslo_grid(realdata: Path) -> pd.DataFrame:
    path = realdata / "ssb-grid-norway-2015" / "ru250m_2015_oslo0301.csv"
    grid = pd.read_csv(path, sep=";").rename(columns={"ru250m": "ssbid"})
    grid["cell_size"] = 250
    grid["pop_tot"] = grid["pop_tot"].astype(float)
    return grid


@pytest.fixture(scope="module")
def delbydeler(realdata: Path, oslo_grid: pd.DataFrame) -> gpd.GeoDataFrame:
    raw = gpd.read_file(realdata / "oslo-delbydeler" / "oslo_delbydeler.geojson").to_crs(25833)
    units = gpd.GeoDataFrame(
        {
            "area_id": raw["DELBYDEL"].astype(str),
            "name": raw["DELBYDELSN"].astype(str),
            "parent_id": raw["DELBYDEL"].astype(str).str[:2],
        },
        geometry=shapely.force_2d(raw.geometry.array),
        crs=25833,
    )
    x, y = cell_centres(oslo_grid["ssbid"], 250)
    points = gpd.GeoDataFrame(oslo_grid, geometry=gpd.points_from_xy(x, y), crs=25833)
    joined = gpd.sjoin(points, units[["area_id", "geometry"]], predicate="within")
    units["pop_tot"] = units["area_id"].map(joined.groupby("area_id")["pop_tot"].sum()).fillna(0.0)
    # a made-up score: higher to the east and south, as Oslo's east and south-east
    centre = units.geometry.centroid
    units["index"] = (centre.x - centre.x.mean()) / 1e4 - (centre.y - centre.y.mean()) / 1e4
    return units


def shared_edge(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return shapely.intersection(a.boundary, b.boundary).length


def connected(geoms: list[shapely.Geometry], min_edge: float) -> bool:
    n = len(geoms)
    pairs = [
        (i, j)
        for i in range(n)
        for j in range(i + 1, n)
        if shared_edge(geoms[i], geoms[j]) >= min_edge
    ]
    rows = [p[0] for p in pairs]
    cols = [p[1] for p in pairs]
    graph = coo_array((np.ones(len(pairs)), (rows, cols)), shape=(n, n))
    return connected_components(graph, directed=False)[0] == 1


def unit_lookup(units: gpd.GeoDataFrame) -> dict[str, pd.Series]:
    return {row.area_id: row for row in units.itertuples()}


RULE = ("index", ">=", 0.3)


def test_members_contiguous_by_shared_edge(delbydeler: gpd.GeoDataFrame) -> None:
    areas = delineate(delbydeler, select=RULE, min_pop=15_000, max_pop=60_000)
    assert len(areas) >= 3
    lookup = unit_lookup(delbydeler)
    for ids in areas["members"]:
        geoms = [lookup[i].geometry for i in ids.split(",")]
        assert connected(geoms, min_edge=10.0), ids
    assert (areas["pop"] >= 15_000).all()
    assert (areas["pop"] <= 60_000).all()
    # the drawn outline is the union of the member units
    for ids, geom in zip(areas["members"], areas.geometry, strict=True):
        union = shapely.union_all([lookup[i].geometry for i in ids.split(",")])
        assert shapely.symmetric_difference(union, geom).area < 1.0


def test_no_area_crosses_a_bydel_when_within(delbydeler: gpd.GeoDataFrame) -> None:
    free = delineate(delbydeler, select=RULE, min_pop=15_000)
    crossing = [len({m[:2] for m in ids.split(",")}) > 1 for ids in free["members"]]
    assert any(crossing)  # without the option, this score does cross bydel edges
    bounded = delineate(delbydeler, select=RULE, min_pop=15_000, within="parent_id")
    assert len(bounded) > 0
    for ids in bounded["members"]:
        assert len({m[:2] for m in ids.split(",")}) == 1, ids


def test_names_from_delbydel_names(delbydeler: gpd.GeoDataFrame) -> None:
    areas = delineate(delbydeler, select=RULE, within="parent_id")
    lookup = unit_lookup(delbydeler)
    for name, ids in zip(areas["name"], areas["members"], strict=True):
        names = sorted((lookup[i] for i in ids.split(",")), key=lambda r: (-r.pop_tot, r.name))
        expected = "\u2013".join(r.name for r in names[:3]) + (" m.fl." if len(names) > 3 else "")
        assert name.split(" (")[0] == expected


def test_queen_members_touch_and_rook_gives_no_fewer_areas(delbydeler: gpd.GeoDataFrame) -> None:
    lookup = unit_lookup(delbydeler)
    areas = delineate(delbydeler, select=RULE, contiguity="queen")
    for ids in areas["members"]:
        geoms = [lookup[i].geometry for i in ids.split(",")]
        assert connected(geoms, min_edge=0.0) or len(geoms) == 1
    rook = delineate(delbydeler, select=RULE)
    assert len(rook) >= len(areas)


def test_settlement_inside_units_and_holds_populated_cells(
    delbydeler: gpd.GeoDataFrame, oslo_grid: pd.DataFrame
) -> None:
    areas = delineate(delbydeler, select=RULE, min_pop=15_000, grid=oslo_grid)
    squares = cell_polygons(oslo_grid["ssbid"], 250)
    x, y = cell_centres(oslo_grid["ssbid"], 250)
    centres = shapely.points(x, y)
    for area, lived in zip(areas.geometry, areas["settlement"], strict=True):
        assert lived is not None
        assert not lived.is_empty
        assert shapely.difference(lived, area).area < 1.0  # inside its units
        assert lived.area < area.area  # Oslo's delbydeler hold forest, parks and water
        inside = shapely.within(centres, area) & (oslo_grid["pop_tot"].to_numpy() > 0)
        assert inside.sum() > 0
        held = shapely.intersection(squares[inside], area)
        assert shapely.area(shapely.difference(held, lived)).max() < 1.0


def test_locks_and_membership_on_units(delbydeler: gpd.GeoDataFrame) -> None:
    chosen = delbydeler.loc[delbydeler["index"] >= 0.3, "area_id"]
    banned = chosen.iloc[0]
    forced = delbydeler.loc[delbydeler["index"].idxmin(), "area_id"]
    areas = delineate(delbydeler, select=RULE, lock_in=[forced], lock_out=[banned])
    table = membership(areas)
    assert forced in set(table["member"])
    assert banned not in set(table["member"])
    assert table.loc[table["member"] == forced, "locked_in"].all()
    assert areas.attrs["report"].notes["locked out although qualifying"] == [banned]


def test_unit_run_repeats_and_reports(delbydeler: gpd.GeoDataFrame) -> None:
    first = delineate(delbydeler, select=RULE, min_pop=20_000, max_areas=3)
    second = delineate(delbydeler.iloc[::-1], select=RULE, min_pop=20_000, max_areas=3)
    pd.testing.assert_frame_equal(
        first.drop(columns=["geometry", "settlement"]),
        second.drop(columns=["geometry", "settlement"]),
    )
    report = first.attrs["report"]
    assert report.stage == "delineate"
    assert report.rows_out == len(first) <= 3
    assert report.notes["kind"] == "units"
