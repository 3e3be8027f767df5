"""Cell-to-area crosswalks: which share of each grid cell lies in which area.

A crosswalk is a plain table (``ssbid``, ``area_id``, ``share``) that
:func:`~geoloft.join.join_grid` uses and that users can save, inspect and reuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geoloft.columns import AREA_ID, SHARE, SSBID
from geoloft.errors import SchemaError
from geoloft.grid.codec import ssbid_to_corners
from geoloft.join._checks import (
    check_areas,
    check_crs,
    check_frame,
    check_grid,
    check_method,
)
from geoloft.join._coverage import SHARE_TOLERANCE, centroid_pairs, coverage_pairs, make_lattice
from geoloft.report import StageReport, attach_report, source_of

__all__ = ["crosswalk"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class CellNotes(TypedDict):
    """Report notes on how the cells fall in the areas (see :meth:`Pairs.notes`)."""

    cells_outside: list[int]
    cells_partly_outside: int
    cells_split: int
    cells_in_overlapping_areas: int


@dataclass(frozen=True)
class Pairs:
    """Cell-area pairs: positions in the grid and in the areas, and the cell's share."""

    cell: IntArray
    area: IntArray
    share: FloatArray

    def coverage(self, n_cells: int) -> FloatArray:
        """Return, per cell, the summed share over all areas."""
        # numpy's stub types bincount as int, but with weights it returns float64
        return np.bincount(self.cell, weights=self.share, minlength=n_cells)  # type: ignore[return-value]

    def notes(self, ids: IntArray) -> CellNotes:
        """Return report notes: cells outside every area, partly outside, split, overlapped."""
        covered = self.coverage(ids.size)
        n_areas = np.bincount(self.cell, minlength=ids.size)
        outside = covered <= 0
        return {
            "cells_outside": ids[outside].tolist(),
            "cells_partly_outside": int(((covered > 0) & (covered < 1 - 1e-9)).sum()),
            "cells_split": int((n_areas > 1).sum()),
            "cells_in_overlapping_areas": int((covered > 1 + 1e-9).sum()),
        }


def compute_pairs(
    ids: IntArray, cell_size: int, geoms: npt.NDArray[np.object_], method: str
) -> Pairs:
    """Return the cell-area pairs of cells ``ids`` (of ``cell_size`` m) and ``geoms``."""
    if ids.size == 0 or geoms.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty.copy(), np.zeros(0))
    x, y = ssbid_to_corners(ids)
    lattice = make_lattice(x, y, cell_size, tuple(shapely.total_bounds(geoms)))
    pairs = coverage_pairs if method == "area" else centroid_pairs
    return Pairs(*pairs(geoms, lattice))


def pairs_from_table(table: pd.DataFrame, ids: IntArray, area_ids: pd.Series) -> Pairs:
    """Return the pairs a crosswalk table names, checked against the grid and areas."""
    source = source_of(table, "crosswalk")
    missing = [c for c in (SSBID, AREA_ID, SHARE) if c not in table.columns]
    if missing:
        raise SchemaError(
            f"the crosswalk lacks column(s) {', '.join(missing)}; it has: "
            f"{', '.join(map(str, table.columns))}.",
            source=source,
            hint="pass a table made by geoloft.join.crosswalk (ssbid, area_id, share).",
        )
    share = pd.to_numeric(table[SHARE], errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~((share > 0) & (share <= 1 + SHARE_TOLERANCE)))
    if bad.size:
        raise SchemaError(
            "shares must be numbers in (0, 1].",
            source=source,
            column=SHARE,
            rows=(bad + 1).tolist(),
            n_rows=bad.size,
            hint="make the crosswalk again with geoloft.join.crosswalk.",
        )
    area = pd.Index(area_ids.astype(str)).get_indexer(pd.Index(table[AREA_ID].astype(str)))
    unknown = np.flatnonzero(area < 0)
    if unknown.size:
        names = list(dict.fromkeys(table[AREA_ID].astype(str).to_numpy()[unknown]))
        raise SchemaError(
            f"{len(names)} area id(s) in the crosswalk are not among the areas.",
            source=source,
            column=AREA_ID,
            rows=names,
            n_rows=len(names),
            hint="use the crosswalk made for these areas, or make a new one.",
        )
    cell = pd.Index(ids).get_indexer(pd.Index(pd.to_numeric(table[SSBID]).to_numpy(np.int64)))
    found = cell >= 0  # crosswalk rows for cells this grid lacks carry no values
    order = np.lexsort((area[found], cell[found]))
    return Pairs(cell[found][order], area[found][order], share[found][order])


def crosswalk(
    grid: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, *, method: str = "area"
) -> pd.DataFrame:
    """Return the share of each grid cell that lies in each area.

    Parameters
    ----------
    grid
        Grid cells (``ssbid``, cell size in ``attrs['cell_size']`` or a
        ``cell_size`` column), EPSG:25833. Cell squares come from the ids.
    areas
        Areas with a unique ``area_id`` and valid (multi)polygons, EPSG:25833.
    method
        ``"area"``: the exact fraction of the cell's area inside the area
        (Green's theorem on the boundary, exact to about 1e-12);
        ``"centroid"``: share 1 for the area holding the cell centre (SSB's
        convention for tables by area).

    Returns
    -------
    pandas.DataFrame
        Columns ``ssbid`` (int64), ``area_id`` (str) and ``share`` (float,
        0 < share <= 1), one row per cell and area it reaches, sorted by cell
        order then area order. Per cell the shares sum to at most 1 (less where
        the cell lies partly outside every area, more only where areas overlap).
        Cells outside every area have no row; the attached report lists them.

    Raises
    ------
    CRSError
        If either frame lacks a CRS or is not in EPSG:25833.
    SchemaError
        If a cell size, id column or area id is missing or duplicated.
    GeometryError
        If an area geometry is empty, invalid or not a polygon.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from geoloft.grid import cell_polygons
    >>> ids = [22560006672000, 22570006672000]
    >>> grid = gpd.GeoDataFrame({"ssbid": ids}, geometry=cell_polygons(ids, 1000),
    ...                         crs="EPSG:25833")
    >>> grid.attrs["cell_size"] = 1000
    >>> areas = gpd.GeoDataFrame({"area_id": ["A"]},
    ...                          geometry=[box(256500, 6672000, 260000, 6673000)],
    ...                          crs="EPSG:25833")
    >>> crosswalk(grid, areas)
                ssbid area_id  share
    0  22560006672000       A    0.5
    1  22570006672000       A    1.0
    """
    check_method(method)
    check_frame(grid, name="grid")
    check_frame(areas, name="areas")
    check_crs(grid, areas)
    ids, size = check_grid(grid)
    geoms = check_areas(areas)
    pairs = compute_pairs(ids, size, geoms, method)
    table = pd.DataFrame(
        {
            SSBID: ids[pairs.cell],
            AREA_ID: areas[AREA_ID].astype(str).to_numpy()[pairs.area],
            SHARE: pairs.share,
        }
    )
    table[AREA_ID] = table[AREA_ID].astype(str)
    report = StageReport(
        "crosswalk", source=source_of(grid, "grid"), rows_in=len(grid), rows_out=len(table)
    )
    report.notes.update({"method": method, "cell_size": size, **pairs.notes(ids)})
    report.drop("cells outside every area", len(report.notes["cells_outside"]))
    return attach_report(table, report)
