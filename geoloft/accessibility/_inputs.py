"""Column names of the access stage and checks of its inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from geoloft import columns as C
from geoloft.errors import CRSError, GeometryError, InputError, SchemaError
from geoloft.grid import cell_centres

#: Facility id (text): the measure id where the file has one, else the row number.
FACILITY_ID: Final = "facility_id"
#: Distance from a cell centre to the nearest facility (metres).
DIST: Final = "dist_nearest"
#: Id of the nearest facility.
NEAREST_ID: Final = "nearest_id"
#: Class of a cell by distance: 1 = within the first threshold, ..., k + 1 = beyond all.
REACH_CLASS: Final = "reach_class"
#: Population-weighted mean distance to the nearest facility in an area (metres).
MEAN_DIST: Final = "mean_dist"
#: Facilities lying inside an area.
N_FACILITIES: Final = "n_facilities"
#: Facilities inside an area per 1,000 residents.
PER_1000: Final = "facilities_per_1000"
#: Persons of an area whose cells reach no facility along the network.
POP_UNREACHABLE: Final = "pop_unreachable"
#: Default thresholds (metres).
DEFAULT_THRESHOLDS: Final = (300, 500, 1000)


def n_within(t: int) -> str:
    """Column: facilities within ``t`` metres of a cell."""
    return f"n_within_{t}"


def pop_within(t: int) -> str:
    """Column: persons of an area living within ``t`` metres of a facility."""
    return f"pop_within_{t}"


def share_within(t: int) -> str:
    """Column: per cent of an area's persons living within ``t`` metres of a facility."""
    return f"share_within_{t}"


def check_thresholds(thresholds: Sequence[int] | int, *, source: str = "thresholds") -> list[int]:
    """Return the thresholds as sorted unique positive whole metres, or raise."""
    values = [thresholds] if isinstance(thresholds, int | np.integer) else list(thresholds)
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int | np.integer)]
    if bad:
        raise TypeError(f"{source} must be whole metres (int), got {bad[0]!r}.")
    if not values or min(values) <= 0:
        raise InputError(
            f"distance thresholds must be positive metres, got {values}.",
            source=source,
            hint="give for example 300, 500 and 1000.",
        )
    return sorted({int(v) for v in values})


def check_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> None:
    """Raise unless ``frame`` is in the working CRS."""
    if frame.crs is None or frame.crs != C.WORKING_CRS:
        raise CRSError(
            f"the {what} are in {frame.crs}, not {C.WORKING_CRS}.",
            source=what,
            hint=f"read them with geoloft's readers or call .to_crs('{C.WORKING_CRS}').",
        )


def cell_size_of(grid: pd.DataFrame) -> int:
    """Return the grid's cell size (metres) from ``attrs`` or the ``cell_size`` column."""
    size = grid.attrs.get("cell_size")
    if size is None and C.CELL_SIZE in grid.columns and len(grid):
        sizes = pd.unique(grid[C.CELL_SIZE])
        if len(sizes) == 1:
            size = sizes[0]
    if size is None:
        raise SchemaError(
            "the grid does not say its cell size.",
            source="grid",
            column=C.CELL_SIZE,
            hint="read the grid with geoloft.read_grid (cell_size= when the file does not say).",
        )
    return int(size)


def cell_points(grid: pd.DataFrame, pop: str) -> tuple[npt.NDArray[np.float64], pd.Series]:
    """Return the cell centres (n x 2, EPSG:25833) and the population (float64, NaN kept)."""
    if not isinstance(grid, pd.DataFrame):
        raise TypeError(f"grid must be a (Geo)DataFrame, got {type(grid).__name__}.")
    missing = [c for c in (C.SSBID, pop) if c not in grid.columns]
    if missing:
        raise SchemaError(
            f"the grid has no column {', '.join(map(repr, missing))}.",
            source="grid",
            column=missing[0],
            hint="read the grid with geoloft.read_grid, or name the population with pop=.",
        )
    if isinstance(grid, gpd.GeoDataFrame):
        check_crs(grid, "grid cells")
    x, y = cell_centres(grid[C.SSBID].to_numpy(dtype=np.int64), cell_size_of(grid))
    values = pd.to_numeric(grid[pop], errors="coerce").astype("float64")
    return np.column_stack([x, y]), values


def facility_points(
    facilities: gpd.GeoDataFrame, id_column: str | None = None
) -> tuple[npt.NDArray[np.float64], pd.Series, int]:
    """Return facility points (m x 2), their ids (text) and how many were not points.

    Lines and polygons stand for their representative point (a point inside).
    """
    if not isinstance(facilities, gpd.GeoDataFrame):
        raise TypeError(
            f"facilities must be a GeoDataFrame, got {type(facilities).__name__}; "
            "read them with geoloft.read_measures."
        )
    check_crs(facilities, "facilities")
    geoms = facilities.geometry.to_numpy()
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        raise GeometryError(
            "facilities without a location.",
            source="facilities",
            rows=[str(i) for i in facilities.index[empty][:5]],
            n_rows=int(empty.sum()),
            hint="drop them, or read the file with geoloft.read_measures, which drops them.",
        )
    kinds = shapely.get_type_id(geoms)
    points = np.where(kinds == 0, geoms, shapely.point_on_surface(geoms))
    xy = shapely.get_coordinates(points)
    column = id_column or (C.MEASURE_ID if C.MEASURE_ID in facilities.columns else None)
    if column is not None and column not in facilities.columns:
        raise SchemaError(
            f"no column {column!r} among the facilities' columns.",
            source="facilities",
            column=column,
            hint=f"columns: {', '.join(map(str, facilities.columns))}.",
        )
    ids = (
        facilities[column].astype(str)
        if column
        else pd.Series([str(i + 1) for i in range(len(facilities))], index=facilities.index)
    )
    return xy, ids.rename(FACILITY_ID), int((kinds != 0).sum())


def select_rows(
    frame: gpd.GeoDataFrame,
    where: Mapping[str, object] | str | None,
    *,
    source: str = "facilities",
) -> gpd.GeoDataFrame:
    """Keep the facilities that ``where`` selects.

    Parameters
    ----------
    frame
        Facilities (or any rows).
    where
        Column -> value (or list of values), as everywhere in geoloft
        (``{"category": "fysisk"}``), or an expression in pandas' query syntax
        (``"laveste_trinn <= 7"``); ``None`` keeps every row.
    source
        The file the rows came from (for error messages).

    Returns
    -------
    geopandas.GeoDataFrame
        The selected rows, index kept.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> f = gpd.GeoDataFrame({"laveste_trinn": [1, 8]}, geometry=[shapely.Point(0, 0)] * 2)
    >>> len(select_rows(f, "laveste_trinn <= 7"))
    1
    """
    from geoloft._where import row_mask

    if where is None or (not isinstance(where, str) and not where):
        return frame
    return frame[row_mask(frame, where, source=source, section="measures")]
