"""The access figures (Nærmiljø) as rows of the run's disclosure model.

The access step publishes counts of persons per area (``access_areas``), per
intervention area (``access_zones``) and per proposed site (``access_sites``), and
study-area totals in ``run.json``. Each is a sum of grid cells' persons ``p_c``, so
each is one row over the grid's ``pop_tot`` counts, with ``d_c`` the cell's published
distance to the nearest facility (``dist_nearest`` of ``access_cells``):

======================  =============================================================
figure                  row
======================  =============================================================
``pop_tot``             ``Σ p_c`` over the area's cells
``pop_within_<t>``      ``Σ p_c`` over its cells with ``d_c ≤ t``
beyond ``<t>``          ``Σ p_c`` over its cells with ``d_c > t`` (``pop_tot`` less
                        ``pop_within_<t>``: not a column, but what the two tell)
``pop_unreachable``     ``Σ p_c`` over its cells that reach no facility (network)
``mean_dist``           ``Σ (d_c − mean_dist) · p_c = 0`` over its cells reaching one
``pop_added``           ``Σ p_c`` over the cells a new site brings within reach
``pop_served``          ``Σ p_c`` over the cells for which it becomes the nearest
``persons [within t]``  the same over every cell (``run.json``, stage ``access``)
======================  =============================================================

Counts carry their stated rounding (half of it either side); the mean distance is
exact. Which area, intervention area and site count a cell is written in
``access_cells`` (:data:`CELL_AREA`, :data:`CELL_ZONE`, :data:`SITE_ADDED`,
:data:`SITE_SERVED`), so that ``geoloft audit`` rebuilds the same rows from what the run
wrote. The column names are those of :mod:`geoloft.accessibility` (a later stage, not
imported here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from geoloft import columns as C

__all__ = [
    "ACCESS_LAYERS",
    "CELL_AREA",
    "CELL_ZONE",
    "SITE_ADDED",
    "SITE_SERVED",
    "AccessFigures",
    "access_figures",
    "hold_means",
    "release_means",
    "withhold_access",
]

FloatArray = npt.NDArray[Any]

#: Layers of ``geoloft.gpkg`` written by the access step.
ACCESS_LAYERS: Final = ("access_cells", "access_areas", "access_zones", "access_sites")
#: ``access_cells``: the area whose access figures count the cell (comma-joined if several).
CELL_AREA: Final = "area_id"
#: ``access_cells``: the intervention area whose access figures count the cell.
CELL_ZONE: Final = "zone_id"
#: ``access_cells``: the new site that brings the cell within reach.
SITE_ADDED: Final = "site_added"
#: ``access_cells``: the new site that becomes the cell's nearest facility.
SITE_SERVED: Final = "site_served"
#: The run.json access stage key of the study-area total.
PERSONS: Final = "persons"

_DIST = "dist_nearest"
_MEAN = "mean_dist"
_UNREACHABLE = "pop_unreachable"
_SITE_ID = "site_id"
_COUNTS = {SITE_ADDED: "pop_added", SITE_SERVED: "pop_served"}
_WITHIN = re.compile(r"^pop_within_(\d+)$")
#: Columns that tell the area's population (a share with its count, a rate per 1 000).
_OF_TOTAL = ("share_within_", "facilities_per_1000")


def _within(t: int) -> str:
    return f"pop_within_{t}"


def _share(t: int) -> str:
    return f"share_within_{t}"


def _beyond(t: int) -> str:
    return f"beyond_{t}"


@dataclass(frozen=True)
class AccessFigures:
    """Rows of one kind of access figure, ready for the model (kind ``access``)."""

    matrix: sparse.csr_matrix
    f: FloatArray
    labels: list[str]
    tol: FloatArray | float
    target: bool | npt.NDArray[np.bool_]
    layer: str
    column: str
    rows: npt.NDArray[np.int64] | None


def _numbers(frame: pd.DataFrame, column: str) -> FloatArray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)


def _counts_someone(matrix: sparse.csr_matrix) -> npt.NDArray[np.bool_]:
    """Per row: sums at least one cell (a sum over no cell is 0 for everyone to see)."""
    return np.asarray(np.diff(matrix.indptr) > 0)


def thresholds_of(layers: Mapping[str, pd.DataFrame], notes: Mapping[str, Any] | None) -> list[int]:
    """Return the distance thresholds (metres): from the run record, else from the columns."""
    saved = (notes or {}).get("thresholds_m")
    if saved:
        return sorted(int(t) for t in saved)
    found: set[int] = set()
    for name in ("access_areas", "access_zones"):
        frame = layers.get(name)
        if frame is not None:
            found |= {int(m.group(1)) for c in frame.columns if (m := _WITHIN.match(str(c)))}
    return sorted(found)


def _cell_matrix(cells: pd.DataFrame, cell_vars: pd.Series, n_vars: int) -> sparse.csr_matrix:
    """Rows: access cells; columns: variables; 1 at the cell's ``pop_tot``."""
    ids = pd.to_numeric(cells[C.SSBID], errors="coerce").to_numpy(dtype=np.float64)
    var = cell_vars.reindex(ids).to_numpy(dtype=np.float64)
    ok = np.flatnonzero(~np.isnan(var))
    return sparse.csr_matrix(
        (np.ones(ok.size), (ok, var[ok].astype(np.int64))), shape=(len(cells), n_vars)
    )


def _membership(cells: pd.DataFrame, column: str, ids: Sequence[str]) -> sparse.csr_matrix:
    """Rows: ``ids``; columns: cells; 1 where the cell's ``column`` names the id."""
    pos = pd.Series(np.arange(len(ids)), index=pd.Index([str(i) for i in ids]))
    pos = pos[~pos.index.duplicated()]
    if column not in cells.columns:
        return sparse.csr_matrix((len(ids), len(cells)))
    names = cells[column].astype("string").fillna("").str.split(",").explode()
    names = names.str.strip()
    cell = np.asarray(names.index.to_numpy(), dtype=np.int64)
    hit = pos.reindex(names.to_numpy(dtype=object)).to_numpy(dtype=np.float64)
    ok = ~np.isnan(hit)
    return sparse.csr_matrix(
        (np.ones(int(ok.sum())), (hit[ok].astype(np.int64), cell[ok])),
        shape=(len(ids), len(cells)),
    )


def _half(values: FloatArray, rounding: float | None) -> float:
    """Half-width of the stated rounding of published counts (persons)."""
    from geoloft.disclosure.model import EXACT, _rounding

    if rounding is None:
        return _rounding(values)
    return max(rounding / 2, EXACT)


def _area_figures(
    frame: pd.DataFrame,
    name: str,
    cells: pd.DataFrame,
    cell_mat: sparse.csr_matrix,
    thresholds: Sequence[int],
    rounding: float | None,
    label: str,
) -> list[AccessFigures]:
    """Rows of one area layer (``access_areas`` or ``access_zones``)."""
    ids = frame[C.AREA_ID].astype(str).tolist()
    member = _membership(cells, CELL_AREA if name == "access_areas" else CELL_ZONE, ids)
    dist = _numbers(cells, _DIST) if _DIST in cells.columns else np.full(len(cells), np.nan)
    reach = np.isfinite(dist)
    at = np.arange(len(frame), dtype=np.int64)
    what = "access area" if name == "access_areas" else "access zone"
    out: list[AccessFigures] = []

    def add(mask: FloatArray | None, f: FloatArray, column: str, tol: FloatArray | float) -> None:
        sel = cell_mat if mask is None else sparse.diags(mask.astype(np.float64)) @ cell_mat
        mat = (member @ sel).tocsr()
        out.append(
            AccessFigures(
                matrix=mat,
                f=f,
                labels=[f"{label}{what} {a} {column}" for a in ids],
                tol=tol,
                target=_counts_someone(mat),
                layer=name,
                column=column,
                rows=at,
            )
        )

    total = _numbers(frame, C.POP_TOT) if C.POP_TOT in frame.columns else None
    if total is not None:
        add(None, total, C.POP_TOT, _half(total, rounding))
    for t in thresholds:
        if _within(t) not in frame.columns:
            continue
        within = _numbers(frame, _within(t))
        half = _half(within, rounding)
        add(dist <= t, within, _within(t), half)
        if total is not None:
            add(~(dist <= t), total - within, _beyond(t), half + _half(total, rounding))
    if _UNREACHABLE in frame.columns:
        lost = _numbers(frame, _UNREACHABLE)
        add(~reach, lost, _UNREACHABLE, _half(lost, rounding))
    if _MEAN in frame.columns:
        out.append(_mean_rows(frame, member, cell_mat, dist, name, label, what))
    return out


def _mean_rows(
    frame: pd.DataFrame,
    member: sparse.csr_matrix,
    cell_mat: sparse.csr_matrix,
    dist: FloatArray,
    name: str,
    label: str,
    what: str,
) -> AccessFigures:
    """``Σ (d_c − mean) p_c = 0`` per area, over its cells that reach a facility.

    Each row is scaled to coefficients of at most 1; a withheld mean is a hidden row.
    """
    reach = np.isfinite(dist)
    mean = _numbers(frame, _MEAN)
    weighted = member @ sparse.diags(np.where(reach, dist, 0.0)) @ cell_mat
    reached = member @ sparse.diags(reach.astype(np.float64)) @ cell_mat
    mat = (weighted - sparse.diags(np.nan_to_num(mean)) @ reached).tocsr()
    scale = np.asarray(abs(mat).max(axis=1).todense()).ravel()
    scale = np.where(scale > 0, scale, 1.0)
    mat = (sparse.diags(1.0 / scale) @ mat).tocsr()
    tol = 1e-7 * np.maximum(1.0, np.asarray(abs(mat).sum(axis=1)).ravel())
    ids = frame[C.AREA_ID].astype(str).tolist()
    return AccessFigures(
        matrix=mat,
        f=np.where(np.isnan(mean), np.nan, 0.0),
        labels=[f"{label}{what} {a} {_MEAN}" for a in ids],
        tol=tol,
        target=False,
        layer=name,
        column=_MEAN,
        rows=np.arange(len(frame), dtype=np.int64),
    )


def _site_figures(
    sites: pd.DataFrame,
    cells: pd.DataFrame,
    cell_mat: sparse.csr_matrix,
    rounding: float | None,
    label: str,
) -> list[AccessFigures]:
    """``pop_added`` and ``pop_served`` of each proposed site."""
    ids = sites[_SITE_ID].astype(str).tolist()
    out = []
    for cell_col, column in _COUNTS.items():
        if column not in sites.columns:
            continue
        values = _numbers(sites, column)
        mat = (_membership(cells, cell_col, ids) @ cell_mat).tocsr()
        out.append(
            AccessFigures(
                matrix=mat,
                f=values,
                labels=[f"{label}access site {s} {column}" for s in ids],
                tol=_half(values, rounding),
                target=_counts_someone(mat),
                layer="access_sites",
                column=column,
                rows=np.arange(len(sites), dtype=np.int64),
            )
        )
    return out


def _total_figures(
    notes: Mapping[str, Any],
    cells: pd.DataFrame,
    cell_mat: sparse.csr_matrix,
    thresholds: Sequence[int],
    rounding: float | None,
    label: str,
) -> list[AccessFigures]:
    """Return the run record's totals: persons, and persons within each threshold."""
    dist = _numbers(cells, _DIST) if _DIST in cells.columns else np.full(len(cells), np.nan)
    keys = [(PERSONS, None)] + [(f"persons within {t} m", t) for t in thresholds]
    out = []
    for key, t in keys:
        if key not in notes:
            continue
        value = pd.to_numeric(pd.Series([notes[key]], dtype=object), errors="coerce")
        f = value.to_numpy(dtype=np.float64)
        mask = np.ones(len(cells)) if t is None else (dist <= t).astype(np.float64)
        out.append(
            AccessFigures(
                matrix=(sparse.csr_matrix(mask[None, :]) @ cell_mat).tocsr(),
                f=f,
                labels=[f"{label}access {key} (run.json)"],
                tol=_half(np.repeat(f, 3), rounding),  # one value: its rounding as stated
                target=True,
                layer="run.json",
                column=key,
                rows=None,
            )
        )
    return out


def access_figures(
    layers: Mapping[str, pd.DataFrame],
    cell_vars: pd.Series,
    n_vars: int,
    *,
    notes: Mapping[str, Any] | None = None,
    rounding: float | None = None,
    label: str = "",
) -> list[AccessFigures]:
    """Return the rows of every access figure in ``layers`` (and the run record's totals).

    Parameters
    ----------
    layers
        ``access_cells`` (``ssbid``, ``dist_nearest`` and the cells' area, zone and
        site columns) and any of ``access_areas``, ``access_zones``, ``access_sites``,
        with their values: true or as published (NaN: withheld).
    cell_vars
        Position of each grid cell's ``pop_tot`` variable, indexed by ``ssbid``.
    n_vars
        Number of variables of the model.
    notes
        The access stage's notes of the run record (``thresholds_m``, ``persons``,
        ``persons within <t> m``); ``None``: no totals.
    rounding
        Stated rounding of the counts (persons); ``None``: taken from the values.
    label
        Prefix of the figures' labels.

    Returns
    -------
    list of AccessFigures
        One entry per kind of figure and layer; empty without ``access_cells``.
    """
    cells = layers.get("access_cells")
    if cells is None or not len(cells):
        return []
    cells = pd.DataFrame(cells).reset_index(drop=True)
    cell_mat = _cell_matrix(cells, cell_vars, n_vars)
    thresholds = thresholds_of(layers, notes)
    out: list[AccessFigures] = []
    for name in ("access_areas", "access_zones"):
        frame = layers.get(name)
        if frame is not None and len(frame) and C.AREA_ID in frame.columns:
            out += _area_figures(frame, name, cells, cell_mat, thresholds, rounding, label)
    sites = layers.get("access_sites")
    if sites is not None and len(sites) and _SITE_ID in sites.columns:
        out += _site_figures(sites, cells, cell_mat, rounding, label)
    if notes:
        out += _total_figures(notes, cells, cell_mat, thresholds, rounding, label)
    return out


def hold_means(system: Any) -> npt.NDArray[np.int64]:
    """Withhold every published mean distance for now; return their rows.

    Secondary suppression then chooses the hidden counts without them: a mean distance
    is one exact equation over its area's cells and costs no person to withhold, so it
    must not make protection hide more cells (:func:`release_means` publishes back
    those that disclose nothing).
    """
    held = np.flatnonzero(
        (system.fig_kind == "access") & (system.fig_column == _MEAN) & ~system.fig_hidden
    )
    system.fig_hidden[held] = True
    return held


def release_means(
    system: Any, held: npt.NDArray[np.int64], *, threshold: int, width: float, audit: bool
) -> int:
    """Publish back the held mean distances that narrow no hidden count; return how many.

    First the row test of secondary suppression: a mean goes on being withheld where
    the hidden counts in it that may be small hold too few persons beside them to
    move by ``width``. Then, with ``audit``, the audit's linear programmes over the
    whole model: the held means binding at a pinned count are withheld, until none is
    pinned (or, if a count stays pinned without one, every held mean is withheld).
    """
    if not held.size:
        return 0
    from geoloft.disclosure.audit import intervals

    abs_a = abs(system.A[held]).tocsr()
    x = np.nan_to_num(system.x)
    slack = abs_a @ (system.hidden * x) + 2 * system.tol[held]
    small = (system.primary & system.hidden) * (x + width)
    need = abs_a.multiply(small[None, :]).max(axis=1).toarray().ravel()
    system.fig_hidden[held[slack >= need - 1e-9]] = False
    if audit:
        start = None if np.isnan(system.x[system.hidden]).any() else system.x
        for _ in range(held.size + 1):
            found = intervals(system, threshold=threshold, width=width, start=start)
            pinned = found[found["pinned"]]
            if pinned.empty:
                break
            binding = {int(r) for rows in pinned["binding"] for r in rows}
            culprits = [r for r in held if r in binding and not system.fig_hidden[r]]
            if not culprits:
                system.fig_hidden[held] = True
                break
            system.fig_hidden[culprits] = True
    return int((~system.fig_hidden[held]).sum())


def _blank(frame: gpd.GeoDataFrame, rows: npt.NDArray[np.int64], columns: Sequence[str]) -> None:
    cols = [c for c in columns if c in frame.columns]
    if not cols or not rows.size:
        return
    for col in cols:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        frame.loc[frame.index[rows], col] = np.nan


def _goes_with(column: str, frame: pd.DataFrame) -> list[str]:
    """Return the columns withheld with ``column``: those that would give it back."""
    if column == C.POP_TOT:  # a share with its count, or facilities per 1 000, tell the total
        return [column, *(c for c in frame.columns if str(c).startswith(_OF_TOTAL))]
    if column.startswith("beyond_"):
        t = int(column.removeprefix("beyond_"))
        return [_within(t), _share(t)]
    if (m := _WITHIN.match(column)) is not None:
        return [column, _share(int(m.group(1)))]
    return [column]


def withhold_access(system: Any, layers: dict[str, gpd.GeoDataFrame]) -> list[str]:
    """Withhold the access figures the model hides, in place on ``layers`` (copies).

    A withheld count takes its share along; a withheld population takes the shares and
    facilities per 1 000 residents (each gives it back with a published count); a
    withheld remainder beyond a threshold takes the count within it.

    Returns
    -------
    list of str
        The run record's totals withheld (keys of the access stage's notes).
    """
    kind = system.fig_kind == "access"
    hidden = kind & system.fig_hidden
    for name in ACCESS_LAYERS[1:]:
        frame = layers.get(name)
        if frame is None:
            continue
        sel = hidden & (system.fig_layer == name) & (system.fig_row >= 0)
        for column in np.unique(system.fig_column[sel]):
            rows = np.unique(system.fig_row[sel & (system.fig_column == column)])
            _blank(frame, rows.astype(np.int64), _goes_with(str(column), frame))
    totals = hidden & (system.fig_layer == "run.json")
    return [str(c) for c in system.fig_column[totals]]
