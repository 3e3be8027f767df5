"""Grid to bydel: area share, cell centre and dasymetric refinement against the register.

For Oslo's 17 bydeler (oslo-bydeler-gpkg) the script joins SSB's 250 m
population grid (2015 and 2019, all Norway, cut to Oslo) into the bydeler with

* ``area share``: each cell split by the exact share of its area in each bydel
  (uniform density within a cell);
* ``cell centre``: whole cells to the bydel holding the cell centre (SSB's
  convention);
* ``refined 100 m``: ``join_grid(refine=)`` with the 100 m population grid of
  Oslo (2015; cells under 5 persons absent) placing people within each 250 m
  cell; for 2019 the 2015 placement is the best finer layer at hand;
* ``mask 100 m``: ``join_grid(refine=)`` with a settled-area mask, the union
  of the populated 100 m cells;
* ``tobler area`` and ``tobler mask``: tobler's ``area_interpolate`` and
  ``masked_area_interpolate`` (the same mask as a 100 m raster) on the same
  cells, the peer equivalents of "area share" and "mask 100 m" (tobler drops
  the cells with no settled land; geoloft keeps their area share);

and compares each with the registered population per bydel (SSB table 10826,
ssb-population-bydel-2001-2020), which counts everybody by address. The grid
and the register differ in total (persons without a coordinate; the register's
"unknown bydel"), so the table shows both the error in persons and the error in
the bydel's share of the city (percentage points), which is free of that
difference.

Run: python scripts/dasymetric_register.py [--years 2015 2019] [--skip-tobler]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft import read_boundaries, read_grid
from geoloft.columns import AREA_ID, POP_TOT
from geoloft.join import join_grid

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
BYDELER = REALDATA / "oslo-bydeler-gpkg" / "oslo_bydeler.gpkg"
REGISTER = REALDATA / "ssb-population-bydel-2001-2020" / "Personerward2001-2020.csv"
FINE = REALDATA / "ssb-grid-norway-2015" / "Oslo_bef_100m_2015.csv"
GRIDS = {
    2015: REALDATA / "ssb-grid-norway-2015" / "ru250m_2015.csv",
    2019: REALDATA / "ssb-grid-norway-250m-series" / "NOR0250M_POP_2019.csv",
}


def read_register(year: int) -> pd.Series:
    """Return the registered population per bydel (030101-030117) on 1 January ``year``."""
    table = pd.read_csv(REGISTER, sep=";", encoding="latin-1", skiprows=2)
    code = table["region"].str.extract(r"^(\d{6})a ", expand=False)
    wanted = code.str.match(r"^0301(0[1-9]|1[0-7])$", na=False)
    persons = table.loc[wanted, f"Persons {year}"].groupby(code[wanted]).sum()
    return persons.astype(float).rename("register")


def read_bydeler() -> gpd.GeoDataFrame:
    """Return the 17 bydeler (Marka's invalid ring repaired) in EPSG:25833."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the repair of Marka is expected
        return read_boundaries(BYDELER, id_column="bydelsnr")


def cut(grid: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, margin: float = 1000) -> gpd.GeoDataFrame:
    """Return the cells within ``margin`` metres of the areas' bounding box."""
    xmin, ymin, xmax, ymax = areas.total_bounds
    c = grid.geometry.centroid
    inside = (c.x > xmin - margin) & (c.x < xmax + margin)
    inside &= (c.y > ymin - margin) & (c.y < ymax + margin)
    out = grid.loc[inside.to_numpy()].reset_index(drop=True)
    out.attrs = dict(grid.attrs)
    return out


def mask_raster(fine: gpd.GeoDataFrame, folder: Path) -> Path:
    """Write the populated 100 m cells as a 0/1 GeoTIFF (tobler needs a raster mask)."""
    import rasterio
    from rasterio.transform import from_origin

    xmin, ymin, xmax, ymax = fine.total_bounds
    width, height = int(np.rint((xmax - xmin) / 100)), int(np.rint((ymax - ymin) / 100))
    data = np.zeros((height, width), dtype=np.uint8)
    c = fine.geometry.centroid
    cols = ((c.x.to_numpy() - xmin) // 100).astype(int)
    rows = ((ymax - c.y.to_numpy()) // 100).astype(int)
    data[rows, cols] = 1
    path = folder / "settled.tif"
    profile = {
        "driver": "GTiff",
        "height": height,
        "width": width,
        "count": 1,
        "dtype": "uint8",
        "crs": "EPSG:25833",
        "transform": from_origin(xmin, ymax, 100, 100),
        "nodata": 255,
    }
    with rasterio.open(path, "w", **profile) as out:
        out.write(data, 1)
    return path


def tobler_estimates(
    grid: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, raster: Path
) -> dict[str, pd.Series]:
    """Return tobler's area and masked-area interpolation of pop_tot per bydel."""
    from tobler.area_weighted import area_interpolate
    from tobler.dasymetric import masked_area_interpolate

    source = gpd.GeoDataFrame({POP_TOT: grid[POP_TOT]}, geometry=grid.geometry, crs=grid.crs)
    target = gpd.GeoDataFrame({AREA_ID: areas[AREA_ID]}, geometry=areas.geometry, crs=areas.crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # allocate_total=False: the part of a cell outside Oslo stays outside, as in geoloft
        plain = area_interpolate(
            source, target, extensive_variables=[POP_TOT], allocate_total=False
        )
        masked = masked_area_interpolate(
            source,
            target,
            str(raster),
            [1],
            extensive_variables=[POP_TOT],
            allocate_total=False,
            n_jobs=1,
        )
    ids = areas[AREA_ID].to_numpy()
    return {
        "tobler area": pd.Series(plain[POP_TOT].to_numpy(), index=ids),
        "tobler mask": pd.Series(masked[POP_TOT].to_numpy(), index=ids),
    }


def estimates(
    grid: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    fine: gpd.GeoDataFrame,
    raster: Path | None,
) -> tuple[dict[str, pd.Series], dict[str, float]]:
    """Return each method's persons per bydel and its run time (s)."""
    settled = gpd.GeoDataFrame(geometry=fine.geometry, crs=fine.crs)
    runs = {
        "area share": {"method": "area"},
        "cell centre": {"method": "centroid"},
        "refined 100 m": {"method": "area", "refine": fine},
        "mask 100 m": {"method": "area", "refine": settled},
    }
    out, seconds = {}, {}
    for name, kwargs in runs.items():
        start = time.perf_counter()
        joined = join_grid(grid, areas, values=[POP_TOT], **kwargs)  # type: ignore[arg-type]
        seconds[name] = time.perf_counter() - start
        out[name] = pd.Series(joined[POP_TOT].to_numpy(), index=joined[AREA_ID].to_numpy())
    if raster is not None:
        start = time.perf_counter()
        out.update(tobler_estimates(grid, areas, raster))
        seconds["tobler (both)"] = time.perf_counter() - start
    return out, seconds


def table(register: pd.Series, found: dict[str, pd.Series]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the per-bydel error table and the summary rows."""
    rows = pd.DataFrame({"register": register})
    summary = {}
    share_reg = register / register.sum()
    for name, series in found.items():
        est = series.reindex(register.index)
        error = est - register
        share_err = 100 * (est / est.sum() - share_reg)
        rows[name] = error.round(0)
        summary[name] = {
            "total": est.sum(),
            "mean |error| persons": error.abs().mean(),
            "max |error| persons": error.abs().max(),
            "mean |error| %": (100 * error.abs() / register).mean(),
            "max |error| %": (100 * error.abs() / register).max(),
            "mean |share error| pp": share_err.abs().mean(),
            "max |share error| pp": share_err.abs().max(),
        }
    return rows, pd.DataFrame(summary).T


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=int, nargs="+", default=[2015, 2019])
    parser.add_argument("--skip-tobler", action="store_true")
    args = parser.parse_args()
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)
    areas = read_bydeler()
    fine = cut(read_grid(FINE, cell_size=100), areas)
    with tempfile.TemporaryDirectory() as folder:
        raster = None if args.skip_tobler else mask_raster(fine, Path(folder))
        for year in args.years:
            grid = cut(read_grid(GRIDS[year], cell_size=250), areas)
            register = read_register(year)
            found, seconds = estimates(grid, areas, fine, raster)
            rows, summary = table(register, found)
            print(
                f"\n{year}: {len(grid):,} cells of 250 m in and around Oslo "
                f"({grid[POP_TOT].sum():,.0f} persons) "
                f"into {len(areas)} bydeler; register total {register.sum():,.0f}. "
                "Error = estimate - register (persons):"
            )
            print(rows.to_string(float_format=lambda v: f"{v:,.0f}"))
            print(summary.to_string(float_format=lambda v: f"{v:,.2f}"))
            print("run time (s): " + ", ".join(f"{k} {v:.2f}" for k, v in seconds.items()))


if __name__ == "__main__":
    main()
