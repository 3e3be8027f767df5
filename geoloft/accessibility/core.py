"""``access``: distance from each populated cell to the nearest facility, counts within reach."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft import columns as C
from geoloft.accessibility._inputs import (
    DEFAULT_THRESHOLDS,
    DIST,
    FACILITY_ID,
    NEAREST_ID,
    REACH_CLASS,
    cell_points,
    cell_size_of,
    check_thresholds,
    facility_points,
    n_within,
)
from geoloft.accessibility.distance import Network, count_within, nearest
from geoloft.grid import cell_polygons
from geoloft.report import StageReport, attach_report

__all__ = ["AccessResult", "access"]


@dataclass
class AccessResult:
    """What :func:`access` found.

    Attributes
    ----------
    cells
        One row per grid cell (aligned to the grid's index): ``ssbid``,
        ``cell_size``, the population, ``dist_nearest`` (metres; ``inf`` where no
        facility can be reached along the network), ``nearest_id``,
        ``n_within_<t>`` (facilities within ``t`` metres) per threshold,
        ``reach_class`` (1 = within the first threshold ... k + 1 = beyond the
        last) and the cell square (EPSG:25833).
    facilities
        The facilities used, with ``facility_id``, ``name`` (when the input has
        one) and their point.
    thresholds
        Thresholds in metres, ascending.
    metric
        ``"straight"`` or ``"network"``.
    areas
        Per-area summary (see :func:`~geoloft.accessibility.access_by_area`), or ``None``.
    report
        Rows in and out and facts worth reporting.
    """

    cells: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    thresholds: list[int]
    metric: str
    areas: gpd.GeoDataFrame | None = None
    report: StageReport = field(default_factory=lambda: StageReport("access"))


def access(
    grid: pd.DataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    areas: gpd.GeoDataFrame | None = None,
    thresholds: Sequence[int] = DEFAULT_THRESHOLDS,
    network: Network | None = None,
    pop: str = C.POP_TOT,
    id_column: str | None = None,
    cell_geometry: Literal["square", "centre"] = "square",
) -> AccessResult:
    """Measure how far residents live from facilities (schools, playgrounds, meeting places).

    Each populated grid cell stands for its residents at the cell centre. The
    distance is straight-line, or along ``network`` when one is given.

    Parameters
    ----------
    grid
        Grid cells from :func:`geoloft.read_grid` (with or without geometry):
        ``ssbid``, the cell size and the population column ``pop``.
    facilities
        Points in EPSG:25833, e.g. from :func:`geoloft.read_measures`; lines and
        polygons stand for a point inside them.
    areas
        Areas (``area_id``, ``name``, polygons) to summarise by; ``None``: none.
    thresholds
        Distances in metres at which to count facilities and residents.
    network
        A path network (:func:`~geoloft.accessibility.read_network`); ``None`` measures
        straight lines.
    pop
        Population column of the grid (persons, extensive). Cells with a
        missing population keep their distances but count as no one in sums.
    id_column
        Facility id column; by default ``measure_id`` if present, else the row number.
    cell_geometry
        ``"square"``: the cell squares (the grid's own geometry when it has one);
        ``"centre"``: the cell centres as points (faster for national grids).

    Returns
    -------
    AccessResult
        Cells with distances and counts, and (with ``areas``) the summary per area.

    Raises
    ------
    SchemaError
        The grid lacks ``ssbid``, its cell size or ``pop``.
    CRSError
        Grid, facilities or areas not in EPSG:25833.
    InputError
        No facilities, or thresholds that are not positive.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd, shapely
    >>> grid = pd.DataFrame({"ssbid": [20000006650000, 20010006650000], "pop_tot": [20.0, 30.0]})
    >>> grid.attrs["cell_size"] = 1000
    >>> school = gpd.GeoDataFrame(geometry=[shapely.Point(500, 6650500)], crs="EPSG:25833")
    >>> res = access(grid, school, thresholds=[500, 1000])
    >>> res.cells[["dist_nearest", "n_within_1000", "reach_class"]].values.tolist()
    [[0.0, 1.0, 1.0], [1000.0, 1.0, 2.0]]
    """
    from geoloft.errors import InputError

    limits = check_thresholds(thresholds)
    xy, people = cell_points(grid, pop)
    fac_xy, ids, not_points = facility_points(facilities, id_column)
    if not len(fac_xy):
        raise InputError(
            "there are no facilities to measure the distance to.",
            source="facilities",
            hint="check the file and any filter (where=, category) that selected them.",
        )
    dist, row = nearest(xy, fac_xy, network=network)
    counts = count_within(xy, fac_xy, limits, network=network)
    size = cell_size_of(grid)
    data: dict[str, Any] = {
        C.SSBID: grid[C.SSBID].to_numpy(dtype=np.int64),
        C.CELL_SIZE: np.full(len(grid), size, dtype=np.int64),
        pop: people.to_numpy(),
        DIST: dist,
        NEAREST_ID: pd.Series(ids.to_numpy()[np.maximum(row, 0)]).where(row >= 0).to_numpy(),
    }
    for t, count in zip(limits, counts, strict=True):
        data[n_within(t)] = count
    data[REACH_CLASS] = np.searchsorted(np.asarray(limits, dtype=float), dist, side="left") + 1
    if cell_geometry == "centre":
        geometry = gpd.points_from_xy(xy[:, 0], xy[:, 1])
    elif isinstance(grid, gpd.GeoDataFrame):
        geometry = grid.geometry.to_numpy()
    else:
        geometry = cell_polygons(data[C.SSBID], size)
    cells = gpd.GeoDataFrame(data, geometry=geometry, crs=C.WORKING_CRS, index=grid.index)
    used = gpd.GeoDataFrame(
        {FACILITY_ID: ids.to_numpy()},
        geometry=gpd.points_from_xy(fac_xy[:, 0], fac_xy[:, 1]),
        crs=C.WORKING_CRS,
        index=facilities.index,
    )
    if C.NAME in facilities.columns:
        used.insert(1, C.NAME, facilities[C.NAME].to_numpy())
    report = _report(cells, used, limits, network, not_points, pop)
    cells.attrs["access"] = {"thresholds": limits, "metric": report.notes["metric"]}
    result = AccessResult(
        cells=attach_report(cells, report),
        facilities=used,
        thresholds=limits,
        metric=report.notes["metric"],
        report=report,
    )
    if areas is not None:
        from geoloft.accessibility.summary import access_by_area

        result.areas = access_by_area(cells, areas, facilities=used, thresholds=limits, pop=pop)
    return result


def _report(
    cells: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    limits: list[int],
    network: Network | None,
    not_points: int,
    pop: str,
) -> StageReport:
    dist = cells[DIST].to_numpy()
    people = cells[pop].fillna(0).to_numpy()
    notes: dict[str, Any] = {
        "metric": "straight" if network is None else "network",
        "facilities": len(facilities),
        "thresholds_m": limits,
        "persons": float(people.sum()),
        "cells with unknown population": int(cells[pop].isna().sum()),
    }
    if not_points:
        notes["facilities given as lines or polygons (a point inside used)"] = not_points
    if network is not None:
        notes["network nodes"] = int(network.graph.shape[0])
        notes["network parts"] = network.n_components
        notes["cells reaching no facility"] = int(np.isinf(dist).sum())
    for t in limits:
        notes[f"persons within {t} m"] = float(people[dist <= t].sum())
    return StageReport(
        stage="access", source="grid", rows_in=len(cells), rows_out=len(cells), notes=notes
    )
