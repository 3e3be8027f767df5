"""Benchmark geoloft.access side by side with peers, on real data.

1. Nearest-facility distance for the national 250 m grid (SSB 2019, about 222,000
   cells) and all 2,667 schools: geoloft.accessibility.access against geopandas'
   sjoin_nearest on the cell centres (same answer checked).
2. Maximal covering and p-median on Oslo's 250 m cells with 20-100 candidate
   sites (random populated cells, seeded): geoloft.accessibility.choose_sites against
   spopt's MCLP and PMedian on the same cost matrix (objective and time).

Run from the repository root::

    python scripts/bench_access.py [--candidates 20 50 100] [--k 5] [--spopt-time-limit 300]

spopt solves with CBC (its default) unless --spopt-solver highs; with a time limit
it may stop before proving optimality, which the table says.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
from scipy.spatial.distance import cdist

import geoloft
from geoloft.accessibility import DIST, access, candidate_cells, choose_sites
from geoloft.accessibility.distance import nearest

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
GRID = REALDATA / "ssb-grid-norway-250m-series" / "NOR0250M_POP_2019.csv"
SCHOOLS = REALDATA / "schools-norway" / "skoler.geojson"
KOMMUNER = REALDATA / "kommuner-2024" / "Kommuner-S.geojson"


def timed(fn, repeat: int = 1):
    best, value = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return value, best


def national_nearest(repeat: int) -> None:
    grid = geoloft.read_grid(GRID, geometry=False)
    schools = geoloft.read_measures(SCHOOLS)
    print(f"\n1. Nearest school for every populated 250 m cell in Norway: "
          f"{len(grid):,} cells, {len(schools):,} schools")  # fmt: skip
    result, t_ours = timed(
        lambda: access(grid, schools, thresholds=[1000], cell_geometry="centre"), repeat
    )
    x, y = geoloft.grid.cell_centres(grid["ssbid"].to_numpy(), 250)
    centres = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=schools.crs)

    def peer() -> gpd.GeoDataFrame:
        return gpd.sjoin_nearest(centres, schools[["geometry"]], distance_col="d")

    xy = np.column_stack([x, y])
    sxy = np.column_stack([schools.geometry.x, schools.geometry.y])
    _, t_nearest = timed(lambda: nearest(xy, sxy), repeat)
    joined, t_peer = timed(peer, repeat)
    joined = joined[~joined.index.duplicated()]
    diff = np.abs(joined["d"].to_numpy() - result.cells[DIST].to_numpy()).max()
    print(f"   geoloft.access (distance, nearest id, schools within 1 km): {t_ours:6.2f} s")
    print(f"   geopandas.sjoin_nearest (distance, nearest id):                    {t_peer:6.2f} s")
    print(f"   geoloft nearest (distance, nearest row):            {t_nearest:6.2f} s")
    print(f"   ratio geopandas / geoloft: {t_peer / t_ours:.1f}x (whole access), "
          f"{t_peer / t_nearest:.1f}x (nearest only); largest difference {diff:.2e} m")  # fmt: skip


def oslo_cells() -> gpd.GeoDataFrame:
    from geoloft.join import crosswalk

    grid = geoloft.read_grid(GRID)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the simplified kommune file has repaired polygons
        kommuner = geoloft.read_boundaries(KOMMUNER)
    links = crosswalk(grid, kommuner[kommuner["area_id"] == "0301"], method="centroid")
    return grid[grid["ssbid"].isin(links["ssbid"])]


def spopt_solve(kind, cost, weights, k, reach, solver_name, limit):
    import pulp
    from spopt.locate import MCLP, PMedian

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PuLP 3 deprecates the name of its bundled CBC
        if solver_name == "highs":
            solver = pulp.HiGHS(msg=False, timeLimit=limit)
        else:
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit)
        if kind == "coverage":
            model = MCLP.from_cost_matrix(cost, weights, service_radius=reach, p_facilities=k)
        else:
            model = PMedian.from_cost_matrix(cost, weights, p_facilities=k)
        try:
            model = model.solve(solver)
        except RuntimeError:  # spopt raises when the solver stopped without a solution
            return float("nan"), "none"
    # PuLP says "Optimal" when CBC stops at its time limit with a solution; the solution
    # status tells a proven optimum from a feasible one.
    proven = model.problem.sol_status == pulp.LpSolutionOptimal
    return model.problem.objective.value(), "optimal" if proven else "feasible"


def siting(candidates: list[int], k: int, reach: int, solver: str, limit: float) -> None:
    cells = oslo_cells()
    w = cells["pop_tot"].to_numpy()
    print(
        f"\n2. New sites in Oslo: {len(cells):,} populated 250 m cells, {w.sum():,.0f} "
        f"persons, k = {k}, reach {reach} m; spopt with {solver.upper()}"
    )
    header = f"   {'objective':9} {'m':>4} {'geoloft':>16} {'s':>7} {'method':>12} {'gap':>9}"
    print(header + f" {'spopt':>16} {'s':>7} {'status':>10} {'same or better':>15} {'ratio':>7}")
    rng = np.random.default_rng(2019)
    xy = np.column_stack(geoloft.grid.cell_centres(cells["ssbid"].to_numpy(), 250))
    for m in candidates:
        picked = cells.iloc[rng.choice(len(cells), m, replace=False)]
        cand = candidate_cells(picked, 250)
        cost = cdist(xy, np.column_stack([cand.geometry.x, cand.geometry.y]))
        for kind in ("coverage", "p-median"):
            ours, t_ours = timed(
                lambda kind=kind, cand=cand: choose_sites(
                    cells, cand, k=k, distance=reach, objective=kind
                )
            )
            (theirs, status), t_theirs = timed(
                lambda kind=kind, cost=cost: spopt_solve(kind, cost, w, k, reach, solver, limit)
            )
            better = np.isnan(theirs) or (
                ours.value >= theirs - 1e-6 if kind == "coverage"
                else ours.value <= theirs * (1 + 1e-9)
            )  # fmt: skip
            gap = "-" if ours.gap is None else f"{100 * ours.gap:.4f}%"
            print(f"   {kind:9} {m:4d} {ours.value:16,.0f} {t_ours:7.2f} {ours.method:>12} "
                  f"{gap:>9} {theirs:16,.0f} {t_theirs:7.2f} {status:>10} "
                  f"{'yes' if better else 'NO':>15} {t_theirs / t_ours:6.1f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--candidates", type=int, nargs="+", default=[20, 50, 100])
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--reach", type=int, default=500, help="MCLP reach (metres)")
    parser.add_argument("--repeat", type=int, default=3, help="national run: best of N")
    parser.add_argument("--spopt-solver", choices=["cbc", "highs"], default="cbc")
    parser.add_argument("--spopt-time-limit", type=float, default=300.0)
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--skip-siting", action="store_true")
    args = parser.parse_args()
    if not GRID.exists():
        raise SystemExit(f"real data not found at {REALDATA}")
    if not args.skip_national:
        national_nearest(args.repeat)
    if not args.skip_siting:
        siting(args.candidates, args.k, args.reach, args.spopt_solver, args.spopt_time_limit)


if __name__ == "__main__":
    main()
