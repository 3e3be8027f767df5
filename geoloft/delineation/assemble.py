"""Build the output frame of :func:`~geoloft.delineation` from area labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from geoloft.columns import (
    AREA_KM2,
    INDEX,
    MEMBERS,
    NAME,
    POP,
    WORKING_CRS,
    ZONE_ID,
)
from geoloft.delineation import output as out
from geoloft.delineation import shape
from geoloft.delineation.inputs import Items
from geoloft.delineation.options import Options
from geoloft.delineation.regions import Log, sizes
from geoloft.errors import SchemaError
from geoloft.report import StageReport, attach_report, source_of

if TYPE_CHECKING:
    from geoloft.delineation.core import Locks
    from geoloft.delineation.select import Selection

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass
class Result:
    """Facts from partitioning that the output records."""

    log: Log
    added: BoolArray
    over_ceiling: BoolArray  # one node of each part left over the ceiling


def _order(labels: IntArray, priority: FloatArray, pop: FloatArray) -> IntArray:
    """Renumber areas from the most in need (priority, then population, then first member)."""
    k = priority.size
    key = np.where(np.isnan(priority), -np.inf, priority)
    order = np.lexsort((np.arange(k), -pop, -key))
    new = np.empty(k, dtype=np.int64)
    new[order] = np.arange(k)
    out_labels = labels.copy()
    out_labels[labels >= 0] = new[labels[labels >= 0]]
    return out_labels


def _geometry(
    items: Items, members: list[IntArray], settings: Mapping[str, Any]
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Return the outline and the settlement outline of each area."""
    mask = settings.get("clip")
    grid = settings.get("grid")
    if items.cells:
        assert items.cell_size is not None
        size = items.cell_size
        drawn = shape.shape_cells(
            shape.cell_outline(cast(npt.NDArray[np.int64], items.ids), size, members),  # int64 ids
            hole_area=_default(settings.get("fill_holes"), 4.0 * size * size),
            distance=_default(settings.get("smooth"), size / 2.0),
            mask=mask,
        )
        return drawn, drawn.copy()
    drawn = shape.clip_to(shape.unit_outline(items.geometry(), members), mask)
    if grid is None:
        return drawn, np.full(len(members), None, dtype=object)
    cells, size = grid
    lived = shape.settlement(
        drawn,
        cells,
        size,
        hole_area=_default(settings.get("fill_holes"), 4.0 * size * size),
        distance=_default(settings.get("smooth"), size / 2.0),
    )
    return drawn, lived


def _default(value: float | None, fallback: float) -> float:
    return fallback if value is None else float(value)


def _names(items: Items, members: list[IntArray]) -> list[str]:
    names = items.names()
    if names is None and items.cells:
        return [f"Område {i + 1}" for i in range(len(members))]
    made = []
    for m in members:  # loop over areas
        ids = items.labels(m)
        picked = (
            ids
            if names is None
            else [i if pd.isna(n) else n for i, n in zip(ids, names[m], strict=True)]
        )
        made.append(out.area_name(picked, items.pop[m].tolist()))
    return out.unique_names(made)


def _stability(
    items: Items, replicates: Any, labels: IntArray, members: list[IntArray], k: int
) -> tuple[FloatArray, list[str]]:
    if replicates is None:
        return np.full(k, np.nan), [""] * k
    matrix = np.asarray(items.align(replicates, what="replicates"))
    if matrix.ndim != 2 or matrix.shape[1] == 0:
        raise SchemaError(
            f"replicates must be rows x replicates; got shape {matrix.shape}.",
            source="replicates",
            hint="pass one column per replicate, one row per input row.",
        )
    share = np.asarray(pd.DataFrame(matrix).astype(float).fillna(0.0).mean(axis=1))
    area = out.weighted_mean(share, items.pop, labels, k)
    return area, [out.SEPARATOR.join(f"{v:.3f}" for v in share[m]) for m in members]


def _flags(items: Items, labels: IntArray, result: Result, options: Options, k: int) -> list[str]:
    over = np.zeros(k, dtype=bool)
    marked = labels[result.over_ceiling]
    over[marked[marked >= 0]] = True
    small = sizes(labels, items.pop)[:k] < options.min_pop
    return [
        ";".join(f for f, on in (("under_floor_locked", s), ("over_ceiling", o)) if on)
        for s, o in zip(small.tolist(), over.tolist(), strict=True)
    ]


def _index(items: Items, labels: IntArray, k: int, table: pd.DataFrame) -> FloatArray:
    if INDEX in table.columns:
        return table[INDEX].to_numpy()
    if INDEX in items.frame.columns:
        return out.weighted_mean(items.column(INDEX), items.pop, labels, k)
    return np.full(k, np.nan)


def assemble(
    items: Items,
    labels: IntArray,
    result: Result,
    *,
    selection: Selection,
    locks: Locks,
    options: Options,
    settings: Mapping[str, Any],
    counts: Mapping[str, Sequence[str]] | None,
    replicates: Any,
) -> gpd.GeoDataFrame:
    """Return one row per area with every output column and the stage report."""
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    population = sizes(labels, items.pop)[:k] if k else np.zeros(0)
    priority = out.weighted_mean(selection.priority, items.pop, labels, k)
    labels = _order(labels, priority, population)
    population = sizes(labels, items.pop)[:k] if k else np.zeros(0)
    members = shape.groups(labels, k)
    drawn, lived = _geometry(items, members, settings)
    table = out.rates(items, labels, k, out.indicators(counts))
    stability, member_stability = _stability(items, replicates, labels, members, k)
    frame = pd.DataFrame(
        {
            ZONE_ID: out.zone_ids(k),
            NAME: _names(items, members),
            MEMBERS: out.join_ids(items.ids, members),
            out.N_MEMBERS: np.array([m.size for m in members], dtype=np.int64),
            POP: population,
            AREA_KM2: np.asarray([g.area for g in drawn], dtype=np.float64) / 1e6,
        }
    )
    for column in table.columns:
        if column != INDEX:
            frame[column] = table[column].to_numpy()
    frame[INDEX] = _index(items, labels, k, table)
    if out.CRITERIA_MET not in frame:
        frame[out.CRITERIA_MET] = np.nan
        frame[out.N_CRITERIA] = np.nan
    frame[out.COMPACTNESS] = shape.polsby_popper(drawn) if k else np.zeros(0)
    frame[out.STABILITY] = stability
    frame[out.MEMBER_STABILITY] = member_stability
    frame[out.LOCKED_IN] = out.join_ids(items.ids, members, locks.keep)
    frame[out.ADDED] = out.join_ids(items.ids, members, result.added)
    frame[out.FLAGS] = _flags(items, labels, result, options, k)
    frame[out.SETTLEMENT] = gpd.GeoSeries(lived, crs=WORKING_CRS)
    areas = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(drawn, crs=WORKING_CRS), crs=WORKING_CRS)
    return attach_report(areas, _report(items, result.log, k))


def _report(items: Items, log: Log, k: int) -> StageReport:
    return StageReport(
        stage="delineate",
        source=source_of(items.frame, ""),
        rows_in=log.candidates,
        rows_out=k,
        dropped=dict(log.dropped),
        notes=dict(log.notes),
    )
