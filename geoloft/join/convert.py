"""Area-to-area conversion through the grid (dasymetric, population-weighted)."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geoloft.columns import AREA_ID, POP_TOT
from geoloft.errors import SchemaError
from geoloft.join._checks import (
    check_areas,
    check_crs,
    check_frame,
    check_grid,
    check_no_clash,
    resolve_values,
)
from geoloft.join._grid_join import sum_by_area
from geoloft.join.crosswalk import Pairs, compute_pairs
from geoloft.report import StageReport, attach_report, source_of

__all__ = ["convert_areas"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _pieces(
    source: npt.NDArray[np.object_], target: npt.NDArray[np.object_]
) -> tuple[IntArray, IntArray, npt.NDArray[np.object_]]:
    """Return (source, target, polygon) for every pair of areas that share area."""
    tree = shapely.STRtree(target)
    si, ti = tree.query(source, predicate="intersects")
    inter = shapely.intersection(source[si], target[ti])
    parts, pair = shapely.get_parts(inter, return_index=True)
    polygonal = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    parts, pair = parts[polygonal], pair[polygonal]
    keep = np.unique(pair)
    geoms = shapely.multipolygons(parts, indices=np.searchsorted(keep, pair))
    return si[keep].astype(np.int64), ti[keep].astype(np.int64), geoms


def _check_table(table: pd.DataFrame, values: Sequence[str]) -> None:
    source = source_of(table, "table")
    missing = [c for c in (AREA_ID, *values) if c not in table.columns]
    if missing:
        raise SchemaError(
            f"missing column(s) {', '.join(missing)}; the table has: "
            f"{', '.join(map(str, table.columns))}.",
            source=source,
            hint="name the source area ids 'area_id' and list count columns in values=.",
        )
    text = [c for c in values if not pd.api.types.is_numeric_dtype(table[c])]
    if text:
        raise SchemaError(
            f"column(s) {', '.join(text)} are not numeric.",
            source=source,
            hint="parse the values as numbers first (geoloft.read_indicators does).",
        )
    ids = table[AREA_ID].astype(str)
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        names = list(dict.fromkeys(dup))
        raise SchemaError(
            "each source area must have one row.",
            source=source,
            column=AREA_ID,
            rows=names,
            n_rows=len(names),
            hint="aggregate the table to one row per area (e.g. one year) first.",
        )


def _population(pairs: Pairs, weight: FloatArray, n: int) -> FloatArray:
    w = np.nan_to_num(weight[pairs.cell], nan=0.0)
    # numpy's stub types bincount as int, but with weights it returns float64
    return np.bincount(pairs.area, weights=w * pairs.share, minlength=n)  # type: ignore[return-value]


def convert_areas(
    table: pd.DataFrame,
    source_areas: gpd.GeoDataFrame,
    target_areas: gpd.GeoDataFrame,
    grid: gpd.GeoDataFrame,
    *,
    values: Sequence[str],
    weight: str = POP_TOT,
) -> gpd.GeoDataFrame:
    """Convert counts published for one set of areas to another, through the grid.

    Each source area's count is split among the target areas in proportion to
    the grid population (``weight``) living in each part they share
    (dasymetric interpolation): the part of the source area inside a target
    area gets ``share * weight`` of every grid cell, with exact cell shares.
    Counts only (persons, households); convert the numerator and denominator of
    a rate and divide afterwards.

    Parameters
    ----------
    table
        One row per source area: ``area_id`` and the count columns in ``values``
        (float, NaN for missing).
    source_areas, target_areas
        Areas with unique ``area_id`` and valid (multi)polygons, EPSG:25833.
    grid
        Grid cells with the ``weight`` column, EPSG:25833.
    values
        Count columns of ``table`` to convert.
    weight
        Grid count column that says where people live inside each area.

    Returns
    -------
    geopandas.GeoDataFrame
        The target areas (same index and order) with one column per value. A
        target that no source reaches gets 0; one reached only by missing
        values gets NaN. The report in ``attrs['report']`` checks conservation:
        ``total_in`` = ``total_out`` + ``unplaced`` per column. Unplaced are the
        counts of rows whose id is not among the source areas, of source areas
        with no grid population, and of population outside every target area.

    Raises
    ------
    CRSError
        If a frame lacks a CRS or is not in EPSG:25833.
    SchemaError
        If a column is missing, a value column is not numeric, or a source area
        has more than one row.
    GeometryError
        If an area geometry is empty, invalid or not a polygon.

    Examples
    --------
    >>> import geopandas as gpd
    >>> import pandas as pd
    >>> from shapely import box
    >>> from geoloft.grid import cell_polygons
    >>> ids = [22560006672000, 22570006672000]
    >>> grid = gpd.GeoDataFrame({"ssbid": ids, "pop_tot": [30.0, 10.0]},
    ...                         geometry=cell_polygons(ids, 1000), crs="EPSG:25833")
    >>> grid.attrs["cell_size"] = 1000
    >>> one = gpd.GeoDataFrame({"area_id": ["all"]},
    ...                        geometry=[box(256000, 6672000, 258000, 6673000)],
    ...                        crs="EPSG:25833")
    >>> two = gpd.GeoDataFrame({"area_id": ["W", "E"]},
    ...                        geometry=[box(256000, 6672000, 257000, 6673000),
    ...                                  box(257000, 6672000, 258000, 6673000)],
    ...                        crs="EPSG:25833")
    >>> table = pd.DataFrame({"area_id": ["all"], "households": [100.0]})
    >>> convert_areas(table, one, two, grid, values=["households"])[["area_id", "households"]]
      area_id  households
    0       W        75.0
    1       E        25.0
    """
    for frame, name in (
        (grid, "grid"),
        (source_areas, "source_areas"),
        (target_areas, "target_areas"),
    ):
        check_frame(frame, name=name)
    check_crs(grid, source_areas, what="source_areas")
    check_crs(grid, target_areas, what="target_areas")
    values = list(values)
    _check_table(table, values)
    resolve_values(grid, [weight], {}, None)
    src_geoms = check_areas(source_areas, name="source_areas")
    tgt_geoms = check_areas(target_areas, name="target_areas")
    check_no_clash(target_areas, values, name="target_areas")
    ids, size = check_grid(grid)
    w = grid[weight].to_numpy(np.float64, na_value=np.nan)

    src_pop = _population(compute_pairs(ids, size, src_geoms, "area"), w, len(src_geoms))
    si, ti, pieces = _pieces(src_geoms, tgt_geoms)
    piece_pop = _population(compute_pairs(ids, size, pieces, "area"), w, len(pieces))
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(src_pop[si] > 0, piece_pop / src_pop[si], 0.0)
    row_of = pd.Index(table[AREA_ID].astype(str)).get_indexer(source_areas[AREA_ID].astype(str))
    has_row = row_of[si] >= 0
    # (table row, target, fraction of the row's counts): the shape sum_by_area takes
    flow = Pairs(row_of[si][has_row], ti[has_row], frac[has_row])
    out = {}
    for col in values:
        v = table[col].to_numpy(np.float64, na_value=np.nan)
        out[col] = sum_by_area(v, flow, len(tgt_geoms))
    frame = target_areas.copy()
    for col in values:
        frame[col] = out[col]
    report = _report(table, source_areas, src_pop, flow, out, values)
    report.rows_out = len(frame)
    return attach_report(frame, report)


def _report(
    table: pd.DataFrame,
    source_areas: pd.DataFrame,
    src_pop: FloatArray,
    flow: Pairs,
    out: dict[str, FloatArray],
    values: list[str],
) -> StageReport:
    src_ids = source_areas[AREA_ID].astype(str)
    table_ids = table[AREA_ID].astype(str)
    unknown = ~table_ids.isin(src_ids).to_numpy()
    empty = src_ids[src_pop <= 0].tolist()
    placed = np.bincount(flow.cell, weights=flow.share, minlength=len(table))
    totals_in, totals_out, unplaced, missing = {}, {}, {}, {}
    for col in values:
        v = table[col].to_numpy(np.float64, na_value=np.nan)
        totals_in[col] = float(np.nansum(v))
        totals_out[col] = float(np.nansum(out[col]))
        unplaced[col] = float(np.nansum(v * (1.0 - placed)))
        missing[col] = int(np.isnan(v).sum())
    report = StageReport("convert_areas", source=source_of(table, "table"), rows_in=len(table))
    report.drop("ids not among the source areas", int(unknown.sum()))
    report.notes.update(
        {
            "total_in": totals_in,
            "total_out": totals_out,
            "unplaced": unplaced,
            "missing_values": missing,
            "unknown_ids": table_ids[unknown].tolist(),
            "source_areas_without_population": empty,
            "conserved": all(
                abs(totals_in[c] - totals_out[c] - unplaced[c])
                <= 1e-9 * max(1.0, abs(totals_in[c]))
                for c in values
            ),
        }
    )
    return report
