"""Validate delineation input and put it in a fixed order (sorted ids).

Sorting by id makes every later step independent of the row order of the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from pyproj import CRS

from geoloft._validate import Problems, check_unique
from geoloft.columns import AREA_ID, CELL_SIZE, NAME, SSBID, WORKING_CRS
from geoloft.errors import CRSError, GeometryError, SchemaError
from geoloft.grid import cell_polygons, check_ssbids

SOURCE = "delineate"
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Items:
    """The cells or units to delineate, sorted by id.

    ``frame`` holds the input rows in that order (original index kept), so
    ``frame[col].to_numpy()[i]`` belongs to ``ids[i]``.
    """

    cells: bool
    ids: npt.NDArray[np.object_] | npt.NDArray[np.int64]
    frame: pd.DataFrame
    positions: npt.NDArray[np.intp]  # row positions in the input, in id order
    pop: FloatArray  # persons; missing counted as 0 (see n_missing_pop)
    n_missing_pop: int
    cell_size: int | None

    @property
    def n(self) -> int:
        """Number of items."""
        return int(self.ids.size)

    def labels(
        self, which: npt.NDArray[np.bool_] | npt.NDArray[np.int64] | None = None
    ) -> list[str]:
        """Ids as strings (all, or those picked by a mask or positions)."""
        chosen = self.ids if which is None else self.ids[which]
        return [str(i) for i in chosen.tolist()]

    def geometry(self, which: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.object_]:
        """Polygons in EPSG:25833: cell squares from the ids, or the unit geometry.

        With ``which``, only those items get a polygon (cells; others are None).
        """
        if not self.cells:
            return np.asarray(self.frame.geometry.array, dtype=object)
        assert self.cell_size is not None
        if which is None:
            return cell_polygons(self.ids, self.cell_size)
        out = np.full(self.n, None, dtype=object)
        out[which] = cell_polygons(self.ids[which], self.cell_size)
        return out

    def names(self) -> npt.NDArray[np.object_] | None:
        """Names of the items, if the input has a ``name`` column."""
        if NAME not in self.frame.columns:
            return None
        return self.frame[NAME].astype(object).where(self.frame[NAME].notna(), None).to_numpy()

    def column(self, name: str) -> FloatArray:
        """Return a numeric column as float64 (non-numbers become NaN)."""
        return pd.to_numeric(self.frame[name], errors="coerce").to_numpy(dtype=np.float64)

    def align(self, values: npt.ArrayLike | pd.Series, *, what: str) -> npt.NDArray[np.generic]:
        """Return per-row input (array in input row order, or Series on its index) in id order."""
        if isinstance(values, pd.Series | pd.DataFrame):
            missing = self.frame.index.difference(values.index)
            if len(missing):
                raise SchemaError(
                    f"{what} does not cover {len(missing)} rows of the input "
                    f"(e.g. index {missing[0]!r}).",
                    source=what,
                    hint="align it with the input's index, or pass a plain array in row order.",
                )
            return np.asarray(values.loc[self.frame.index])
        array = np.asarray(values)
        if array.shape[0] != self.n:
            raise SchemaError(
                f"{what} has {array.shape[0]} rows; the input has {self.n}.",
                source=what,
                hint="pass one value per input row, in input row order.",
            )
        return array[self.positions]


def _cell_size(data: pd.DataFrame, problems: Problems) -> int | None:
    sizes: npt.NDArray[Any] | list[Any]
    sizes = np.unique(data[CELL_SIZE].dropna()) if CELL_SIZE in data.columns else []
    if len(sizes) == 0 and CELL_SIZE in data.attrs:
        sizes = [data.attrs[CELL_SIZE]]
    if len(sizes) != 1:
        problems.add(
            "cells need exactly one cell size; found "
            + (", ".join(map(str, sizes)) or "none")
            + ".",
            column=CELL_SIZE,
            hint="read the grid with geoloft.read_grid, or split it by cell size.",
            kind=SchemaError,
        )
        return None
    return int(sizes[0])


def _check_crs(data: pd.DataFrame, *, required: bool) -> None:
    crs = data.crs if isinstance(data, gpd.GeoDataFrame) and data.geometry.name in data else None
    if crs is None:
        if required:
            raise CRSError(
                "the units have no geometry with a CRS.",
                source=SOURCE,
                hint="pass a GeoDataFrame in EPSG:25833 (read it with geoloft.read_boundaries).",
            )
        return
    if CRS.from_user_input(crs) != CRS.from_user_input(WORKING_CRS):
        raise CRSError(
            f"the input is in {CRS.from_user_input(crs).to_string()}, not {WORKING_CRS}.",
            source=SOURCE,
            hint="reproject with .to_crs(25833) (geoloft's readers do this on reading).",
        )


def _check_units(data: gpd.GeoDataFrame, problems: Problems) -> None:
    geoms = np.asarray(data.geometry.array, dtype=object)
    kinds = shapely.get_type_id(geoms)
    bad = np.flatnonzero(
        shapely.is_missing(geoms) | shapely.is_empty(geoms) | ~np.isin(kinds, [3, 6])
    )
    if bad.size:
        problems.add(
            "units need a polygon geometry; these are empty or not polygons.",
            column=data.geometry.name,
            rows=data[AREA_ID].iloc[bad].astype(str).tolist(),
            n_rows=bad.size,
            hint="repair or drop them (geoloft.read_boundaries does).",
            kind=GeometryError,
        )
    invalid = np.flatnonzero(~shapely.is_valid(geoms) & ~np.isin(np.arange(geoms.size), bad))
    if invalid.size:
        problems.add(
            "invalid polygons.",
            column=data.geometry.name,
            rows=data[AREA_ID].iloc[invalid].astype(str).tolist(),
            n_rows=invalid.size,
            hint="repair them with shapely.make_valid or read with geoloft.read_boundaries.",
            kind=GeometryError,
        )


def _check_columns(
    data: pd.DataFrame, problems: Problems, *, pop: str, extra: Sequence[str]
) -> None:
    for name in (pop, *extra):
        if name not in data.columns:
            problems.add(
                f"no such column; the input has {', '.join(map(str, data.columns))}.",
                column=name,
                hint="name an existing column.",
                kind=SchemaError,
            )
    if pop in data.columns:
        values = pd.to_numeric(data[pop], errors="coerce")
        bad = np.flatnonzero(
            (values.isna() & data[pop].notna()).to_numpy() | (values < 0).to_numpy()
        )
        if bad.size:
            problems.add(
                "population must be a count of persons (a number >= 0).",
                column=pop,
                rows=(bad + 1).tolist(),
                n_rows=bad.size,
                hint="fix those rows or name the right population column with pop=.",
                kind=SchemaError,
            )


def prepare(
    data: pd.DataFrame,
    *,
    pop: str,
    columns: Sequence[str] = (),
) -> Items:
    """Validate ``data`` (cells or units) and return its rows sorted by id.

    Cells are recognised by an ``ssbid`` column, units by ``area_id``.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a (Geo)DataFrame, not {type(data).__name__}")
    cells = SSBID in data.columns
    if not cells and AREA_ID not in data.columns:
        raise SchemaError(
            f"the input has neither '{SSBID}' (grid cells) nor '{AREA_ID}' (units).",
            source=SOURCE,
            hint="pass a grid from geoloft.read_grid or areas from geoloft.read_boundaries.",
        )
    _check_crs(data, required=not cells)
    problems = Problems(source=SOURCE, error=SchemaError)
    _check_columns(data, problems, pop=pop, extra=list(dict.fromkeys(columns)))
    id_column = SSBID if cells else AREA_ID
    size = _cell_size(data, problems) if cells else None
    if not cells:
        _check_units(data, problems)
    problems.raise_if_any()
    check_unique(data[id_column], source=SOURCE, column=id_column)
    if cells:
        assert size is not None
        ids = check_ssbids(data[id_column].to_numpy(), size, source=SOURCE, column=SSBID)
    else:
        ids = data[id_column].astype(str).to_numpy(dtype=object)
    positions = np.argsort(ids, kind="stable")
    frame = data.iloc[positions]
    population = pd.to_numeric(frame[pop], errors="coerce").to_numpy(dtype=np.float64)
    missing = int(np.isnan(population).sum())
    return Items(
        cells=cells,
        ids=ids[positions],
        frame=frame,
        positions=positions,
        pop=np.nan_to_num(population, nan=0.0),
        n_missing_pop=missing,
        cell_size=size,
    )
