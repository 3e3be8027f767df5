"""Indicators computed from the population grid itself, per area.

A project without an indicator table can still score its areas on what the grid
holds: residents, sub-group counts (``pop_mal``, ``pop_fem``), mean age, the
settled area and its density, and population change against an earlier grid
vintage. Catalogue entries with ``source = "grid"`` name these columns
(see :data:`geoloft.indicators.catalogue.GRID_COLUMNS`).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft import columns as C
from geoloft.errors import InputError
from geoloft.join._grid_join import join_grid
from geoloft.report import StageReport, attach_report

__all__ = ["grid_indicators"]

#: Grid columns that are means, with the count that weights them.
_MEANS = {"pop_ave": C.POP_TOT}


def _count_columns(grid: gpd.GeoDataFrame) -> list[str]:
    """Return the grid's count columns: numeric, not the id, the cell size or a mean."""
    skip = {C.SSBID, C.CELL_SIZE, *_MEANS}
    return [
        str(c)
        for c in grid.columns
        if c not in skip and c != grid.geometry.name and pd.api.types.is_numeric_dtype(grid[c])
    ]


def grid_indicators(
    grid: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    baseline: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Return grid-derived indicator columns per area (exact area weights).

    Parameters
    ----------
    grid
        Populated grid cells (:func:`geoloft.read_grid`), with ``pop_tot``.
    areas
        The areas (``area_id``, geometry) in EPSG:25833.
    baseline
        An earlier grid vintage of the same cell size, for population change.

    Returns
    -------
    pandas.DataFrame
        One row per area: ``area_id``, every count column of the grid (summed by
        exact area shares), ``pop_ave`` (weighted by residents) when the grid has it,
        ``settled_km2`` (km² of populated cells inside the area), ``density_settled``
        (residents per settled km²), and with a baseline ``pop_tot_baseline``,
        ``pop_change`` and ``pop_change_pct``. A :class:`~geoloft.report.StageReport`
        is attached.

    Raises
    ------
    InputError
        When the grid has no ``pop_tot`` column.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from geoloft.grid.codec import cell_polygons
    >>> ids = [22620006650000, 22622506650000]
    >>> grid = gpd.GeoDataFrame({"ssbid": ids, "cell_size": 250, "pop_tot": [100.0, 50.0]},
    ...     geometry=cell_polygons(ids, 250), crs=25833)
    >>> areas = gpd.GeoDataFrame({"area_id": ["a"]},
    ...     geometry=[box(262000, 6650000, 262500, 6650250)], crs=25833)
    >>> out = grid_indicators(grid, areas)
    >>> out[["pop_tot", "settled_km2", "density_settled"]].round(4).values.tolist()
    [[150.0, 0.125, 1200.0]]
    """
    if C.POP_TOT not in grid.columns:
        raise InputError(
            f"the grid has no {C.POP_TOT} column, which grid indicators need.",
            source="grid",
            hint="use a population grid (SSB 'befolkning på rutenett').",
        )
    counts = _count_columns(grid)
    populated = grid[C.POP_TOT].fillna(0).to_numpy() > 0
    size = grid[C.CELL_SIZE].to_numpy(dtype=float) if C.CELL_SIZE in grid.columns else None
    if size is None:
        size = np.sqrt(grid.geometry.area.to_numpy())
    work = grid.assign(settled_km2=np.where(populated, size**2 / 1e6, 0.0))
    means = {k: v for k, v in _MEANS.items() if k in grid.columns}
    areas = gpd.GeoDataFrame(
        {C.AREA_ID: areas[C.AREA_ID].astype(str).to_numpy()},
        geometry=areas.geometry.to_numpy(),
        crs=areas.crs,
    )
    joined = join_grid(
        work, areas, values=[*counts, "settled_km2", *means], method="area", weights=means
    )
    out = pd.DataFrame({C.AREA_ID: areas[C.AREA_ID].astype(str).to_numpy()})
    for col in [*counts, *means, "settled_km2"]:
        out[col] = joined[col].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["density_settled"] = np.where(
            out["settled_km2"] > 0, out[C.POP_TOT] / out["settled_km2"], np.nan
        )
    if baseline is not None:
        before = join_grid(baseline, areas, values=[C.POP_TOT], method="area")
        out["pop_tot_baseline"] = before[C.POP_TOT].to_numpy(dtype=float)
        out["pop_change"] = out[C.POP_TOT] - out["pop_tot_baseline"]
        with np.errstate(divide="ignore", invalid="ignore"):
            out["pop_change_pct"] = np.where(
                out["pop_tot_baseline"] > 0,
                100 * out["pop_change"] / out["pop_tot_baseline"],
                np.nan,
            )
    report = StageReport("grid_indicators", source="grid", rows_in=len(grid), rows_out=len(out))
    report.notes["columns"] = [c for c in out.columns if c != C.AREA_ID]
    return attach_report(out, report)
