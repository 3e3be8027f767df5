"""geoloft.access: distances, counts within reach and the per-area summary.

Expected values are worked out by hand on tiny geometry, or come from geopandas'
sjoin_nearest and networkx's shortest paths on the same input.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoloft.accessibility import (
    DIST,
    MEAN_DIST,
    N_FACILITIES,
    NEAREST_ID,
    PER_1000,
    REACH_CLASS,
    access,
    access_by_area,
    n_within,
    network_from_lines,
    pop_within,
    select_rows,
    share_within,
)
from geoloft.accessibility.publish import publish_areas, publish_cells
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError
from geoloft.grid import corners_to_ssbid

CRS = "EPSG:25833"
Y0 = 6_650_000


def make_grid(corners: list[tuple[float, float]], pops: list[float], size: int = 100):
    x, y = np.array(corners, dtype=float).T
    grid = pd.DataFrame({"ssbid": corners_to_ssbid(x, y), "pop_tot": pops})
    grid.attrs["cell_size"] = size
    return grid


def points(xy: list[tuple[float, float]], **columns: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=[shapely.Point(p) for p in xy], crs=CRS)


@pytest.fixture
def row_of_cells() -> pd.DataFrame:
    """Five 100 m cells in a row; centres at x = 50, 150, ..., 450; y = Y0 + 50."""
    return make_grid([(100 * i, Y0) for i in range(5)], [10, 20, 30, 40, 50])


def test_straight_distances_by_hand(row_of_cells):
    # A facility 40 m north of the first centre: distances are hypotenuses of (dx, 40).
    school = points([(50, Y0 + 90)], measure_id=["S1"])
    res = access(row_of_cells, school, thresholds=[100, 200])
    expected = np.hypot([0, 100, 200, 300, 400], 40)
    np.testing.assert_allclose(res.cells[DIST], expected)
    assert res.cells[NEAREST_ID].tolist() == ["S1"] * 5
    # within 100 m: hypot(0,40)=40 and hypot(100,40)=107.7 -> only the first cell
    assert res.cells[n_within(100)].tolist() == [1, 0, 0, 0, 0]
    assert res.cells[n_within(200)].tolist() == [1, 1, 0, 0, 0]
    assert res.cells[REACH_CLASS].tolist() == [1, 2, 3, 3, 3]
    assert res.cells.index.equals(row_of_cells.index)
    assert res.cells.crs == CRS
    # The cell squares are rebuilt from the ids: 100 m x 100 m.
    np.testing.assert_allclose(res.cells.area, 10_000)


def test_counts_several_facilities_and_the_nearest_one(row_of_cells):
    # Facilities at the centres of cells 0 and 4: the middle cell is 200 m from both.
    fac = points([(50, Y0 + 50), (450, Y0 + 50)], measure_id=["A", "B"])
    res = access(row_of_cells, fac, thresholds=[150, 300])
    assert res.cells[DIST].tolist() == [0, 100, 200, 100, 0]
    assert res.cells[NEAREST_ID].iloc[[0, 1, 3, 4]].tolist() == ["A", "A", "B", "B"]
    assert res.cells[n_within(150)].tolist() == [1, 1, 0, 1, 1]
    assert res.cells[n_within(300)].tolist() == [1, 2, 2, 2, 1]  # 300 m counts (<=)


def test_distance_threshold_is_inclusive(row_of_cells):
    fac = points([(50, Y0 + 50)])
    res = access(row_of_cells, fac, thresholds=[100])
    assert res.cells[REACH_CLASS].tolist() == [1, 1, 2, 2, 2]
    assert res.cells[n_within(100)].tolist() == [1, 1, 0, 0, 0]


def test_matches_geopandas_sjoin_nearest():
    rng = np.random.default_rng(3)
    corners = np.unique(rng.integers(0, 60, (300, 2)) * 250, axis=0) + np.array([0, Y0])
    pops = list(rng.integers(1, 90, len(corners)))
    grid = make_grid([tuple(c) for c in corners], pops, size=250)
    fac = points([tuple(p) for p in rng.uniform([0, Y0], [15_000, Y0 + 15_000], (40, 2))])
    res = access(grid, fac)
    centres = gpd.GeoDataFrame(geometry=res.cells.geometry.centroid, crs=CRS, index=res.cells.index)
    peer = gpd.sjoin_nearest(centres, fac, distance_col="d")
    peer = peer[~peer.index.duplicated()]
    np.testing.assert_allclose(res.cells[DIST], peer["d"].reindex(res.cells.index), rtol=1e-12)
    # Counts within 1 km agree with a brute-force distance matrix.
    d = shapely.distance(centres.geometry.to_numpy()[:, None], fac.geometry.to_numpy()[None, :])
    np.testing.assert_array_equal(res.cells[n_within(1000)], (d <= 1000).sum(axis=1))


def test_network_distance_by_hand(row_of_cells):
    # A path runs east along y = Y0 + 50 to x = 450, then 300 m north. The facility
    # sits at the top: from the centre at x = 450 it is 300 m along the path.
    path = gpd.GeoSeries(
        [shapely.LineString([(50, Y0 + 50), (450, Y0 + 50), (450, Y0 + 350)])], crs=CRS
    )
    net = network_from_lines(path)
    fac = points([(450, Y0 + 350)], measure_id=["P"])
    res = access(row_of_cells, fac, thresholds=[350, 500], network=net)
    np.testing.assert_allclose(res.cells[DIST], [700, 600, 500, 400, 300], atol=1e-5)
    assert res.cells[n_within(500)].tolist() == [0, 0, 1, 1, 1]
    assert res.cells[n_within(350)].tolist() == [0, 0, 0, 0, 1]
    assert res.metric == "network"
    # Straight-line distances are shorter.
    straight = access(row_of_cells, fac, thresholds=[500]).cells[DIST]
    assert (straight.to_numpy() <= res.cells[DIST].to_numpy() + 1e-9).all()


def test_network_adds_the_legs_to_and_from_the_path(row_of_cells):
    # The path lies 30 m south of the centres; the facility 20 m north of its far end.
    path = gpd.GeoSeries([shapely.LineString([(50, Y0 + 20), (450, Y0 + 20)])], crs=CRS)
    fac = points([(450, Y0 + 40)])
    res = access(row_of_cells, fac, thresholds=[500], network=network_from_lines(path))
    np.testing.assert_allclose(res.cells[DIST], 30 + np.array([400, 300, 200, 100, 0]) + 20,
                               atol=1e-5)  # fmt: skip


def test_unconnected_network_parts_cannot_be_reached(row_of_cells):
    lines = gpd.GeoSeries(
        [shapely.LineString([(50, Y0 + 50), (150, Y0 + 50)]),
         shapely.LineString([(350, Y0 + 50), (450, Y0 + 50)])], crs=CRS
    )  # fmt: skip
    net = network_from_lines(lines)
    assert net.n_components == 2
    res = access(row_of_cells, points([(450, Y0 + 50)]), thresholds=[500], network=net)
    assert np.isinf(res.cells[DIST].iloc[0])
    assert pd.isna(res.cells[NEAREST_ID].iloc[0])
    assert res.cells[REACH_CLASS].iloc[0] == 2
    # x = 50 and 150 snap to the western part; x = 250 is nearer the western end (150)
    assert res.report.notes["cells reaching no facility"] == 3


def test_network_matches_networkx():
    nx = pytest.importorskip("networkx")
    rng = np.random.default_rng(7)
    # A lattice of streets every 200 m with some blocks missing.
    lines = []
    for i in range(8):
        for j in range(8):
            x, y = 200 * i, Y0 + 200 * j
            if i < 7 and rng.random() > 0.2:
                lines.append(shapely.LineString([(x, y), (x + 200, y)]))
            if j < 7 and rng.random() > 0.2:
                lines.append(shapely.LineString([(x, y), (x, y + 200)]))
    net = network_from_lines(gpd.GeoSeries(lines, crs=CRS))
    graph = nx.Graph()
    for line in lines:
        (a, b) = line.coords
        graph.add_edge(a, b, weight=line.length)
    corners = [(200 * i, Y0 + 200 * j) for i in range(7) for j in range(7)]
    grid = make_grid([(x - 50, y - 50) for x, y in corners], [10] * len(corners))
    fac_nodes = [(0.0, float(Y0)), (1200.0, float(Y0 + 1400))]
    res = access(grid, points(fac_nodes), thresholds=[600], network=net)
    lengths = nx.multi_source_dijkstra_path_length(graph, fac_nodes)
    expected = [lengths.get((float(x), float(y)), np.inf) for x, y in corners]
    np.testing.assert_allclose(res.cells[DIST], expected, atol=1e-4)


def test_polygons_stand_for_a_point_inside(row_of_cells):
    park = gpd.GeoDataFrame(geometry=[shapely.box(0, Y0 + 200, 100, Y0 + 300)], crs=CRS)
    res = access(row_of_cells, park, thresholds=[500])
    assert res.report.notes["facilities given as lines or polygons (a point inside used)"] == 1
    assert res.cells[DIST].iloc[0] == pytest.approx(
        shapely.distance(shapely.Point(50, Y0 + 50), park.geometry.iloc[0].point_on_surface())
    )


@pytest.fixture
def two_areas() -> gpd.GeoDataFrame:
    """West holds cells 0-1 (x < 200), east holds cells 2-4."""
    return gpd.GeoDataFrame(
        {"area_id": ["W", "E"], "name": ["Vest", "Øst"]},
        geometry=[shapely.box(0, Y0, 200, Y0 + 100), shapely.box(200, Y0, 500, Y0 + 100)],
        crs=CRS,
    )


def test_area_summary_by_hand(row_of_cells, two_areas):
    fac = points([(50, Y0 + 50)], measure_id=["A"])
    res = access(row_of_cells, fac, areas=two_areas, thresholds=[150, 300])
    a = res.areas.set_index("area_id")
    # West: 10 persons at 0 m, 20 at 100 m. East: 30 at 200 m, 40 at 300 m, 50 at 400 m.
    assert a.loc["W", "pop_tot"] == 30
    assert a.loc["W", MEAN_DIST] == pytest.approx((10 * 0 + 20 * 100) / 30)
    assert a.loc["E", MEAN_DIST] == pytest.approx((30 * 200 + 40 * 300 + 50 * 400) / 120)
    assert a.loc["W", pop_within(150)] == 30
    assert a.loc["E", pop_within(150)] == 0
    assert a.loc["E", pop_within(300)] == 70
    assert a.loc["E", share_within(300)] == pytest.approx(100 * 70 / 120)
    assert a.loc["W", N_FACILITIES] == 1
    assert a.loc["E", N_FACILITIES] == 0
    assert a.loc["W", PER_1000] == pytest.approx(1000 / 30)
    assert res.areas.index.equals(two_areas.index)


def test_area_without_residents_has_no_share(row_of_cells, two_areas):
    empty = gpd.GeoDataFrame(
        {"area_id": ["N"], "name": ["Nord"]}, geometry=[shapely.box(0, Y0 + 500, 100, Y0 + 600)],
        crs=CRS,
    )  # fmt: skip
    areas = pd.concat([two_areas, empty], ignore_index=True)
    res = access(row_of_cells, points([(50, Y0 + 50)]), areas=areas, thresholds=[300])
    north = res.areas.set_index("area_id").loc["N"]
    assert north["pop_tot"] == 0
    assert np.isnan(north[share_within(300)])
    assert np.isnan(north[MEAN_DIST])


def test_summary_conserves_persons(row_of_cells, two_areas):
    res = access(row_of_cells, points([(250, Y0 + 50)]), thresholds=[300])
    areas = access_by_area(res.cells, two_areas)  # thresholds from the cells
    assert areas["pop_tot"].sum() == row_of_cells["pop_tot"].sum()
    assert areas[pop_within(300)].sum() == res.report.notes["persons within 300 m"]


def test_disclosure_of_small_counts(row_of_cells, two_areas):
    fac = points([(50, Y0 + 50)])
    res = access(row_of_cells, fac, areas=two_areas, thresholds=[150, 200, 400])
    out = publish_areas(res.areas, [150, 200, 400], threshold=35).set_index("area_id")
    # West has 30 persons (< 35): every figure withheld, the row flagged.
    assert out.loc["W", "suppressed"]
    assert out.loc["W", ["pop_tot", MEAN_DIST, pop_within(150), share_within(150)]].isna().all()
    # East (120 persons): 0 within 150 m is published (a zero reveals no one); 30 within
    # 200 m (< 35) is withheld with its share; all 120 within 400 m are published.
    assert not out.loc["E", "suppressed"]
    assert out.loc["E", pop_within(150)] == 0
    assert np.isnan(out.loc["E", pop_within(200)])
    assert np.isnan(out.loc["E", share_within(200)])
    assert out.loc["E", pop_within(400)] == 120
    assert out.loc["E", MEAN_DIST] == pytest.approx(res.areas[MEAN_DIST].iloc[1])


def test_disclosure_hides_small_remainders():
    areas = gpd.GeoDataFrame(
        {"area_id": ["A"], "name": ["A"], "pop_tot": [100.0], pop_within(500): [95.0],
         share_within(500): [95.0]},
        geometry=[shapely.box(0, 0, 1, 1)], crs=CRS,
    )  # fmt: skip
    out = publish_areas(areas, [500], threshold=10)
    # 5 persons beyond 500 m could be worked out from 100 - 95: both withheld.
    assert np.isnan(out[pop_within(500)].iloc[0])
    assert np.isnan(out[share_within(500)].iloc[0])
    assert out["pop_tot"].iloc[0] == 100


def test_published_counts_are_rounded_and_shares_follow_them():
    areas = gpd.GeoDataFrame(
        {"area_id": ["A"], "name": ["A"], "pop_tot": [1234.0], pop_within(500): [987.0],
         share_within(500): [100 * 987 / 1234]},
        geometry=[shapely.box(0, 0, 1, 1)], crs=CRS,
    )  # fmt: skip
    out = publish_areas(areas, [500])
    assert out["pop_tot"].iloc[0] == 1230
    assert out[pop_within(500)].iloc[0] == 990
    assert out[share_within(500)].iloc[0] == pytest.approx(100 * 990 / 1230)
    exact = publish_areas(areas, [500], rounding=0)
    assert exact[pop_within(500)].iloc[0] == 987


def test_disclosure_of_cells_keeps_distances(row_of_cells):
    res = access(row_of_cells, points([(50, Y0 + 50)]), thresholds=[300])
    out = publish_cells(res.cells, threshold=25)
    assert out["pop_tot"].isna().tolist() == [True, True, False, False, False]
    assert out[DIST].notna().all()


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("laveste_trinn <= 7", ["a", "b"]),
        ("laveste_trinn > 1", ["c"]),
        ("laveste_trinn <= 7 and eier != 'Offentlig'", ["b"]),
        ({"eier": "Privat"}, ["b"]),
        (None, ["a", "b", "c"]),
    ],
    ids=["le", "gt", "two-conditions", "mapping", "none"],
)
def test_select_rows(where, expected):
    frame = points([(0, 0)] * 3, name=["a", "b", "c"], laveste_trinn=[1, 1, 8],
                   eier=["Offentlig", "Privat", "offentlig"])  # fmt: skip
    assert select_rows(frame, where)["name"].tolist() == expected


def test_select_rows_names_an_unknown_column():
    frame = points([(0, 0)], laveste_trinn=[1])
    with pytest.raises(SchemaError, match="trinn"):
        select_rows(frame, {"trinn": 7})


def test_input_errors(row_of_cells):
    fac = points([(0, Y0)])
    with pytest.raises(InputError, match="no facilities"):
        access(row_of_cells, fac.iloc[:0])
    with pytest.raises(CRSError, match="facilities"):
        access(row_of_cells, fac.to_crs("EPSG:4326"))
    with pytest.raises(InputError, match="positive"):
        access(row_of_cells, fac, thresholds=[0, 300])
    with pytest.raises(SchemaError, match="pop_tot"):
        access(row_of_cells.drop(columns="pop_tot"), fac)
    grid = row_of_cells.copy()
    grid.attrs = {}
    with pytest.raises(SchemaError, match="cell size"):
        access(grid, fac)
    with pytest.raises(GeometryError, match="line geometries"):
        network_from_lines(gpd.GeoSeries([shapely.Point(0, 0)], crs=CRS))


def test_geoloft_access_is_the_function_even_after_importing_the_package(row_of_cells):
    import geoloft
    import geoloft.accessibility.publish  # makes the package an attribute of geoloft

    res = geoloft.access(row_of_cells, points([(50, Y0 + 50)]), thresholds=[100])
    assert res.cells[DIST].tolist() == [0, 100, 200, 300, 400]
