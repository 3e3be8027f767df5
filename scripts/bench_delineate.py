"""Benchmark geoloft.delineation against spopt's MaxPHeuristic and at national scale.

Input: SSB's real 2015 population grid, 250 m cells (../shared/realdata). The
"index" (need score) is synthetic: a seeded smooth field of Gaussian bumps
plus noise, since no real indicator exists per 250 m cell.

1. City: the ~10,000 populated cells nearest Oslo's centre; the 30 % with the
   highest index qualify; population floor 2,000.
2. Peer: the 1,600 cells nearest the centre, same floor. spopt.region.MaxPHeuristic
   (default settings) partitions all 1,600 cells into regions of at least the
   floor; geoloft runs (a) the same selection task as in 1 and (b) a
   partition-like task: all cells selected, floor 2,000, ceiling 4,000.
3. National: all 220,171 cells; cells with at least 100 persons qualify
   (and, second, Gi* hot spots of population); floor 2,000. Adjacency from
   ids vs libpysal's Rook from polygons (optional, --libpysal).

Run: python scripts/bench_delineate.py [--skip-spopt] [--libpysal] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoloft.delineation import cell_adjacency, delineate, hotspots
from geoloft.grid import cell_centres, cell_polygons

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
GRID = REALDATA / "ssb-grid-norway-2015" / "ru250m_2015.csv"
OSLO = (262_000.0, 6_649_500.0)  # near Oslo S, EPSG:25833
FLOOR = 2_000


def load() -> pd.DataFrame:
    grid = pd.read_csv(GRID, sep=";").rename(columns={"ru250m": "ssbid"})
    grid["cell_size"] = 250
    grid["pop_tot"] = grid["pop_tot"].astype(float)
    x, y = cell_centres(grid["ssbid"], 250)
    rng = np.random.default_rng(2015)
    bumps = rng.uniform(
        [OSLO[0] - 20_000, OSLO[1] - 20_000], [OSLO[0] + 20_000, OSLO[1] + 20_000], (25, 2)
    )
    field = sum(np.exp(-((x - bx) ** 2 + (y - by) ** 2) / (2 * 3_000.0**2)) for bx, by in bumps)
    grid["index"] = field + rng.normal(0, 0.15, x.size)
    grid["distance"] = np.hypot(x - OSLO[0], y - OSLO[1])
    return grid


def nearest(grid: pd.DataFrame, n: int) -> pd.DataFrame:
    return grid.nsmallest(n, "distance").reset_index(drop=True)


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, float, float]:
    """Return the result, the fastest and the median wall time of ``repeat`` runs."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, min(times), statistics.median(times)


def top30(frame: pd.DataFrame) -> tuple[str, str, float]:
    return ("index", ">=", float(frame["index"].quantile(0.7)))


def city(grid: pd.DataFrame, repeat: int) -> None:
    cells = nearest(grid, 10_000)
    areas, best, median = timed(
        lambda: delineate(cells, select=top30(cells), min_pop=FLOOR), repeat
    )
    print(
        f"city   {len(cells):>7,} cells  select top 30 %, floor {FLOOR:,}: "
        f"{best:.3f} s (median {median:.3f} s of {repeat}), {len(areas)} areas"
    )


def peer(grid: pd.DataFrame, repeat: int, skip_spopt: bool) -> None:
    cells = nearest(grid, 1_600)
    select, best, median = timed(
        lambda: delineate(cells, select=top30(cells), min_pop=FLOOR), repeat
    )
    everything = np.ones(len(cells), dtype=bool)
    part, p_best, p_median = timed(
        lambda: delineate(cells, select=everything, min_pop=FLOOR, max_pop=2 * FLOOR), repeat
    )
    print(
        f"peer   {len(cells):>7,} cells  geoloft (a) top 30 %, floor: {best:.4f} s "
        f"(median {median:.4f}), {len(select)} areas"
    )
    print(
        f"                      geoloft (b) all cells, floor {FLOOR:,}, ceiling {2 * FLOOR:,}: "
        f"{p_best:.4f} s (median {p_median:.4f}), {len(part)} areas"
    )
    if skip_spopt:
        return
    import geopandas as gpd
    import libpysal
    from spopt.region import MaxPHeuristic

    frame = gpd.GeoDataFrame(cells, geometry=cell_polygons(cells["ssbid"], 250), crs=25833)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.Rook.from_dataframe(frame, use_index=False, silence_warnings=True)
        model = MaxPHeuristic(frame, w, ["index"], "pop_tot", FLOOR)
        start = time.perf_counter()
        np.random.seed(0)
        model.solve()
        spent = time.perf_counter() - start
    print(
        f"       spopt MaxPHeuristic (defaults), floor {FLOOR:,}: {spent:.1f} s, {model.p} regions"
    )
    print(f"       ratio spopt / geoloft: (a) {spent / best:,.0f}x   (b) {spent / p_best:,.0f}x")


def national(grid: pd.DataFrame, repeat: int, with_libpysal: bool) -> None:
    rule = ("pop_tot", ">=", 100)
    areas, best, median = timed(lambda: delineate(grid, select=rule, min_pop=FLOOR), repeat)
    print(
        f"nation {len(grid):>7,} cells  pop_tot >= 100, floor {FLOOR:,}: {best:.3f} s "
        f"(median {median:.3f}), {len(areas)} areas, report: {areas.attrs['report'].summary()}"
    )
    hot, h_best, h_median = timed(
        lambda: delineate(grid, select=("pop_tot", "hotspots"), min_pop=FLOOR), repeat
    )
    print(
        f"       Gi* hot spots of pop_tot (queen, FDR 5 %), floor {FLOOR:,}: {h_best:.3f} s "
        f"(median {h_median:.3f}), {len(hot)} areas"
    )
    spots, p_time, _ = timed(lambda: hotspots(grid, "pop_tot", permutations=99, seed=1), 1)
    print(
        f"       Gi* with 99 conditional permutations (national, one run): {p_time:.1f} s, "
        f"{int(spots['hot_spot'].sum())} hot spots (99 draws cannot pass FDR at this scale)"
    )
    _, a_best, _ = timed(lambda: cell_adjacency(grid["ssbid"], 250), repeat)
    print(f"       rook adjacency from ids: {a_best:.3f} s")
    if with_libpysal:
        import geopandas as gpd
        import libpysal

        frame = gpd.GeoDataFrame(geometry=cell_polygons(grid["ssbid"], 250), crs=25833)
        start = time.perf_counter()
        libpysal.weights.Rook.from_dataframe(frame, use_index=False, silence_warnings=True)
        spent = time.perf_counter() - start
        print(f"       libpysal Rook.from_dataframe: {spent:.1f} s ({spent / a_best:,.0f}x slower)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-spopt", action="store_true", help="do not run spopt (slow)")
    parser.add_argument("--libpysal", action="store_true", help="also time libpysal's Rook")
    parser.add_argument("--repeat", type=int, default=5, help="runs per geoloft timing")
    args = parser.parse_args()
    grid = load()
    delineate(nearest(grid, 500), select=top30(nearest(grid, 500)), min_pop=FLOOR)  # warm-up
    city(grid, args.repeat)
    peer(grid, args.repeat, args.skip_spopt)
    national(grid, args.repeat, args.libpysal)


if __name__ == "__main__":
    main()
