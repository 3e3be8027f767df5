"""False hot spots on null data shaped like the real data: Gi* inference compared.

Each grid's own values are shuffled over its own cells (same skewed counts,
same islands and holes), so every hot or cold spot found is false. For each
shuffle the script counts the spots that Gi* with Benjamini-Hochberg at FDR
5 % declares under

* ``analytic``: normal p-values of the z-score (geoloft's default before
  issue 11, and esda's ``p_norm``);
* ``permutation``: geoloft's default, conditional permutations, as many as
  BH needs to be reachable (``auto_permutations``).

Under the complete null the false discovery rate equals the probability of
any discovery, so "share with any" should stay at or below 0.05. The script
also compares geoloft with esda on the real (unshuffled) grids: z-scores,
permutation p-values, and hot/cold spot counts.

Grids: the Oslo 250 m grid of 2015 (../shared/realdata) and the synthetic demo
grid (data/grid).

Run: python scripts/null_hotspots.py [--shuffles 200] [--seed 1] [--skip-esda] [--national]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from geoloft import read_grid
from geoloft.delineation import benjamini_hochberg, hotspots

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
GRIDS = {
    "Oslo 250 m 2015": REALDATA / "ssb-grid-norway-2015/ru250m_2015_oslo0301.csv",
    "demo 250 m": REPO / "data/grid/demoby_ru250m_syntetisk.csv",
}
NATIONAL = REALDATA / "ssb-grid-norway-2015/ru250m_2015.csv"
ALPHA = 0.05
METHODS = {"analytic (before)": 0, "permutation (default)": None}


def load(path: Path) -> pd.DataFrame:
    """Return the grid's ids, cell size and population (persons, float)."""
    grid = read_grid(path, cell_size=250)
    return pd.DataFrame(grid[["ssbid", "cell_size", "pop_tot"]])


def null_counts(grid: pd.DataFrame, shuffles: int, seed: int) -> pd.DataFrame:
    """Return one row per shuffle and method with the false hot and cold spots."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(shuffles):
        shuffled = grid.assign(pop_tot=rng.permutation(grid["pop_tot"].to_numpy()))
        for method, permutations in METHODS.items():
            spots = hotspots(shuffled, "pop_tot", alpha=ALPHA, permutations=permutations, seed=i)
            rows.append(
                {
                    "method": method,
                    "hot": int(spots["hot_spot"].sum()),
                    "cold": int(spots["cold_spot"].sum()),
                }
            )
    return pd.DataFrame(rows)


def summarise(counts: pd.DataFrame) -> pd.DataFrame:
    """Return per method: share of shuffles with any false spot, mean and max counts."""
    counts = counts.assign(spots=counts["hot"] + counts["cold"])
    return counts.groupby("method", sort=False).agg(
        shuffles=("hot", "size"),
        any_false_hot=("hot", lambda s: float((s > 0).mean())),
        any_false_spot=("spots", lambda s: float((s > 0).mean())),
        mean_false_hot=("hot", "mean"),
        mean_false_cold=("cold", "mean"),
        max_false_spots=("spots", "max"),
    )


def esda_comparison(grid: pd.DataFrame) -> dict[str, object]:
    """Compare geoloft's Gi* with esda's G_Local (queen, binary, star) on one grid."""
    import geopandas as gpd
    import libpysal
    from esda.getisord import G_Local

    from geoloft.grid import cell_polygons

    frame = gpd.GeoDataFrame(geometry=cell_polygons(grid["ssbid"], 250))
    w = libpysal.weights.Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
    x = grid["pop_tot"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands: esda divides by zero there
        theirs = G_Local(x, w, transform="B", star=True, permutations=999, seed=1, n_jobs=1)
    ours0 = hotspots(grid, "pop_tot", permutations=0)
    ours999 = hotspots(grid, "pop_tot", permutations=999, seed=1)
    ours = hotspots(grid, "pop_tot")
    tested = ours["n_neighbours"].to_numpy() > 0
    z = ours0["gi_z"].to_numpy()[tested]

    def found(p: np.ndarray, zs: np.ndarray) -> tuple[int, int]:
        q = benjamini_hochberg(np.where(tested, p, np.nan))
        hit = q <= ALPHA
        return int((hit & (zs > 0)).sum()), int((hit & (zs < 0)).sum())

    return {
        "cells tested": int(tested.sum()),
        "max |z - esda z|": float(np.max(np.abs(z - theirs.Zs[tested]))),
        "mean |p/2 - esda p_sim| (999 each)": float(
            np.mean(np.abs(ours999["gi_p"].to_numpy()[tested] / 2 - theirs.p_sim[tested]))
        ),
        "esda analytic (2 p_norm), hot/cold": found(2 * theirs.p_norm, theirs.Zs),
        "esda 999 permutations (2 p_sim), hot/cold": found(
            np.minimum(2 * theirs.p_sim, 1.0), theirs.Zs
        ),
        "geoloft analytic, hot/cold": (
            int(ours0["hot_spot"].sum()),
            int(ours0["cold_spot"].sum()),
        ),
        "geoloft default, hot/cold": (int(ours["hot_spot"].sum()), int(ours["cold_spot"].sum())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shuffles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-esda", action="store_true")
    parser.add_argument(
        "--national", action="store_true", help="also time one national run (250 m, 2015)"
    )
    args = parser.parse_args()
    pd.set_option("display.width", 120)
    for name, path in GRIDS.items():
        if not path.exists():
            print(f"{name}: {path} not found, skipped")
            continue
        grid = load(path)
        start = time.perf_counter()
        table = summarise(null_counts(grid, args.shuffles, args.seed))
        spent = time.perf_counter() - start
        print(
            f"\n{name}: {len(grid):,} cells, values shuffled {args.shuffles} times, "
            f"Gi* queen, BH at FDR {ALPHA:.0%} ({spent:.0f} s)"
        )
        print(table.round(3).to_string())
        if not args.skip_esda:
            print(f"  against esda on the real (unshuffled) {name} grid:")
            for key, value in esda_comparison(grid).items():
                print(f"    {key}: {value}")
    if args.national and NATIONAL.exists():
        national(load(NATIONAL))


def national(grid: pd.DataFrame) -> None:
    """Time the default and the analytic inference on all of Norway."""
    for method, permutations in METHODS.items():
        start = time.perf_counter()
        spots = hotspots(grid, "pop_tot", alpha=ALPHA, permutations=permutations)
        spent = time.perf_counter() - start
        tested = int((spots["n_neighbours"] > 0).sum())
        print(
            f"\nNorway 250 m 2015, {len(grid):,} cells ({tested:,} tested), {method}: "
            f"{spent:.1f} s, {int(spots['hot_spot'].sum()):,} hot and "
            f"{int(spots['cold_spot'].sum()):,} cold spots"
        )


if __name__ == "__main__":
    main()
