"""``access_by_area``: how many residents of each area live within reach of a facility."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft import columns as C
from geoloft.accessibility._inputs import (
    DIST,
    MEAN_DIST,
    N_FACILITIES,
    PER_1000,
    POP_UNREACHABLE,
    check_crs,
    check_thresholds,
    pop_within,
    share_within,
)
from geoloft.errors import SchemaError
from geoloft.report import StageReport, attach_report

__all__ = ["access_by_area", "cell_areas"]


def access_by_area(
    cells: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    *,
    facilities: gpd.GeoDataFrame | None = None,
    thresholds: Sequence[int] | None = None,
    pop: str = C.POP_TOT,
) -> gpd.GeoDataFrame:
    """Summarise the cells' distances per area.

    A cell belongs to the area that holds its centre (SSB's convention for
    tables by area); a cell whose centre lies in no area goes to the nearest
    area within one cell size (coastlines of simplified boundary files cut
    through populated cells). Cells farther out are counted in the report.

    Parameters
    ----------
    cells
        ``AccessResult.cells`` from :func:`~geoloft.accessibility.access`.
    areas
        Areas with ``area_id`` and ``name``, EPSG:25833.
    facilities
        The facilities (points), to count those inside each area; ``None``
        leaves ``n_facilities`` and ``facilities_per_1000`` out.
    thresholds
        Thresholds in metres; by default those the cells were measured with.
    pop
        Population column of the cells (persons).

    Returns
    -------
    geopandas.GeoDataFrame
        The areas (same index and order) with ``pop_tot`` (persons in the
        area's cells), ``mean_dist`` (population-weighted mean distance to the
        nearest facility, metres, over residents who can reach one),
        ``pop_within_<t>`` (persons) and ``share_within_<t>`` (per cent of
        ``pop_tot``) per threshold, ``pop_unreachable`` (network only),
        ``n_facilities`` and ``facilities_per_1000``. Areas without residents
        have NaN means and shares, never 0. Figures are not yet disclosure
        controlled: use :func:`~geoloft.accessibility.publish` before they leave the tool.

    Raises
    ------
    SchemaError
        Areas without ``area_id``, or cells without distances.
    CRSError
        Areas not in EPSG:25833.
    """
    limits = check_thresholds(
        thresholds
        if thresholds is not None
        else cells.attrs.get("access", {}).get("thresholds") or ()
    )
    for frame, column, what in ((areas, C.AREA_ID, "areas"), (cells, DIST, "cells")):
        if column not in frame.columns:
            raise SchemaError(
                f"the {what} have no column {column!r}.",
                source=what,
                column=column,
                hint="read areas with geoloft.read_boundaries; measure cells with access().",
            )
    check_crs(areas, "areas")
    rows, ids, n_near = _links(cells, areas)
    links = pd.DataFrame({C.AREA_ID: ids})
    people = cells[pop].fillna(0.0).to_numpy()[rows]
    dist = cells[DIST].to_numpy()[rows]
    reach = np.isfinite(dist)
    table = pd.DataFrame(
        {
            C.AREA_ID: links[C.AREA_ID].to_numpy(),
            C.POP_TOT: people,
            "_weighted": np.where(reach, people * np.where(reach, dist, 0.0), 0.0),
            "_reached": np.where(reach, people, 0.0),
            C.N_CELLS: 1,
            **{pop_within(t): np.where(dist <= t, people, 0.0) for t in limits},
        }
    )
    sums = table.groupby(C.AREA_ID, sort=False).sum()
    sums = sums.reindex(areas[C.AREA_ID].astype(str).to_numpy(), fill_value=0)
    total = sums[C.POP_TOT].to_numpy(dtype=float)
    out = areas.copy()
    out[C.POP_TOT] = total
    out[C.N_CELLS] = sums[C.N_CELLS].to_numpy(dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        reached = sums["_reached"].to_numpy(dtype=float)
        out[MEAN_DIST] = np.where(reached > 0, sums["_weighted"].to_numpy() / reached, np.nan)
        for t in limits:
            count = sums[pop_within(t)].to_numpy(dtype=float)
            out[pop_within(t)] = count
            out[share_within(t)] = np.where(total > 0, 100.0 * count / total, np.nan)
        if not reach.all():
            out[POP_UNREACHABLE] = total - reached
        if facilities is not None:
            out[N_FACILITIES] = _facilities_in(areas, facilities)
            out[PER_1000] = np.where(total > 0, 1000.0 * out[N_FACILITIES] / total, np.nan)
    outside = len(cells) - len(np.unique(rows))
    report = StageReport(
        stage="access_by_area",
        source="areas",
        rows_in=len(cells),
        rows_out=len(out),
        notes={
            "cells outside every area": outside,
            "cells given to the nearest area (centre within one cell size of it)": n_near,
            "persons outside every area": float(cells[pop].fillna(0).sum() - float(total.sum())),
            "areas without residents": int((total == 0).sum()),
        },
    )
    out.attrs["access"] = {"thresholds": limits}
    return attach_report(out, report)


def _links(cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, int]:
    """Return the cells' rows and their areas' ids (one pair per link) and how many are near."""
    from geoloft.join import crosswalk

    links = crosswalk(cells, areas, method="centroid")
    by_id = pd.Series(np.arange(len(cells)), index=cells[C.SSBID].to_numpy())
    rows = by_id.reindex(links[C.SSBID].to_numpy()).to_numpy()
    near_rows, near_ids = _nearest_area(cells, areas, rows)
    ids = np.concatenate([links[C.AREA_ID].to_numpy(), near_ids]).astype(str)
    return np.concatenate([rows, near_rows]).astype(np.int64), ids, len(near_rows)


def cell_areas(cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.Series:
    """Return, per cell, the area whose figures in :func:`access_by_area` count it.

    Parameters
    ----------
    cells
        ``AccessResult.cells`` (``ssbid`` and the cell size).
    areas
        Areas with ``area_id``, EPSG:25833.

    Returns
    -------
    pandas.Series
        Text aligned to ``cells.index``: the area id (ids joined by commas where
        overlapping areas both count the cell), missing for cells outside every area.
    """
    check_crs(areas, "areas")
    rows, ids, _ = _links(cells, areas)
    joined = pd.Series(ids, index=rows).groupby(level=0, sort=False).agg(",".join)
    values = joined.reindex(np.arange(len(cells))).to_numpy(dtype=object)
    return pd.Series(values, index=cells.index, dtype="string")


def _nearest_area(
    cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, assigned: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Give cells whose centre lies in no area to the nearest area within one cell size.

    Boundary files clipped to the coastline (and simplified) leave the centres of
    many coastal cells in the sea; without this their residents would be lost.
    """
    from geoloft.accessibility._inputs import cell_size_of
    from geoloft.grid import cell_centres

    free = np.setdiff1d(np.arange(len(cells)), assigned)
    if not len(free):
        return free, np.array([], dtype=str)
    size = cell_size_of(cells)
    x, y = cell_centres(cells[C.SSBID].to_numpy()[free], size)
    points = gpd.GeoDataFrame({"_row": free}, geometry=gpd.points_from_xy(x, y), crs=cells.crs)
    hits = gpd.sjoin_nearest(
        points, areas[[C.AREA_ID, areas.geometry.name]], max_distance=float(size)
    )
    hits = hits[~hits.index.duplicated()]
    return hits["_row"].to_numpy(), hits[C.AREA_ID].astype(str).to_numpy()


def _facilities_in(areas: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> np.ndarray:
    """Count the facilities (points) inside each area; a point on a shared edge counts once."""
    check_crs(facilities, "facilities")
    points = facilities[[facilities.geometry.name]].reset_index(drop=True)
    hits = gpd.sjoin(points, areas[[areas.geometry.name]].reset_index(drop=True), how="inner",
                     predicate="within")  # fmt: skip
    hits = hits[~hits.index.duplicated()]
    counts = np.bincount(hits["index_right"].to_numpy(), minlength=len(areas))
    return counts.astype(np.int64)
