"""One linear model of everything a run publishes.

Every published count is a linear function of a few *base counts* (the variables):
the persons in each grid cell (and its sub-groups), and each area's indicator numerators
and denominators. A published figure is one row of a sparse matrix ``A`` over them:

===================  =============================================================
figure               row
===================  =============================================================
grid cell            the variable itself
area population      ``Σ share(cell, area) · cell``, shares exact from geometry
zone population      the sum of its member areas' rows
zone rate            ``Σ n − (rate / scale) · Σ d = 0`` over its members
reference rate       the same over every area (``run.json``)
study-area totals    ``Σ cells``, ``Σ coverage · cells``, ``Σ (1 − coverage) · cells``
sub-groups           ``pop_tot − pop_mal − pop_fem = 0`` per cell (public fact)
numerator ≤ denom.   ``d − n ≥ 0`` (public fact)
coarser grids        ``Σ cells in each 1 km / 5 km block`` (published by SSB, or
                     by another run: :func:`link_grids` joins the runs' variables)
access counts        ``Σ cells`` within reach, beyond it, added by a new site ...
                     (:mod:`geoloft.disclosure.access_rows`)
===================  =============================================================

The same builder serves protection (true values known) and the audit (only what a run
wrote: hidden values are missing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import sparse

from geoloft import columns as C

__all__ = ["Rate", "System", "build_system", "combine", "link_grids"]

# numpy's stubs do not follow dtypes through concatenate and boolean masks: plain arrays
FloatArray = npt.NDArray[Any]
BoolArray = npt.NDArray[Any]
IntArray = npt.NDArray[Any]
ObjArray = npt.NDArray[Any]

#: Count columns of a grid that enter the model (persons).
GRID_COUNTS = (C.POP_TOT, C.POP_MAL, C.POP_FEM)
#: Tolerance (persons) of a figure published at full precision.
EXACT = 1e-6
#: Coarser SSB grid sizes (metres) whose blocks count as published elsewhere.
BLOCK_SIZES = (1000, 5000)


@dataclass(frozen=True)
class Rate:
    """An indicator's counts and rate: ``rate = scale · numerator / denominator``."""

    id: str
    numerator: str
    denominator: str
    scale: float = 100.0


@dataclass
class System:
    """Variables (base counts) and published figures (rows of ``A``) of one or more runs.

    Attributes
    ----------
    keys, layer, column, row
        Per variable: a key shared across runs, and where its value is published
        (layer name, column, row position; row -1 if nowhere).
    x
        Value per variable: the true one when protecting, the published one (NaN if
        hidden) when auditing.
    hidden
        Per variable: withheld.
    primary
        Per variable: hidden by the primary rule (may be a small count).
    A, f, tol
        Figures: coefficients, value and half-width of the published interval
        (``tol = inf`` above for the one-sided public facts, see ``lower_only``).
    fig_hidden, fig_target, fig_kind, fig_label, fig_layer, fig_column, fig_row
        Per figure: withheld; a count that must stay protected when hidden; its kind
        (``cell``, ``area``, ``zone``, ``rate``, ``total``, ``subgroup``, ``order``,
        ``block``, ``link``, ``access``); a readable label; and where it is published.
    lower_only
        Per figure: a one-sided fact ``a·x >= f``.
    fixed, fig_fixed
        Per variable and per figure (``None``: nothing is): set by an earlier
        publication this run cannot change (see :mod:`geoloft.disclosure.joint`), so
        never chosen to be hidden or withheld.
    """

    keys: ObjArray
    layer: ObjArray
    column: ObjArray
    row: IntArray
    x: FloatArray
    hidden: BoolArray
    primary: BoolArray
    A: sparse.csr_matrix
    f: FloatArray
    tol: FloatArray
    fig_hidden: BoolArray
    fig_target: BoolArray
    fig_kind: ObjArray
    fig_label: ObjArray
    fig_layer: ObjArray
    fig_column: ObjArray
    fig_row: IntArray
    lower_only: BoolArray
    notes: list[str] = field(default_factory=list)
    fixed: BoolArray | None = None
    fig_fixed: BoolArray | None = None

    @property
    def n_vars(self) -> int:
        """Number of variables."""
        return int(self.keys.size)


@dataclass
class _Rows:
    """Figures collected before they become one sparse matrix."""

    i: list[IntArray] = field(default_factory=list)
    j: list[IntArray] = field(default_factory=list)
    v: list[FloatArray] = field(default_factory=list)
    f: list[FloatArray] = field(default_factory=list)
    tol: list[FloatArray] = field(default_factory=list)
    hidden: list[BoolArray] = field(default_factory=list)
    target: list[BoolArray] = field(default_factory=list)
    kind: list[ObjArray] = field(default_factory=list)
    label: list[ObjArray] = field(default_factory=list)
    layer: list[ObjArray] = field(default_factory=list)
    column: list[ObjArray] = field(default_factory=list)
    row: list[IntArray] = field(default_factory=list)
    lower: list[BoolArray] = field(default_factory=list)
    n: int = 0

    def add(
        self,
        matrix: sparse.spmatrix,
        f: FloatArray,
        *,
        kind: str,
        labels: Sequence[str],
        tol: FloatArray | float = EXACT,
        hidden: BoolArray | None = None,
        target: bool | BoolArray = False,
        layer: str = "",
        column: str = "",
        rows: IntArray | None = None,
        lower_only: bool = False,
    ) -> None:
        """Append the rows of ``matrix`` (figures × variables) with their values."""
        coo = sparse.coo_matrix(matrix)
        m = coo.shape[0]
        if m == 0:
            return
        f = np.asarray(f, dtype=np.float64)
        self.i.append(coo.row.astype(np.int64) + self.n)
        self.j.append(coo.col.astype(np.int64))
        self.v.append(coo.data.astype(np.float64))
        self.f.append(f)
        self.tol.append(np.broadcast_to(np.asarray(tol, dtype=np.float64), (m,)).copy())
        self.hidden.append(np.isnan(f) if hidden is None else np.asarray(hidden, dtype=bool))
        self.target.append(np.broadcast_to(np.asarray(target, dtype=bool), (m,)).copy())
        self.kind.append(np.full(m, kind, dtype=object))
        self.label.append(np.asarray(labels, dtype=object))
        self.layer.append(np.full(m, layer, dtype=object))
        self.column.append(np.full(m, column, dtype=object))
        self.row.append(np.full(m, -1, dtype=np.int64) if rows is None else np.asarray(rows))
        self.lower.append(np.full(m, lower_only))
        self.n += m


@dataclass
class _Vars:
    keys: list[ObjArray] = field(default_factory=list)
    layer: list[ObjArray] = field(default_factory=list)
    column: list[ObjArray] = field(default_factory=list)
    row: list[IntArray] = field(default_factory=list)
    x: list[FloatArray] = field(default_factory=list)
    n: int = 0

    def add(self, keys: Sequence[str], layer: str, column: str, x: FloatArray) -> IntArray:
        m = len(keys)
        self.keys.append(np.asarray(keys, dtype=object))
        self.layer.append(np.full(m, layer, dtype=object))
        self.column.append(np.full(m, column, dtype=object))
        self.row.append(np.arange(m, dtype=np.int64))
        self.x.append(np.asarray(x, dtype=np.float64))
        idx = np.arange(self.n, self.n + m, dtype=np.int64)
        self.n += m
        return idx


def _numbers(frame: pd.DataFrame, column: str) -> FloatArray:
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)


def _rounding(values: FloatArray) -> float:
    """Return the half-width of the rounding of published aggregates (5 for tens)."""
    v = values[np.isfinite(values)]
    for base in (10.0, 5.0):
        if v.size >= 3 and np.all(np.mod(v, base) == 0):
            return base / 2
    return EXACT


def _grid_vars(
    vars_: _Vars, rows: _Rows, grid: gpd.GeoDataFrame, known: bool
) -> tuple[int, dict[str, IntArray]]:
    """Variables of a grid's count columns; sub-group facts. Returns the size and indices."""
    size = int(pd.to_numeric(grid[C.CELL_SIZE]).iloc[0]) if len(grid) else 0
    ids = grid[C.SSBID].to_numpy(dtype=np.int64)
    found: dict[str, IntArray] = {}
    for col in GRID_COUNTS:
        if col not in grid.columns:
            continue
        keys = [f"grid{size}:{i}:{col}" for i in ids]
        found[col] = vars_.add(keys, "grid", col, _numbers(grid, col))
    if {C.POP_MAL, C.POP_FEM} <= set(found) and C.POP_TOT in found:
        m = ids.size
        eye = np.arange(m)
        mat = sparse.coo_matrix(
            (
                np.r_[np.ones(m), -np.ones(m), -np.ones(m)],
                (
                    np.r_[eye, eye, eye],
                    np.r_[found[C.POP_TOT], found[C.POP_MAL], found[C.POP_FEM]],
                ),
            ),
            shape=(m, vars_.n),
        )
        labels = [f"pop_tot − pop_mal − pop_fem = 0 in cell {i}" for i in ids]
        rows.add(mat, np.zeros(m), kind="subgroup", labels=labels, hidden=np.zeros(m, bool))
    del known
    return size, found


def _shares(
    grid: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, size: int, method: str
) -> pd.DataFrame:
    from geoloft.join import crosswalk

    cells = gpd.GeoDataFrame(
        {C.SSBID: grid[C.SSBID].to_numpy(dtype=np.int64)},
        geometry=grid.geometry.to_numpy(),
        crs=grid.crs,
    ).to_crs(C.WORKING_CRS)
    cells.attrs["cell_size"] = size
    polys = gpd.GeoDataFrame(
        {C.AREA_ID: areas[C.AREA_ID].astype(str).to_numpy()},
        geometry=areas.geometry.to_numpy(),
        crs=areas.crs,
    ).to_crs(C.WORKING_CRS)
    return crosswalk(cells, polys, method=method)


def _area_matrix(
    grid: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    size: int,
    pop_vars: IntArray,
    n_vars: int,
    method: str,
) -> sparse.csr_matrix:
    """Rows: areas; columns: variables; entries: the share of each cell in each area."""
    table = _shares(grid, areas, size, method)
    cell_pos = pd.Series(np.arange(len(grid)), index=grid[C.SSBID].to_numpy(dtype=np.int64))
    area_pos = pd.Series(np.arange(len(areas)), index=areas[C.AREA_ID].astype(str).to_numpy())
    i = area_pos.reindex(table[C.AREA_ID].to_numpy()).to_numpy()
    j = pop_vars[cell_pos.reindex(table[C.SSBID].to_numpy()).to_numpy()]
    return sparse.csr_matrix(
        (table["share"].to_numpy(dtype=np.float64), (i, j)), shape=(len(areas), n_vars)
    )


def _members(zones: pd.DataFrame, area_ids: pd.Series) -> sparse.csr_matrix:
    """Rows: zones; columns: areas; 1 where the area is a member."""
    pos = pd.Series(np.arange(len(area_ids)), index=area_ids.astype(str).to_numpy())
    lists = [
        [m for m in str(v).split(",") if m] if isinstance(v, str) else [] for v in zones[C.MEMBERS]
    ]
    i = np.repeat(np.arange(len(lists)), [len(m) for m in lists])
    flat = [m for ms in lists for m in ms]
    j = pos.reindex(flat).to_numpy()
    ok = ~np.isnan(j)
    return sparse.csr_matrix(
        (np.ones(int(ok.sum())), (i[ok], j[ok].astype(np.int64))), shape=(len(lists), len(pos))
    )


def _rate_rows(
    rows: _Rows,
    weights: sparse.csr_matrix,
    n_idx: IntArray,
    d_idx: IntArray,
    rate: FloatArray,
    rel: Rate,
    n_vars: int,
    *,
    labels: Sequence[str],
    layer: str,
    rows_at: IntArray | None,
) -> None:
    """Rows ``Σ w·n − q Σ w·d = 0`` with ``q = rate / scale`` (weights: rows × areas)."""
    q = np.nan_to_num(rate / rel.scale)
    num = sparse.csr_matrix(
        (np.ones(n_idx.size), (np.arange(n_idx.size), n_idx)), shape=(n_idx.size, n_vars)
    )
    den = sparse.csr_matrix(
        (np.ones(d_idx.size), (np.arange(d_idx.size), d_idx)), shape=(d_idx.size, n_vars)
    )
    mat = weights @ num - sparse.diags(q) @ (weights @ den)
    rows.add(
        mat,
        np.where(np.isnan(rate), np.nan, 0.0),
        kind="rate",
        labels=labels,
        tol=1e-7 * np.maximum(1.0, np.asarray(abs(mat).sum(axis=1)).ravel()),
        layer=layer,
        column=f"{rel.id}_rate",
        rows=rows_at,
    )


def build_system(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    rates: Iterable[Rate] = (),
    totals: Mapping[str, Any] | None = None,
    references: Mapping[str, float] | None = None,
    known: bool = False,
    blocks: bool = False,
    threshold: int = 10,
    rounding: float | None = None,
    join_method: str = "area",
    label: str = "",
    access: Mapping[str, Any] | None = None,
) -> System:
    """Return the linear model of the figures in ``layers``.

    Parameters
    ----------
    layers
        ``areas``, ``grid`` and ``intervention_areas`` (any may be missing), with
        their values: true values (``known=True``) or as published (NaN = hidden).
    rates
        The indicators whose counts and rates the areas and zones carry.
    totals
        Study-area totals of the grid's persons (``run.json``: ``total_in``,
        ``total_assigned``, ``total_outside``).
    references
        Reference rates per indicator id (catalogue unit), over every area.
    known
        Values are the true ones (protection): a missing count is absent, not hidden.
    blocks
        Add the 1 km and 5 km blocks of a finer grid as figures published elsewhere.
    threshold
        Persons: blocks under it count as unpublished (SSB's rule).
    rounding
        The stated rounding (persons) of area and zone populations; ``None``: taken
        from the values (multiples of 10 or 5), else exact.
    join_method
        How cells were given to areas: ``"area"`` (exact shares) or ``"centroid"``.
    label
        Prefix of the figures' labels (a run's name when several are audited).
    access
        The access stage's notes of the run record (thresholds and totals): with the
        ``access_*`` layers, their figures become rows too
        (:mod:`geoloft.disclosure.access_rows`).
    """
    vars_, rows = _Vars(), _Rows()
    grid, areas = layers.get("grid"), layers.get("areas")
    zones = layers.get("intervention_areas")
    size, gvars = (0, {}) if grid is None or not len(grid) else _grid_vars(vars_, rows, grid, known)
    counts: dict[str, IntArray] = {}
    if areas is not None:
        for rel in rates:
            for col in (rel.numerator, rel.denominator):
                if col in areas.columns and col not in counts:
                    keys = [f"area:{a}:{col}" for a in areas[C.AREA_ID].astype(str)]
                    counts[col] = vars_.add(keys, "areas", col, _numbers(areas, col))
    n_vars = vars_.n
    area_rows = None
    if areas is not None and C.POP_TOT in gvars and C.POP_TOT in areas.columns:
        area_rows = _area_matrix(grid, areas, size, gvars[C.POP_TOT], n_vars, join_method)
        ids = areas[C.AREA_ID].astype(str)
        pop = _numbers(areas, C.POP_TOT)
        rows.add(
            area_rows,
            pop,
            kind="area",
            labels=[f"{label}area {a} pop_tot" for a in ids],
            tol=_rounding(pop) if rounding is None else max(rounding / 2, EXACT),
            target=True,
            layer="areas",
            column=C.POP_TOT,
            rows=np.arange(len(areas)),
        )
    if zones is not None and len(zones) and areas is not None:
        tol = None if rounding is None else max(rounding / 2, EXACT)
        _zone_rows(rows, zones, areas, area_rows, counts, rates, n_vars, tol, label)
    if areas is not None:
        _area_rates(rows, areas, rates, counts, references, n_vars, known, label)
    if grid is not None and C.POP_TOT in gvars:
        _totals(rows, totals, gvars[C.POP_TOT], area_rows, n_vars, label)
        if blocks:
            for col, idx in gvars.items():
                _blocks(rows, grid, size, idx, vars_.x, n_vars, col, threshold)
        cell_vars = pd.Series(gvars[C.POP_TOT], index=grid[C.SSBID].to_numpy(dtype=np.int64))
        _access_rows(rows, layers, cell_vars, vars_, access, rounding, label, threshold)
    return _finish(vars_, rows, known)


def _access_rows(
    rows: _Rows,
    layers: Mapping[str, gpd.GeoDataFrame],
    cell_vars: pd.Series,
    vars_: _Vars,
    notes: Mapping[str, Any] | None,
    rounding: float | None,
    label: str,
    threshold: int,
) -> None:
    """Add the access step's figures (kind ``access``) when the layers hold them.

    ``cell_vars``: the position of each grid cell's ``pop_tot`` variable, by ``ssbid``.
    """
    if "access_cells" not in layers:
        return
    from geoloft.disclosure.access_rows import access_figures

    x = np.concatenate(vars_.x)
    for fig in access_figures(
        layers, cell_vars, vars_.n, notes=notes, rounding=rounding, label=label
    ):
        # a figure whose cells are known to hold at least ``threshold`` persons may not
        # be small: withheld (say, with a small remainder), it is no count to protect
        big = (fig.matrix @ x) >= threshold  # NaN (a hidden cell) compares False
        rows.add(
            fig.matrix,
            fig.f,
            kind="access",
            labels=fig.labels,
            tol=fig.tol,
            target=fig.target & ~big,
            layer=fig.layer,
            column=fig.column,
            rows=fig.rows,
        )


def _zone_rows(
    rows: _Rows,
    zones: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame,
    area_rows: sparse.csr_matrix | None,
    counts: dict[str, IntArray],
    rates: Iterable[Rate],
    n_vars: int,
    tol: float | None,
    label: str,
) -> None:
    """Add the zones' populations (sums of member areas) and their pooled rates."""
    member = _members(zones, areas[C.AREA_ID])
    zid = zones[C.ZONE_ID].astype(str).tolist()
    if area_rows is not None and C.POP in zones.columns:
        pop = _numbers(zones, C.POP)
        rows.add(
            member @ area_rows,
            pop,
            kind="zone",
            labels=[f"{label}zone {z} pop" for z in zid],
            tol=_rounding(pop) if tol is None else tol,
            target=True,
            layer="intervention_areas",
            column=C.POP,
            rows=np.arange(len(zones)),
        )
    for rel in rates:
        col = f"{rel.id}_rate"
        if col in zones.columns and rel.numerator in counts and rel.denominator in counts:
            _rate_rows(
                rows,
                member,
                counts[rel.numerator],
                counts[rel.denominator],
                _numbers(zones, col),
                rel,
                n_vars,
                labels=[f"{label}zone {z} {col}" for z in zid],
                layer="intervention_areas",
                rows_at=np.arange(len(zones)),
            )


def _area_rates(
    rows: _Rows,
    areas: gpd.GeoDataFrame,
    rates: Iterable[Rate],
    counts: dict[str, IntArray],
    references: Mapping[str, float] | None,
    n_vars: int,
    known: bool,
    label: str,
) -> None:
    ids = areas[C.AREA_ID].astype(str).tolist()
    for rel in rates:
        if rel.numerator not in counts or rel.denominator not in counts:
            continue
        n_idx, d_idx = counts[rel.numerator], counts[rel.denominator]
        # An area's own rate is not a linear figure: small areas' rates are shrunk
        # towards the reference. It is withheld whenever one of its counts is.
        order = sparse.csr_matrix(
            (
                np.r_[np.ones(len(ids)), -np.ones(len(ids))],
                (np.r_[np.arange(len(ids)), np.arange(len(ids))], np.r_[d_idx, n_idx]),
            ),
            shape=(len(ids), n_vars),
        )
        rows.add(
            order,
            np.zeros(len(ids)),
            kind="order",
            labels=[f"{rel.denominator} ≥ {rel.numerator} in area {a}" for a in ids],
            tol=0.0,
            hidden=np.zeros(len(ids), bool),
            lower_only=True,
        )
        if references and rel.id in references:
            present = areas[rel.numerator].notna().to_numpy() if known else np.ones(len(ids))
            w = sparse.csr_matrix(np.asarray(present, dtype=np.float64)[None, :])
            _rate_rows(
                rows,
                w,
                n_idx,
                d_idx,
                np.array([float(references[rel.id])]),
                rel,
                n_vars,
                labels=[f"{label}reference {rel.id} (run.json)"],
                layer="",
                rows_at=None,
            )


def _totals(
    rows: _Rows,
    totals: Mapping[str, Any] | None,
    pop_vars: IntArray,
    area_rows: sparse.csr_matrix | None,
    n_vars: int,
    label: str,
) -> None:
    if not totals:
        return
    ones = np.zeros(n_vars)
    ones[pop_vars] = 1.0
    cover = np.asarray(area_rows.sum(axis=0)).ravel() if area_rows is not None else ones
    found = {
        "total_in": ones,
        "total_assigned": cover,
        # the join counts a cell at most once as inside, where areas overlap too
        "total_outside": np.where(ones > 0, ones - np.minimum(cover, 1.0), 0.0),
    }
    for key, coef in found.items():
        if key in totals and totals[key] is not None:
            coef = np.where(np.abs(coef) < 1e-12, 0.0, coef)
            rows.add(
                sparse.csr_matrix(coef[None, :]),
                np.array([float(totals[key])]),
                kind="total",
                labels=[f"{label}{key} (run.json)"],
                target=False,
            )


def _blocks(
    rows: _Rows,
    grid: gpd.GeoDataFrame,
    size: int,
    idx: IntArray,
    x: list[FloatArray],
    n_vars: int,
    col: str,
    threshold: int,
) -> None:
    """Add the sums over the 1 km and 5 km blocks of a finer grid, as SSB publishes them.

    A block under ``threshold`` persons is not published (SSB's primary rule), and a
    5 km block that holds such a 1 km block is taken as withheld too (SSB's own
    secondary suppression keeps it from being worked out by subtraction).
    """
    ids = grid[C.SSBID].to_numpy(dtype=np.int64)
    xs, ys = ids // 10**7 - 2_000_000, ids % 10**7
    values = np.concatenate(x)[idx] if x else np.zeros(0)
    small_below = np.zeros(ids.size, dtype=bool)
    for block in BLOCK_SIZES:
        if size <= 0 or block <= size or block % size:
            continue
        key = (xs // block) * 10**7 + (ys // block)
        uniq, which = np.unique(key, return_inverse=True)
        mat = sparse.csr_matrix((np.ones(ids.size), (which, idx)), shape=(uniq.size, n_vars))
        f = np.bincount(which, weights=np.nan_to_num(values), minlength=uniq.size)
        hidden = f < threshold
        hidden |= np.bincount(which, weights=small_below, minlength=uniq.size) > 0
        small_below |= hidden[which]
        rows.add(
            mat,
            f,
            kind="block",
            labels=[f"{block} m block {k} {col}" for k in uniq],
            hidden=hidden,
            target=False,
        )


def _finish(vars_: _Vars, rows: _Rows, known: bool) -> System:
    def cat(parts: list[Any], dtype: type) -> ObjArray:
        return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

    n = vars_.n
    x = cat(vars_.x, float).astype(np.float64)
    matrix = sparse.csr_matrix(
        (cat(rows.v, float), (cat(rows.i, np.int64), cat(rows.j, np.int64))),
        shape=(rows.n, n),
    )
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    hidden = np.isnan(x) if not known else np.zeros(n, dtype=bool)
    return System(
        keys=cat(vars_.keys, object),
        layer=cat(vars_.layer, object),
        column=cat(vars_.column, object),
        row=cat(vars_.row, np.int64).astype(np.int64),
        x=x,
        hidden=hidden,
        primary=hidden.copy(),
        A=matrix,
        f=cat(rows.f, float).astype(np.float64),
        tol=cat(rows.tol, float).astype(np.float64),
        fig_hidden=cat(rows.hidden, bool).astype(bool),
        fig_target=cat(rows.target, bool).astype(bool),
        fig_kind=cat(rows.kind, object),
        fig_label=cat(rows.label, object),
        fig_layer=cat(rows.layer, object),
        fig_column=cat(rows.column, object),
        fig_row=cat(rows.row, np.int64).astype(np.int64),
        lower_only=cat(rows.lower, bool).astype(bool),
    )


def combine(systems: Sequence[System]) -> System:
    """Join several runs' systems: variables with the same key are the same count."""
    keys = np.concatenate([s.keys for s in systems])
    uniq, first, inverse = np.unique(keys.astype(str), return_index=True, return_inverse=True)
    offsets = np.cumsum([0] + [s.n_vars for s in systems])
    blocks = []
    for s, off in zip(systems, offsets[:-1], strict=True):
        coo = s.A.tocoo()
        blocks.append(
            sparse.csr_matrix(
                (coo.data, (coo.row, inverse[off + coo.col])), shape=(coo.shape[0], uniq.size)
            )
        )
    x_all = np.concatenate([s.x for s in systems])
    x = np.full(uniq.size, np.nan)
    seen = ~np.isnan(x_all)
    x[inverse[seen]] = x_all[seen]
    hidden = np.isnan(x)

    def stack(name: str) -> ObjArray:
        return np.concatenate([getattr(s, name) for s in systems])

    return System(
        keys=keys[first],
        layer=stack("layer")[first],
        column=stack("column")[first],
        row=stack("row")[first],
        x=x,
        hidden=hidden,
        primary=hidden.copy(),
        A=sparse.vstack(blocks, format="csr"),
        f=stack("f"),
        tol=stack("tol"),
        fig_hidden=stack("fig_hidden"),
        fig_target=stack("fig_target"),
        fig_kind=stack("fig_kind"),
        fig_label=stack("fig_label"),
        fig_layer=stack("fig_layer"),
        fig_column=stack("fig_column"),
        fig_row=stack("fig_row"),
        lower_only=stack("lower_only"),
        notes=[n for s in systems for n in s.notes],
    )


def link_grids(system: System) -> System:
    """Add ``coarse cell = Σ finer cells inside it`` for grids of different sizes.

    The attacker's assumption when auditing several runs together: their grids count
    the same people. Where a coarse cell lies at the edge of the finer grid's cover
    (a neighbouring coarse cell holds no finer cell), only ``coarse >= Σ finer`` holds.
    """
    parts = pd.Series(system.keys.astype(str)).str.extract(r"^grid(\d+):(\d+):(\w+)$")
    ok = parts[0].notna().to_numpy()
    if not ok.any():
        return system
    size = parts[0].astype(float).to_numpy()
    sizes = sorted({int(s) for s in size[ok]})
    if len(sizes) < 2:
        return system
    ids = pd.to_numeric(parts[1]).to_numpy()
    new_i, new_j, new_v, f, lower, labels = [], [], [], [], [], []
    n_rows = 0
    for k, fine in enumerate(sizes[:-1]):
        for coarse in sizes[k + 1 :]:
            if coarse % fine:
                continue
            for col in set(parts.loc[ok, 2]):
                cf = np.flatnonzero(ok & (size == fine) & (parts[2] == col).to_numpy())
                cc = np.flatnonzero(ok & (size == coarse) & (parts[2] == col).to_numpy())
                if not cf.size or not cc.size:
                    continue
                fx = ids[cf] // 10**7 - 2_000_000
                fy = ids[cf] % 10**7
                fkey = (fx // coarse) * 100_000 + (fy // coarse)
                cx = ids[cc] // 10**7 - 2_000_000
                cy = ids[cc] % 10**7
                ckey = (cx // coarse) * 100_000 + (cy // coarse)
                covered = set(fkey.tolist())
                pos = pd.Series(np.arange(cc.size), index=ckey)
                pos = pos[~pos.index.duplicated()]
                hit = pos.reindex(fkey).to_numpy()
                good = ~np.isnan(hit)
                interior = np.array(
                    [
                        all(
                            (key + dx * 100_000 + dy) in covered
                            for dx in (-1, 0, 1)
                            for dy in (-1, 0, 1)
                        )
                        for key in ckey
                    ]
                )
                rows_c = n_rows + np.arange(cc.size)
                new_i += [rows_c, rows_c[hit[good].astype(int)]]
                new_j += [cc, cf[good]]
                new_v += [np.ones(cc.size), -np.ones(int(good.sum()))]
                f.append(np.zeros(cc.size))
                lower.append(~interior)
                labels += [f"{coarse} m cell {i} {col} = Σ {fine} m cells" for i in ids[cc]]
                n_rows += cc.size
    if not n_rows:
        return system
    link = sparse.csr_matrix(
        (np.concatenate(new_v), (np.concatenate(new_i), np.concatenate(new_j))),
        shape=(n_rows, system.n_vars),
    )
    m = n_rows
    system.A = sparse.vstack([system.A, link], format="csr")
    system.f = np.r_[system.f, np.concatenate(f)]
    system.tol = np.r_[system.tol, np.zeros(m)]
    system.fig_hidden = np.r_[system.fig_hidden, np.zeros(m, bool)]
    system.fig_target = np.r_[system.fig_target, np.zeros(m, bool)]
    system.fig_kind = np.r_[system.fig_kind, np.full(m, "link", dtype=object)]
    system.fig_label = np.r_[system.fig_label, np.asarray(labels, dtype=object)]
    system.fig_layer = np.r_[system.fig_layer, np.full(m, "", dtype=object)]
    system.fig_column = np.r_[system.fig_column, np.full(m, "", dtype=object)]
    system.fig_row = np.r_[system.fig_row, np.full(m, -1, dtype=np.int64)]
    system.lower_only = np.r_[system.lower_only, np.concatenate(lower)]
    return system
