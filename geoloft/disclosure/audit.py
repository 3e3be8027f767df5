"""Try to recover hidden values from what runs wrote: the interval each one is pinned to.

For every hidden count, the audit solves two linear programmes (HiGHS, through its
Python interface ``highspy``, warm-started): the smallest and the largest value the count can take
while every published figure keeps its published value (within its stated rounding),
every count is at least 0 and no numerator exceeds its denominator. A count that may be
small (its interval reaches below the threshold) and is pinned to an interval shorter
than the protection width is reported.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse

from geoloft import columns as C
from geoloft.disclosure.access_rows import ACCESS_LAYERS
from geoloft.disclosure.model import Rate, System, build_system, combine, link_grids
from geoloft.disclosure.rules import protection_width
from geoloft.errors import InputError

__all__ = ["AuditResult", "audit", "intervals"]

#: Upper bound of every count in the programmes (persons); an interval reaching half of it
#: is reported as unbounded.
_BIG = 1e8
#: Layers of ``geoloft.gpkg`` that carry statistics.
_LAYERS = ("areas", "grid", "intervention_areas", *ACCESS_LAYERS)


def _reduced(
    system: System,
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray, np.ndarray, Any, np.ndarray]:
    """Return the published rows over the hidden variables with their bounds."""
    hid = np.flatnonzero(system.hidden)
    known = np.where(system.hidden | np.isnan(system.x), 0.0, system.x)
    shift = system.A @ known
    pub = ~system.fig_hidden & np.isfinite(system.f)
    mat = system.A[:, hid].tocsr()
    touches = np.diff(mat.indptr) > 0
    rows = np.flatnonzero(pub & touches)
    # numerical slack for the solver: 1e-7 relative to the figure (0.03 persons at 250 000)
    tol = system.tol[rows] + 1e-7 * (1.0 + np.abs(system.f[rows]))
    lo = system.f[rows] - tol - shift[rows]
    hi = np.where(system.lower_only[rows], np.inf, system.f[rows] + tol - shift[rows])
    return mat[rows], lo, hi, hid, shift, rows


_BANNER_SHOWN: list[bool] = []


def _new_highs() -> Any:
    """Return a silent HiGHS instance (the first one prints a banner on stdout: swallowed)."""
    import highspy

    if _BANNER_SHOWN:
        highs = highspy.Highs()
    else:
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with Path(os.devnull).open("wb") as null:
                os.dup2(null.fileno(), 1)
                highs = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _BANNER_SHOWN.append(True)
    highs.silent()
    return highs


class _Solver:
    """Minimise and maximise linear objectives over one fixed polytope (HiGHS, warm)."""

    def __init__(self, mat: sparse.csr_matrix, lo: np.ndarray, hi: np.ndarray) -> None:
        import highspy

        self._h = highspy
        inf = highspy.kHighsInf
        csc = mat.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = csc.shape[1], csc.shape[0]
        lp.col_cost_ = np.zeros(csc.shape[1])
        lp.col_lower_ = np.zeros(csc.shape[1])
        # a finite box keeps HiGHS from reporting "infeasible or unbounded"
        lp.col_upper_ = np.full(csc.shape[1], _BIG)
        lp.row_lower_ = np.where(np.isfinite(lo), lo, -inf)
        lp.row_upper_ = np.where(np.isfinite(hi), hi, inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
        lp.a_matrix_.index_ = csc.indices.astype(np.int32)
        lp.a_matrix_.value_ = csc.data.astype(np.float64)
        self.highs = _new_highs()
        self.highs.passModel(lp)

        self.points: list[np.ndarray] = []
        self.binding: set[int] = set()
        self.vmin = np.full(csc.shape[1], np.inf)
        self.vmax = np.full(csc.shape[1], -np.inf)

    def add(self, point: np.ndarray) -> None:
        """Remember a feasible point."""
        self.points.append(point)
        np.minimum(self.vmin, point, out=self.vmin)
        np.maximum(self.vmax, point, out=self.vmax)

    def _solve(self, idx: np.ndarray, coef: np.ndarray, sense: Any) -> float:
        h = self.highs
        h.changeObjectiveSense(sense)
        h.changeColsCost(idx.size, idx.astype(np.int32), coef)
        h.run()
        status = h.getModelStatus()
        value = h.getInfo().objective_function_value
        h.changeColsCost(idx.size, idx.astype(np.int32), np.zeros(idx.size))
        if status == self._h.HighsModelStatus.kOptimal:
            solution = h.getSolution()
            self.add(np.asarray(solution.col_value))
            duals = np.asarray(solution.row_dual)
            self.binding = set(np.flatnonzero(np.abs(duals) > 1e-9).tolist())
        if status == self._h.HighsModelStatus.kInfeasible:
            raise InputError(
                "the published figures contradict each other (no counts satisfy all of them).",
                source="audit",
                hint="audit runs of the same data together, or one run at a time.",
            )
        if status != self._h.HighsModelStatus.kOptimal:
            return np.nan
        return float(value)

    def bounds(self, idx: np.ndarray, coef: np.ndarray) -> tuple[float, float, set[int]]:
        """Return the minimum, the maximum and the rows binding at either."""
        sense = self._h.ObjSense
        lo = self._solve(idx, coef, sense.kMinimize)
        binding = self.binding
        hi = self._solve(idx, coef, sense.kMaximize)
        binding = binding | self.binding
        return lo, (np.inf if not np.isfinite(hi) or hi > _BIG / 2 else hi), binding

    def spread(self, idx: np.ndarray, coef: np.ndarray) -> tuple[float, float]:
        """Smallest and largest value of the objective over the points found so far."""
        if not self.points:
            return np.inf, -np.inf
        if idx.size == 1:
            ends = (self.vmin[idx[0]] * coef[0], self.vmax[idx[0]] * coef[0])
            return float(min(ends)), float(max(ends))
        values = np.stack(self.points)[:, idx] @ coef
        return float(values.min()), float(values.max())


def intervals(
    system: System,
    *,
    threshold: int,
    width: float | None = None,
    only: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return, for every hidden count, the interval the published figures allow.

    Parameters
    ----------
    system
        The figures of one or more runs (see :func:`~geoloft.disclosure.model.build_system`).
    threshold
        Persons: an interval reaching below it may hold a small count.
    width
        Protection width (persons); default :func:`~geoloft.disclosure.rules.protection_width`.
    only
        Positions of hidden variables to check (default: all, and every hidden count figure).
    start
        A point known to satisfy every figure (the true values, when protecting): values
        it and earlier solutions already show to move by the width need no programme.

    Returns
    -------
    pandas.DataFrame
        ``label``, ``kind`` (``variable`` or a figure kind), ``value`` (the true value when
        known), ``low``, ``high``, ``width`` and ``pinned`` (may be small and narrower than
        the protection width); ``var`` is the variable's position (-1 for figures);
        ``binding`` the figures (rows of ``A``) that pin it. Where no programme was needed,
        ``low`` and ``high`` are values shown feasible (the interval is at least as wide).
    """
    width = protection_width(threshold) if width is None else width
    mat, lo, hi, hid, shift, rows = _reduced(system)
    nh = hid.size
    in_rows = np.diff(mat.tocsc().indptr) > 0
    targets: list[tuple[str, str, float, np.ndarray, float, int]] = []
    pos = {int(v): k for k, v in enumerate(hid)}
    wanted = hid if only is None else np.asarray(only)
    for v in wanted:
        k = pos.get(int(v))
        if k is None:
            continue
        e = np.zeros(nh)
        e[k] = 1.0
        targets.append((str(system.keys[v]), "variable", system.x[v], e, 0.0, int(v)))
    if only is None:
        figs = np.flatnonzero(system.fig_hidden & system.fig_target)
        hidden_cols = system.A[:, hid].tocsr()
        for r in figs:
            coef = hidden_cols[r].toarray().ravel()
            const = float(shift[r])
            true = np.nan
            if not np.isnan(system.x).any():
                true = float(np.asarray(system.A[r] @ system.x).ravel()[0])
            targets.append(
                (str(system.fig_label[r]), str(system.fig_kind[r]), true, coef, const, -1)
            )
    out = []
    solver = _Solver(mat, lo, hi) if mat.shape[0] else None
    if solver is not None and start is not None:
        solver.add(np.nan_to_num(start[hid]))
    for label, kind, value, coef, const, var in targets:
        support = np.flatnonzero(coef)
        binding: list[int] = []
        if support.size and not in_rows[support].any():
            low, high = const, np.inf
        elif not support.size or solver is None:
            low = high = const
        else:
            a, b = solver.spread(support, coef[support])
            if b - a < width:  # the points found so far do not yet show it free
                a, b, rows_at = solver.bounds(support, coef[support])
                binding = sorted(int(rows[r]) for r in rows_at)
            low, high = a + const, b + const
        out.append((label, kind, value, low, high, var, binding))
    frame = pd.DataFrame(out, columns=["label", "kind", "value", "low", "high", "var", "binding"])
    frame["width"] = frame["high"] - frame["low"]
    frame["pinned"] = (frame["width"] < width - 1e-6) & (frame["low"] < threshold - 1e-6)
    return frame


@dataclass
class AuditResult:
    """What :func:`audit` found."""

    runs: list[Path]
    threshold: int
    width: float
    table: pd.DataFrame

    small: pd.DataFrame | None = None

    @property
    def pinned(self) -> pd.DataFrame:
        """The hidden values pinned narrower than the protection width."""
        return self.table[self.table["pinned"]]

    def summary(self) -> dict[str, Any]:
        """Return counts for a report: hidden values checked, pinned, exact."""
        p = self.pinned
        return {
            "runs": [str(r) for r in self.runs],
            "threshold": self.threshold,
            "protection_width": self.width,
            "hidden_values": len(self.table),
            "pinned": len(p),
            "exact": int((p["width"] < 0.5).sum()),
            "published_small": 0 if self.small is None else len(self.small),
        }


def _record(out: Path) -> dict[str, Any]:
    path = out / "run.json"
    if not path.is_file():
        raise InputError(
            f"{out}: no run.json; this is not the output folder of a geoloft run.",
            source=str(out),
            hint="pass the folder given to geoloft run --out or geoloft demo --out.",
        )
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return record


def _stage(record: dict[str, Any], name: str) -> dict[str, Any]:
    for stage in record.get("stages", []):
        if stage.get("stage") == name:
            notes: dict[str, Any] = stage.get("notes", {})
            return notes
    return {}


def _rates(record: dict[str, Any]) -> list[Rate]:
    saved = _stage(record, "disclosure model").get("rates")
    if isinstance(saved, dict) and saved:
        return [Rate(k, str(v[0]), str(v[1]), float(v[2])) for k, v in saved.items()]
    from geoloft.indicators import default_catalogue, load_catalogue

    path = record.get("parameters", {}).get("inputs", {}).get("indicators", {}).get("catalogue")
    catalogue = load_catalogue(Path(path)) if path and Path(path).is_file() else default_catalogue()
    return [
        Rate(ind.id, str(ind.numerator), str(ind.denominator), float(ind.scale))
        for ind in catalogue
        if getattr(ind, "numerator", None) and getattr(ind, "denominator", None)
    ]


def _read_run(out: Path, label: str) -> tuple[System, int]:
    import pyogrio

    record = _record(out)
    gpkg = out / "geoloft.gpkg"
    names = {str(n) for n, _ in pyogrio.list_layers(gpkg)} if gpkg.is_file() else set()
    layers = {
        name: gpd.read_file(gpkg, layer=name, engine="pyogrio") for name in _LAYERS if name in names
    }
    for name in ("areas",):
        if name in layers:
            layers[name][C.AREA_ID] = layers[name][C.AREA_ID].astype(str)
    join = _stage(record, "join_grid")
    totals: dict[str, Any] = {
        k: v.get(C.POP_TOT) if isinstance(v := join.get(k), dict) else None
        for k in ("total_in", "total_assigned", "total_outside")
    }
    references = _stage(record, "score_areas").get("reference") or {}
    rounding = _stage(record, "disclosure model").get("population_rounding")
    system = build_system(
        layers,
        rounding=None if rounding is None else float(rounding),
        rates=_rates(record),
        totals=totals,
        references=references,
        known=False,
        label=label,
        access=_stage(record, "access") or None,
    )
    threshold = int(record.get("parameters", {}).get("disclosure_threshold", 10))
    return system, threshold


def audit(runs: Sequence[str | Path], *, width: float | None = None) -> AuditResult:
    """Audit the output folders of one or more runs for hidden values that can be narrowed.

    Parameters
    ----------
    runs
        Output folders (``geoloft.gpkg`` and ``run.json``). Several folders are audited
        together, as an attacker holding all of them would: counts with the same key
        (the same cell, the same area's indicator count) are the same, and a coarser
        grid's cells are sums of the finer grid's cells.
    width
        Protection width in persons (default: half the threshold, rounded up).

    Returns
    -------
    AuditResult
        Every hidden value's interval; ``.pinned`` lists the disclosed ones.

    Raises
    ------
    InputError
        If a folder holds no run, or the runs' figures contradict each other.
    """
    paths = [Path(r) for r in runs]
    systems, thresholds = [], []
    for k, path in enumerate(paths):
        system, threshold = _read_run(path, f"{path.name}: " if len(paths) > 1 else "")
        systems.append(system)
        thresholds.append(threshold)
        del k
    system = link_grids(combine(systems)) if len(systems) > 1 else systems[0]
    threshold = max(thresholds)
    w = protection_width(threshold) if width is None else float(width)
    table = intervals(system, threshold=threshold, width=w)
    return AuditResult(
        runs=paths,
        threshold=threshold,
        width=w,
        table=table,
        small=published_small(system, threshold),
    )


def published_small(system: System, threshold: int) -> pd.DataFrame:
    """Return published counts the primary rule should have hidden (see :mod:`~.rules`).

    Counts of 1 to ``threshold - 1`` (cells, sub-groups, indicator counts, area and zone
    populations), empty sub-groups of a populated cell, and numerators that leave fewer
    than ``threshold`` persons of their denominator without the trait.
    """
    from geoloft.disclosure.rules import primary_numerators, primary_subgroups

    x = system.x
    shown = ~system.hidden & ~np.isnan(x)
    bad = shown & (x > 0) & (x < threshold)
    sub = np.isin(system.column, [C.POP_MAL, C.POP_FEM]) & shown
    bad |= sub & primary_subgroups(x, threshold)
    order = np.flatnonzero(system.fig_kind == "order")
    for r in order:  # d - n >= 0 rows name one numerator and one denominator
        idx, coef = system.A[r].indices, system.A[r].data
        n, d = idx[coef < 0], idx[coef > 0]
        if n.size == 1 and d.size == 1 and shown[n[0]] and shown[d[0]]:
            hide_n, _ = primary_numerators(x[n], x[d], threshold)
            bad[n[0]] |= bool(hide_n[0])
    labels = list(system.keys[bad])
    values = list(x[bad])
    figs = ~system.fig_hidden & system.fig_target & (system.f > 0) & (system.f < threshold)
    labels += list(system.fig_label[figs])
    values += list(system.f[figs])
    return pd.DataFrame({"label": labels, "value": values})
