"""geoloft.access siting: maximal covering and p-median against brute force and spopt."""

from __future__ import annotations

import itertools
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial.distance import cdist

from geoloft.accessibility import (
    DIST,
    SITE_ID,
    access,
    candidate_cells,
    choose_sites,
    network_from_lines,
)
from geoloft.accessibility.publish import publish_sites
from geoloft.errors import InputError
from geoloft.grid import cell_centres, corners_to_ssbid

CRS = "EPSG:25833"
Y0 = 6_650_000


def random_instance(seed: int, n_cells: int = 60, n_cand: int = 9, size: int = 250):
    rng = np.random.default_rng(seed)
    corners = np.unique(rng.integers(0, 20, (n_cells, 2)), axis=0) * size + np.array([0, Y0])
    grid = pd.DataFrame(
        {
            "ssbid": corners_to_ssbid(corners[:, 0], corners[:, 1]),
            "pop_tot": rng.integers(1, 200, len(corners)).astype(float),
        }
    )
    grid.attrs["cell_size"] = size
    xy = rng.uniform([0, Y0], [20 * size, Y0 + 20 * size], (n_cand, 2))
    cand = gpd.GeoDataFrame(
        {SITE_ID: [f"C{i}" for i in range(n_cand)]}, geometry=gpd.points_from_xy(*xy.T), crs=CRS
    )
    return grid, cand


def distances(grid: pd.DataFrame, cand: gpd.GeoDataFrame) -> np.ndarray:
    x, y = cell_centres(grid["ssbid"].to_numpy(), grid.attrs["cell_size"])
    return cdist(np.column_stack([x, y]), np.column_stack([cand.geometry.x, cand.geometry.y]))


def brute_force(d: np.ndarray, w: np.ndarray, k: int, objective: str, reach: float, current):
    values = {}
    for combo in itertools.combinations(range(d.shape[1]), k):
        best = d[:, combo].min(axis=1)
        if objective == "coverage":
            values[combo] = float(w[(best <= reach) & ~(current <= reach)].sum())
        else:
            values[combo] = float(w @ np.minimum(best, current))
    pick = max if objective == "coverage" else min
    return pick(values.values())


@pytest.mark.parametrize("objective", ["coverage", "p-median"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_matches_brute_force(objective, seed):
    grid, cand = random_instance(seed)
    d = distances(grid, cand)
    w = grid["pop_tot"].to_numpy()
    expected = brute_force(d, w, 3, objective, 900, np.full(len(w), np.inf))
    res = choose_sites(grid, cand, k=3, distance=900, objective=objective, method="exact")
    assert res.value == pytest.approx(expected, rel=1e-9)
    assert res.gap == pytest.approx(0, abs=1e-6)
    assert len(res.sites) == 3
    assert res.sites.crs == CRS


@pytest.mark.parametrize("objective", ["coverage", "p-median"])
@pytest.mark.parametrize("seed", [4, 5])
def test_heuristic_is_bounded_correctly(objective, seed):
    grid, cand = random_instance(seed, n_cells=200, n_cand=12)
    d = distances(grid, cand)
    w = grid["pop_tot"].to_numpy()
    optimum = brute_force(d, w, 4, objective, 800, np.full(len(w), np.inf))
    res = choose_sites(grid, cand, k=4, distance=800, objective=objective, method="heuristic")
    assert res.method == "greedy+swap"
    assert res.bound is not None
    if objective == "coverage":  # value <= optimum <= bound
        assert res.value <= optimum + 1e-6 <= res.bound + 2e-6
    else:  # value >= optimum >= bound
        assert res.value >= optimum - 1e-6 >= res.bound - 2e-6
    # The reported gap covers the true distance to the optimum.
    assert abs(res.value - optimum) / max(abs(optimum), 1) <= res.gap + 1e-9


@pytest.mark.parametrize("objective", ["coverage", "p-median"])
def test_existing_facilities_count(objective):
    grid, cand = random_instance(6)
    d = distances(grid, cand)
    w = grid["pop_tot"].to_numpy()
    school = gpd.GeoDataFrame(geometry=[shapely.Point(1000, Y0 + 1000)], crs=CRS)
    cells = access(grid, school, thresholds=[700]).cells
    current = cells[DIST].to_numpy()
    expected = brute_force(d, w, 2, objective, 700, current)
    res = choose_sites(cells, cand, k=2, distance=700, objective=objective, method="exact")
    assert res.value == pytest.approx(expected, rel=1e-9)
    if objective == "p-median":
        assert res.before == pytest.approx(float(w @ current))
        assert res.value <= res.before
    else:
        # Persons added by the sites sum to the persons newly within reach.
        assert res.sites["pop_added"].sum() == pytest.approx(res.value)


def test_matches_spopt():
    pulp = pytest.importorskip("pulp")
    locate = pytest.importorskip("spopt.locate")
    grid, cand = random_instance(8, n_cells=100, n_cand=10)
    d = distances(grid, cand)
    w = grid["pop_tot"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PuLP 3 deprecates the name of its bundled CBC
        solver = pulp.PULP_CBC_CMD(msg=False)
        mclp = locate.MCLP.from_cost_matrix(d, w, service_radius=1000, p_facilities=4)
        mclp = mclp.solve(solver)
        pmed = locate.PMedian.from_cost_matrix(d, w, p_facilities=4).solve(solver)
    cover = choose_sites(grid, cand, k=4, distance=1000, objective="coverage")
    median = choose_sites(grid, cand, k=4, objective="p-median")
    assert cover.value >= mclp.problem.objective.value() - 1e-6
    assert median.value <= pmed.problem.objective.value() * (1 + 1e-9)


def test_candidate_cells_are_ssb_cell_centres():
    zone = gpd.GeoDataFrame(
        {"zone_id": ["Z1"]},
        geometry=[shapely.Polygon([(0, Y0), (1000, Y0), (0, Y0 + 1000)])],  # a triangle
        crs=CRS,
    )
    cand = candidate_cells(zone, 250, id_column="zone_id")
    # Centres with x + y < 1000 m from the corner: (125,125), (375,125), (625,125),
    # (125,375), (375,375), (125,625).
    assert len(cand) == 6
    x, y = cell_centres(cand[SITE_ID].astype("int64").to_numpy(), 250)
    np.testing.assert_allclose(x, cand.geometry.x)
    np.testing.assert_allclose(y, cand.geometry.y)
    assert (cand["zone_id"] == "Z1").all()


def test_siting_along_a_network():
    # Cells along a path; two candidates: one on the path, one across a river (no path).
    grid = pd.DataFrame(
        {"ssbid": corners_to_ssbid([0, 250, 500], [Y0] * 3), "pop_tot": [50.0, 50.0, 50.0]}
    )
    grid.attrs["cell_size"] = 250
    path = gpd.GeoSeries([shapely.LineString([(125, Y0 + 125), (625, Y0 + 125)])], crs=CRS)
    cand = gpd.GeoDataFrame(
        {SITE_ID: ["on-path", "across"]},
        geometry=[shapely.Point(375, Y0 + 125), shapely.Point(375, Y0 + 260)],
        crs=CRS,
    )
    net = network_from_lines(path)
    res = choose_sites(grid, cand, k=1, distance=260, objective="coverage", network=net)
    assert res.sites[SITE_ID].tolist() == ["on-path"]
    assert res.value == 150


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 0, "distance": 500}, "at least 1"),
        ({"k": 2}, "needs the reach"),
        ({"k": 2, "distance": 500, "objective": "centre"}, "unknown objective"),
    ],
    ids=["k-zero", "no-distance", "bad-objective"],
)
def test_input_errors(kwargs, match):
    grid, cand = random_instance(9)
    with pytest.raises(InputError, match=match):
        choose_sites(grid, cand, **kwargs)


def test_no_candidates():
    grid, cand = random_instance(9)
    with pytest.raises(InputError, match="no candidate sites"):
        choose_sites(grid, cand.iloc[:0], k=1, distance=500)


def test_publish_sites_withholds_small_counts():
    sites = gpd.GeoDataFrame(
        {SITE_ID: ["a", "b", "c"], "pop_added": [0.0, 4.0, 40.0], "pop_served": [12.0, 4.0, 9.0]},
        geometry=[shapely.Point(0, 0)] * 3,
        crs=CRS,
    )
    out = publish_sites(sites, threshold=10)
    assert out["pop_added"].tolist()[0] == 0
    assert np.isnan(out["pop_added"].iloc[1])
    assert out["pop_added"].iloc[2] == 40
    assert np.isnan(out["pop_served"].iloc[2])
    assert out["pop_served"].iloc[0] == 10  # published counts are rounded to 10 persons
    assert publish_sites(sites, threshold=10, rounding=0)["pop_served"].iloc[0] == 12
