"""Check the options of :func:`~geoloft.delineation` before any work starts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS

from geoloft._validate import Problems
from geoloft.columns import CELL_SIZE, POP_TOT, SSBID, WORKING_CRS
from geoloft.delineation.inputs import Items
from geoloft.errors import MAX_LISTED, CRSError, InputError, SchemaError

BoolArray = npt.NDArray[np.bool_]
CONTIGUITY = ("rook", "queen", "edge")
ISLANDS = ("own", "nearest", "drop")


@dataclass(frozen=True)
class Options:
    """Validated delineation options (populations in persons, lengths in metres)."""

    contiguity: str
    min_edge: float
    islands: str
    island_distance: float
    min_pop: float
    max_pop: float
    max_areas: int | None


def _number(problems: Problems, name: str, value: object, *, low: float = 0.0) -> None:
    if value is None:
        return
    ok = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if not ok or not np.isfinite(float(value)) or float(value) < low:  # type: ignore[arg-type]
        problems.add(f"{name} must be a number >= {low:g}, not {value!r}.", hint=f"fix {name}=.")


def check_options(
    *,
    contiguity: str,
    min_edge: float,
    islands: str,
    island_distance: float | None,
    min_pop: float | None,
    max_pop: float | None,
    max_areas: int | None,
    fill_holes: float | None = None,
    smooth: float | None = None,
) -> Options:
    """Return the options, or raise one :class:`InputError` listing every problem."""
    problems = Problems(source="delineate")
    if contiguity not in CONTIGUITY:
        problems.add(f"contiguity must be one of {', '.join(CONTIGUITY)}, not {contiguity!r}.")
    if islands not in ISLANDS:
        problems.add(f"islands must be one of {', '.join(ISLANDS)}, not {islands!r}.")
    if islands == "nearest" and island_distance is None:
        problems.add("islands='nearest' needs island_distance= (metres).", hint="e.g. 500.")
    for name, value in (
        ("min_edge", min_edge),
        ("island_distance", island_distance),
        ("min_pop", min_pop),
        ("max_pop", max_pop),
        ("fill_holes", fill_holes),
        ("smooth", smooth),
    ):
        _number(problems, name, value)
    if max_areas is not None and (not isinstance(max_areas, int) or max_areas < 1):
        problems.add(f"max_areas must be a whole number >= 1, not {max_areas!r}.")
    if min_pop is not None and max_pop is not None and not problems and max_pop < min_pop:
        problems.add(
            f"max_pop ({max_pop:g}) is below min_pop ({min_pop:g}).",
            hint="raise max_pop or lower min_pop.",
        )
    problems.raise_if_any()
    return Options(
        contiguity=contiguity,
        min_edge=float(min_edge),
        islands=islands,
        island_distance=float(island_distance or 0.0),
        min_pop=float(min_pop or 0.0),
        max_pop=float(max_pop) if max_pop is not None else np.inf,
        max_areas=max_areas,
    )


def lock_mask(items: Items, ids: Iterable[object] | None, *, what: str) -> npt.NDArray[np.bool_]:
    """Return which items are in ``ids``; raise naming ids that are not in the input."""
    mask = np.zeros(items.n, dtype=bool)
    if ids is None:
        return mask
    if isinstance(ids, str | int):
        ids = [ids]
    text = pd.Index([str(i).strip() for i in ids]).unique()
    wanted: pd.Index
    if items.cells:
        number = pd.to_numeric(pd.Series(text), errors="coerce")
        wanted = pd.Index(number.where(number.notna(), -1).astype(np.int64))
    else:
        wanted = text
    known = pd.Index(items.ids)
    where = known.get_indexer(wanted)
    unknown = text[where < 0]
    if len(unknown):
        shown = ", ".join(map(str, list(unknown)[:MAX_LISTED]))
        raise SchemaError(
            f"{len(unknown)} id(s) not in the input: {shown}.",
            source=what,
            hint="give ids from the input's id column (area_id or ssbid).",
        )
    mask[where] = True
    return mask


def boundary_codes(items: Items, within: str | None) -> npt.NDArray[np.int64] | None:
    """Return a code per item for the boundary never crossed (missing values form one group)."""
    if within is None:
        return None
    codes, _ = pd.factorize(items.frame[within].astype(object).fillna("\0missing"), sort=True)
    return codes.astype(np.int64)


def clip_geometry(clip: gpd.GeoDataFrame | gpd.GeoSeries | None) -> shapely.Geometry | None:
    """Return the union of ``clip`` (land, units) after checking its CRS."""
    if clip is None:
        return None
    if not isinstance(clip, gpd.GeoDataFrame | gpd.GeoSeries):
        raise TypeError(f"clip must be a GeoDataFrame or GeoSeries, not {type(clip).__name__}")
    if clip.crs is None or CRS.from_user_input(clip.crs) != CRS.from_user_input(WORKING_CRS):
        raise CRSError(
            f"clip is in {clip.crs or 'no CRS'}, not {WORKING_CRS}.",
            source="clip",
            hint="reproject with .to_crs(25833).",
        )
    mask = shapely.union_all(np.asarray(clip.geometry.array, dtype=object))
    if mask.is_empty:
        raise InputError(
            "clip holds no polygons.", source="clip", hint="pass land or unit polygons."
        )
    return mask


def settlement_cells(
    grid: pd.DataFrame | None, pop: str
) -> tuple[npt.NDArray[np.int64], int] | None:
    """Return the populated cell ids and the cell size of the settlement grid (or None)."""
    if grid is None:
        return None
    if SSBID not in grid.columns:
        raise SchemaError(
            f"the settlement grid has no '{SSBID}' column.",
            source="grid",
            hint="pass cells from geoloft.read_grid.",
        )
    size = np.unique(grid[CELL_SIZE]) if CELL_SIZE in grid.columns else [grid.attrs.get(CELL_SIZE)]
    if len(size) != 1 or size[0] is None:
        raise SchemaError(
            "the settlement grid needs exactly one cell size.",
            source="grid",
            column=CELL_SIZE,
            hint="pass cells of one size from geoloft.read_grid.",
        )
    column = pop if pop in grid.columns else POP_TOT
    values = pd.to_numeric(grid[column], errors="coerce") if column in grid.columns else None
    populated = np.ones(len(grid), dtype=bool) if values is None else ~(values <= 0).to_numpy()
    return grid[SSBID].to_numpy(dtype=np.int64)[populated], int(size[0])


@dataclass(frozen=True)
class Locks:
    """Ids a planner forces in (``keep``) or out (``ban``)."""

    keep: BoolArray
    ban: BoolArray


def locks_from(
    items: Items, lock_in: Iterable[object] | None, lock_out: Iterable[object] | None
) -> Locks:
    """Return the locks, checked: known ids, none both in and out."""
    keep = lock_mask(items, lock_in, what="lock_in")
    ban = lock_mask(items, lock_out, what="lock_out")
    both = np.flatnonzero(keep & ban)
    if both.size:
        raise InputError(
            "ids are both locked in and locked out.",
            source="lock_in/lock_out",
            rows=items.labels(both),
            n_rows=both.size,
            hint="remove them from one of the two lists.",
        )
    return Locks(keep, ban)
