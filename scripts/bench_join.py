"""Benchmark geoloft's grid join against tobler, geopandas overlay and geopandas sjoin.

Inputs: SSB's real all-Norway 250 m population grid 2015 (220,171 cells) against
(1) the 357 kommuner of 2024 and (2) ~14,000 synthetic grunnkrets-sized polygons
tiling the land (made by scripts/make_bench_polygons.py into a cache folder).

Every method runs in its own subprocess on the same inputs, so peak memory is
the process's own peak resident set (ru_maxrss), reported in full and above the
level reached after loading the inputs. Times are wall-clock of the join call
alone (best and median of --repeat runs). Per-area totals are compared: exact
methods against geopandas.overlay (max relative difference, areas with at least
one person; absolute difference for the rest), centroid methods against each other.

Usage::

    python scripts/bench_join.py [--repeat 3] [--cache /tmp/geoloft-bench] [--only kommuner]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REALDATA = HERE.parent.parent / "shared" / "realdata"
GRID = REALDATA / "ssb-grid-norway-2015" / "ru250m_2015.csv"
KOMMUNER = REALDATA / "kommuner-2024" / "Kommuner-S.geojson"
EXACT = ("geoloft area", "tobler", "overlay")
CENTROID = ("geoloft centroid", "sjoin centroid")
METHODS = EXACT + CENTROID


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _load(areas_path: str):
    from geoloft.boundaries import read_boundaries
    from geoloft.grid import read_grid

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # repaired kommune geometries
        areas = read_boundaries(areas_path, id_column="area_id" if "gpkg" in areas_path else None)
    return read_grid(GRID), areas


def _run(method: str, grid, areas):
    import geopandas as gpd

    pop = "pop_tot"
    if method == "geoloft area":
        from geoloft.join import join_grid

        return join_grid(grid, areas, values=[pop]).pop_tot.to_numpy()
    if method == "geoloft centroid":
        from geoloft.join import join_grid

        return join_grid(grid, areas, values=[pop], method="centroid").pop_tot.to_numpy()
    if method == "tobler":
        from tobler.area_weighted import area_interpolate

        out = area_interpolate(
            grid[[pop, "geometry"]],
            areas[["geometry"]],
            extensive_variables=[pop],
            allocate_total=False,
        )
        return out[pop].to_numpy()
    target = areas[["geometry"]].reset_index(names="area")
    if method == "overlay":
        cells = grid[[pop, "geometry"]]
        pieces = gpd.overlay(cells, target, how="intersection", keep_geom_type=True)
        part = pieces.area.to_numpy() / cells.area.to_numpy()[0] * pieces[pop].to_numpy()
        return np.bincount(pieces["area"], weights=part, minlength=len(areas))
    if method == "sjoin centroid":
        points = gpd.GeoDataFrame({pop: grid[pop]}, geometry=grid.centroid, crs=grid.crs)
        hits = gpd.sjoin(points, target, predicate="within")
        return np.bincount(hits["area"], weights=hits[pop], minlength=len(areas))
    raise ValueError(method)


def child(method: str, areas_path: str, repeat: int, out: str) -> None:
    grid, areas = _load(areas_path)
    base = _rss_mb()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        totals = _run(method, grid, areas)
        times.append(time.perf_counter() - start)
    np.save(out, np.asarray(totals, dtype=np.float64))
    print(json.dumps({"times": times, "rss_base": base, "rss_peak": _rss_mb()}))


def _spawn(method: str, areas_path: Path, repeat: int, tmp: Path) -> dict:
    out = tmp / f"{method.replace(' ', '_')}.npy"
    cmd = [
        sys.executable,
        __file__,
        "--child",
        method,
        "--areas",
        str(areas_path),
        "--repeat",
        str(repeat),
        "--npy",
        str(out),
    ]
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["totals"] = np.load(out)
    return result


def _diff(a: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """Return max relative difference (areas with >= 1 person) and max absolute difference."""
    big = np.abs(ref) >= 1
    rel = float(np.max(np.abs(a[big] - ref[big]) / np.abs(ref[big]), initial=0.0))
    return rel, float(np.max(np.abs(a - ref), initial=0.0))


def bench(name: str, areas_path: Path, repeat: int) -> bool:
    print(f"\n## {name}: 250 m grid 2015 (220,171 cells) x {areas_path.name}")
    with tempfile.TemporaryDirectory() as tmp:
        res = {m: _spawn(m, areas_path, repeat, Path(tmp)) for m in METHODS}
    n_areas = res["overlay"]["totals"].size
    print(f"areas: {n_areas}; load average now: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    header = (
        f"| {'method':<17}| best s | median s | peak RSS MB | above inputs MB "
        f"| x slower than geoloft | max rel diff | max abs diff |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    ok = True
    for m in METHODS:
        r = res[m]
        mine = res["geoloft area" if m in EXACT else "geoloft centroid"]
        ref = res["overlay" if m in EXACT else "sjoin centroid"]["totals"]
        rel, absd = _diff(r["totals"], ref)
        best = min(r["times"])
        ratio = best / min(mine["times"])
        print(
            f"| {m:<17}| {best:6.2f} | {statistics.median(r['times']):8.2f} "
            f"| {r['rss_peak']:11.0f} | {r['rss_peak'] - r['rss_base']:15.0f} "
            f"| {ratio:21.1f} | {rel:12.1e} | {absd:12.1e} |"
        )
        if m in ("geoloft area",) and rel > 1e-9:
            ok = False
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per method")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "geoloft-bench")
    parser.add_argument("--only", choices=("kommuner", "synthetic"))
    parser.add_argument("--child", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--areas", help=argparse.SUPPRESS)
    parser.add_argument("--npy", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.areas, args.repeat, args.npy)
        return
    polygons = args.cache / "bench_polygons.gpkg"
    if args.only != "kommuner" and not polygons.exists():
        subprocess.run(
            [sys.executable, str(HERE / "make_bench_polygons.py"), "--out", str(polygons)],
            check=True,
        )
    ok = True
    if args.only != "synthetic":
        ok &= bench("kommuner", KOMMUNER, args.repeat)
    if args.only != "kommuner":
        ok &= bench("synthetic", polygons, args.repeat)
    print("\nper-area totals of geoloft area agree with overlay within 1e-9:", ok)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
