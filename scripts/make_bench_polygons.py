"""Make ~14,000 synthetic grunnkrets-sized polygons that tile Norway's land.

Seeds are drawn from the 2015 250 m population grid with probability
proportional to population (so polygons are small where people live, large in
the mountains, as real grunnkretser are), jittered inside their cell, turned
into Voronoi polygons, and cut by the 2024 kommune polygons so that every
polygon lies in one kommune and together they tile the land. Deterministic for
a given seed. Used by scripts/bench_join.py; the output is not committed.

Usage::

    python scripts/make_bench_polygons.py --out /tmp/geoloft-bench/polygons.gpkg
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geoloft._io import atomic_path
from geoloft.boundaries import read_boundaries
from geoloft.columns import AREA_ID, NAME
from geoloft.grid import cell_centres, read_grid

REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"
GRID = REALDATA / "ssb-grid-norway-2015" / "ru250m_2015.csv"
KOMMUNER = REALDATA / "kommuner-2024" / "Kommuner-S.geojson"


def read_kommuner(path: Path = KOMMUNER) -> gpd.GeoDataFrame:
    """Read the kommuner, without the warning about the 28 repaired geometries."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return read_boundaries(path)


def make_polygons(n_seeds: int = 11_200, seed: int = 2015) -> gpd.GeoDataFrame:
    """Return Voronoi polygons of population-weighted seeds cut by kommune borders."""
    grid = read_grid(GRID)
    kommuner = read_kommuner()
    rng = np.random.default_rng(seed)
    pop = grid["pop_tot"].to_numpy()
    pick = rng.choice(pop.size, size=n_seeds, replace=False, p=pop / pop.sum())
    x, y = cell_centres(grid["ssbid"].to_numpy()[pick], 250)
    x = x + rng.uniform(-125, 125, n_seeds)
    y = y + rng.uniform(-125, 125, n_seeds)
    xmin, ymin, xmax, ymax = kommuner.total_bounds
    extent = shapely.box(xmin - 1e4, ymin - 1e4, xmax + 1e4, ymax + 1e4)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(np.c_[x, y]), extend_to=extent)
    )
    voronoi = gpd.GeoDataFrame({"seed": np.arange(cells.size)}, geometry=cells, crs=kommuner.crs)
    pieces = gpd.overlay(
        voronoi, kommuner[[AREA_ID, "geometry"]], how="intersection", keep_geom_type=True
    )
    pieces = pieces.dissolve(by=["seed", AREA_ID], as_index=False)
    pieces = pieces.sort_values([AREA_ID, "seed"], ignore_index=True)
    pieces["geometry"] = shapely.make_valid(pieces.geometry.to_numpy())
    ids = [f"{k}{i:05d}" for i, k in enumerate(pieces[AREA_ID])]
    return gpd.GeoDataFrame(
        {AREA_ID: ids, NAME: [f"synthetic {i}" for i in ids], "kommune": pieces[AREA_ID]},
        geometry=pieces.geometry.to_numpy(),
        crs=kommuner.crs,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output GeoPackage")
    parser.add_argument("--seeds", type=int, default=11_200, help="number of Voronoi seeds")
    parser.add_argument("--seed", type=int, default=2015, help="random seed")
    parser.add_argument("--overwrite", action="store_true")
    args = parser.parse_args()
    polygons = make_polygons(args.seeds, args.seed)
    with atomic_path(args.out, overwrite=args.overwrite) as tmp:
        polygons.to_file(tmp, driver="GPKG", layer="polygons")
    print(f"{len(polygons)} polygons -> {args.out}")


if __name__ == "__main__":
    main()
