"""join_grid: grid cell statistics summed, averaged and divided into areas."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geoloft.columns import AREA_ID, N_CELLS, SSBID
from geoloft.errors import InputError
from geoloft.join._checks import (
    ValueSpec,
    check_areas,
    check_crs,
    check_frame,
    check_grid,
    check_method,
    check_no_clash,
    resolve_values,
)
from geoloft.join._dasymetric import refined_pairs
from geoloft.join.crosswalk import Pairs, compute_pairs, pairs_from_table
from geoloft.report import StageReport, attach_report, source_of

__all__ = ["join_grid"]

FloatArray = npt.NDArray[np.float64]


def sum_by_area(values: FloatArray, pairs: Pairs, n_areas: int) -> FloatArray:
    """Sum ``share * value`` per area; NaN values are skipped, never counted as 0.

    An area whose cells all lack the value gets NaN; an area with no cells gets 0.
    """
    v = values[pairs.cell]
    known = ~np.isnan(v)
    total = np.bincount(
        pairs.area, weights=np.where(known, v * pairs.share, 0.0), minlength=n_areas
    )
    n_known = np.bincount(pairs.area, weights=known, minlength=n_areas)
    n_any = np.bincount(pairs.area, minlength=n_areas)
    return np.where((n_any > 0) & (n_known == 0), np.nan, total)


def mean_by_area(values: FloatArray, weight: FloatArray, pairs: Pairs, n_areas: int) -> FloatArray:
    """Average ``values`` per area weighted by ``share * weight``; NaN where no weight."""
    v, w = values[pairs.cell], weight[pairs.cell]
    ok = ~np.isnan(v) & ~np.isnan(w)
    ws = np.where(ok, w * pairs.share, 0.0)
    num = np.bincount(pairs.area, weights=ws * np.where(ok, v, 0.0), minlength=n_areas)
    den = np.bincount(pairs.area, weights=ws, minlength=n_areas)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _aggregate(
    grid: pd.DataFrame, pairs: Pairs, spec: ValueSpec, n_areas: int
) -> dict[str, FloatArray]:
    def column(name: str) -> FloatArray:
        return grid[name].to_numpy(np.float64, na_value=np.nan)

    sums = {c: sum_by_area(column(c), pairs, n_areas) for c in spec.summed}
    out: dict[str, FloatArray] = {}
    for col in spec.output:
        if col in spec.intensive:
            out[col] = mean_by_area(column(col), column(spec.intensive[col]), pairs, n_areas)
        elif col in spec.rates:
            num, den = (sums[c] for c in spec.rates[col])
            with np.errstate(invalid="ignore", divide="ignore"):
                out[col] = np.where(den > 0, num / den, np.nan)
        else:
            out[col] = sums[col]
    return out


def _report(
    grid: pd.DataFrame,
    areas: pd.DataFrame,
    pairs: Pairs,
    spec: ValueSpec,
    result: dict[str, FloatArray],
    method: str,
) -> StageReport:
    report = StageReport(
        "join_grid", source=source_of(grid, "grid"), rows_in=len(grid), rows_out=len(areas)
    )
    notes = pairs.notes(grid[SSBID].to_numpy(np.int64))
    inside = np.minimum(pairs.coverage(len(grid)), 1.0)
    totals_in, assigned, outside, missing = {}, {}, {}, {}
    for col in spec.summed:
        v = grid[col].to_numpy(np.float64, na_value=np.nan)
        totals_in[col] = float(np.nansum(v))
        outside[col] = float(np.nansum(v * (1.0 - inside)))
        if col in result:
            assigned[col] = float(np.nansum(result[col]))
    for col in dict.fromkeys([*spec.output, *spec.summed]):
        if col in grid.columns:
            missing[col] = int(grid[col].isna().sum())
    n_cells = np.bincount(pairs.area, minlength=len(areas))
    report.notes.update(
        {
            "method": method,
            "values": spec.kinds(),
            "total_in": totals_in,
            "total_assigned": assigned,
            "total_outside": outside,
            "missing_values": missing,
            "areas_without_cells": areas[AREA_ID].astype(str).to_numpy()[n_cells == 0].tolist(),
            **notes,
        }
    )
    report.drop("cells outside every area", len(notes["cells_outside"]))
    return report


def join_grid(
    grid: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    values: Sequence[str] | None = None,
    method: str = "area",
    weights: Mapping[str, str] | None = None,
    rates: Mapping[str, tuple[str, str]] | None = None,
    crosswalk: pd.DataFrame | None = None,
    refine: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Sum, average and divide grid cell statistics into areas.

    Counts (extensive values such as ``pop_tot``, persons) are apportioned and
    summed; means (intensive values such as ``pop_ave``, years) are averaged
    with a count as weight, never by area; rates given as numerator and
    denominator are divided after both are summed.

    Parameters
    ----------
    grid
        Grid cells (``ssbid``, value columns as float with NaN for missing,
        cell size in ``attrs['cell_size']`` or a ``cell_size`` column),
        EPSG:25833. The cell squares are taken from the ids.
    areas
        Areas with a unique ``area_id`` and valid (multi)polygons, EPSG:25833.
    values
        Count columns to sum (and means named in ``weights``). ``None`` means
        every numeric column except ``ssbid`` and ``cell_size``, which is
        allowed only when each is declared (in ``weights`` or ``rates``) or
        has a known SSB name: counts ``pop_tot``, ``pop_mal``, ``pop_fem``,
        means ``pop_ave``; the report says what was inferred. Any other
        column raises, naming it, so that a share or a mean is never summed by
        accident; so does a named value whose name marks a share, rate or mean
        (``andel``, ``pct``, ``rate``, ``mean``, ...) unless ``weights`` names it.
    method
        ``"area"``: each cell's counts go to the areas in proportion to the exact
        share of the cell's area inside each (uniform density within a cell);
        ``"centroid"``: whole cells go to the area holding the cell centre (SSB's
        convention for tables by area; a centre on a shared boundary goes to
        exactly one of the areas).
    weights
        Intensive columns and the count column that weights each
        (``{"pop_ave": "pop_tot"}``). ``None`` means the means geoloft knows
        (:data:`geoloft.columns.INTENSIVE_WEIGHTS`) among ``values``; every
        other value is a count. Given, it must name every known mean among
        ``values`` (else an error: ``pop_ave`` would be summed).
    rates
        Rates to compute after aggregation: ``{name: (numerator, denominator)}``
        of count columns; NaN where the denominator is 0.
    crosswalk
        A table from :func:`crosswalk` (``ssbid``, ``area_id``, ``share``) to
        use instead of computing the shares; ``method`` is then ignored.
    refine
        Dasymetric refinement of ``method="area"``: a layer that says where in
        each cell people live, so a cell's counts go to the areas in proportion
        to the people (or settled land) in each part rather than its area. A
        finer population grid (``ssbid``, cell size, ``pop_tot``, such as SSB's
        100 m grid of Oslo under 250 m cells; fine cells need not nest), or
        polygons of settled land (a mask). Cells the layer has no people or
        land in keep the area share; the report's ``refine`` note counts both.
        ``scripts/dasymetric_register.py`` measures the gain against the
        population register.

    Returns
    -------
    geopandas.GeoDataFrame
        The areas (same index, order, columns and geometry) with ``n_cells``
        (cells that reached the area, in whole or part) and one column per
        value and rate. Missing cell values are skipped, not taken as 0; an
        area whose cells all lack a value gets NaN for it. An area that
        received no cells gets 0 for counts and NaN for means and rates. The
        :class:`~geoloft.report.StageReport` in ``attrs['report']`` has how
        each column was treated (``values``: counts, means, rates, inferred), the
        totals in, assigned and outside every area (with those cells' ids),
        cells split between areas, and missing values per column.

    Raises
    ------
    CRSError
        If either frame lacks a CRS or is not in EPSG:25833 (never just a warning).
    SchemaError
        If a value, weight or rate column is missing (all are listed), a
        column's kind is unknown or would sum a share or mean (see ``values``), the
        cell size or an id is missing, or a result column would overwrite an
        area column.
    GeometryError
        If an area geometry is empty, invalid or not a polygon.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> from geoloft.grid import cell_polygons
    >>> ids = [22560006672000, 22570006672000]
    >>> grid = gpd.GeoDataFrame(
    ...     {"ssbid": ids, "pop_tot": [100.0, 40.0], "pop_ave": [30.0, 50.0]},
    ...     geometry=cell_polygons(ids, 1000), crs="EPSG:25833")
    >>> grid.attrs["cell_size"] = 1000
    >>> areas = gpd.GeoDataFrame(
    ...     {"area_id": ["W", "E"]},
    ...     geometry=[box(256000, 6672000, 256500, 6673000),
    ...               box(256500, 6672000, 258000, 6673000)], crs="EPSG:25833")
    >>> join_grid(grid, areas)[["area_id", "n_cells", "pop_tot", "pop_ave"]]
      area_id  n_cells  pop_tot    pop_ave
    0       W        1     50.0  30.000000
    1       E        2     90.0  38.888889
    """
    check_frame(grid, name="grid")
    check_frame(areas, name="areas")
    check_crs(grid, areas)
    spec = resolve_values(grid, values, weights, rates)
    ids, size = check_grid(grid)
    geoms = check_areas(areas)
    check_no_clash(areas, [N_CELLS, *spec.output])
    refined: dict[str, object] | None = None
    if crosswalk is None:
        check_method(method)
        if refine is not None and method != "area":
            raise InputError(
                f"refine= places people within cells for method='area', not {method!r}.",
                source="refine",
                hint="use method='area' with refine=, or leave refine out.",
            )
        if refine is not None:
            pairs, refined = refined_pairs(ids, size, geoms, refine, grid)
            method = "area, refined"
        else:
            pairs = compute_pairs(ids, size, geoms, method)
    else:
        pairs = pairs_from_table(crosswalk, ids, areas[AREA_ID])
        method = "crosswalk"
    result = _aggregate(grid, pairs, spec, len(areas))
    report = _report(grid, areas, pairs, spec, result, method)
    if refined is not None:
        report.notes["refine"] = refined
    new = pd.DataFrame(
        {N_CELLS: np.bincount(pairs.area, minlength=len(areas)), **result}, index=areas.index
    )
    geometry = areas.geometry.name
    frame = pd.concat([areas.drop(columns=geometry), new, areas[[geometry]]], axis=1)
    out = gpd.GeoDataFrame(frame, geometry=geometry, crs=areas.crs)
    return attach_report(out, report)
