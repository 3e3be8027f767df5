"""Secondary suppression over a run's whole linear model.

Two passes, in the spirit of SSB's GaussSuppression and of tau-ARGUS' hypercube and
linear-programming methods (reimplemented here, not copied):

1. **Row pass** (vectorised, any size): every published figure that involves a hidden
   small count must hide enough other persons that each such count can still move by
   the protection width; where it does not, the published count in that figure that
   hides the fewest persons (and at least the width) is hidden too. Repeated until no
   figure fails.
2. **Audit pass** (up to :data:`LP_LIMIT` hidden counts): the audit's linear programmes
   find counts still pinned by combinations of figures (differencing, peeling, zone minus
   members, rates against the reference); for each, the cheapest published count sharing
   a figure with it is hidden, until the audit finds nothing.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd
from scipy import sparse

from geoloft.disclosure.audit import intervals
from geoloft.disclosure.model import System

__all__ = ["LP_LIMIT", "protect_system"]

#: Largest number of hidden counts for which the audit pass runs inside protection.
LP_LIMIT = 4000
_ROUNDS = 60


def _ours(system: System, rows: np.ndarray) -> np.ndarray:
    """Which of ``rows`` this run publishes (and so can withhold): not public facts."""
    own = np.isin(system.fig_kind[rows], ("area", "zone", "rate", "total", "access"))
    return own if system.fig_fixed is None else own & ~system.fig_fixed[rows]


def _usable(system: System) -> np.ndarray:
    """Return the counts this run may hide: known, positive, not fixed elsewhere."""
    usable = ~np.isnan(system.x) & (system.x > 0)
    return usable if system.fixed is None else usable & ~system.fixed


def _row_pass(system: System, width: float) -> int:
    """Hide counts until every published figure leaves each hidden small count room."""
    matrix = system.A.tocsr()
    abs_a = abs(matrix).tocsr()
    x = np.nan_to_num(system.x)
    usable = _usable(system)
    added = 0
    # numerator <= denominator is a public inequality, not a published equation: it
    # cannot pin a count on its own (the audit pass weighs it with the rest)
    equation = system.fig_kind != "order"
    pub = ~system.fig_hidden
    targets = system.fig_hidden & system.fig_target
    for _ in range(_ROUNDS):
        h = system.hidden.astype(np.float64)
        p = (system.primary & system.hidden).astype(np.float64)
        slack = abs_a @ (h * x) + 2 * system.tol
        need = (abs_a @ sparse.diags(p * (x + width))).max(axis=1).toarray().ravel()
        has_primary = (abs_a @ p) > 0
        bad = pub & equation & has_primary & (slack < need - 1e-9)
        bad |= targets & ((abs_a @ (h * x)) < width)
        rows = np.flatnonzero(bad)
        if not rows.size:
            break
        sub = matrix[rows].tocoo()
        cand = pd.DataFrame(
            {
                "row": sub.row,
                "var": sub.col,
                "mass": np.abs(sub.data) * x[sub.col],
                "cost": x[sub.col],
            }
        )
        cand = cand[~system.hidden[cand["var"]] & usable[cand["var"]]]
        if cand.empty:
            system.fig_hidden[rows[_ours(system, rows)]] = True
            pub = ~system.fig_hidden
            break
        deficit = (need - slack)[rows]
        cand["enough"] = cand["mass"].to_numpy() >= np.maximum(deficit[cand["row"]], width)
        cand = cand.sort_values(["row", "enough", "cost"], ascending=[True, False, True])
        pick = cand.drop_duplicates("row")["var"].to_numpy()
        done = set(np.unique(cand["row"]).tolist())
        orphan = np.array([r for r in range(rows.size) if r not in done], dtype=np.int64)
        if orphan.size:
            system.fig_hidden[rows[orphan][_ours(system, rows[orphan])]] = True
            pub = ~system.fig_hidden
        system.hidden[np.unique(pick)] = True
        added += int(np.unique(pick).size)
    return added


def _cheapest(cols: np.ndarray, x: np.ndarray, width: float) -> int:
    """Return the count that hides the fewest persons, preferring one of ``width`` or more."""
    big = cols[x[cols] >= width]
    pool = big if big.size else cols
    return int(pool[np.argmin(x[pool])])


def _lp_pass(system: System, threshold: int, width: float, accepted: Collection[str] = ()) -> int:
    """Hide counts until the audit finds no hidden small count pinned.

    For each pinned count the figures that pin it are the binding rows of its linear
    programmes; in those, the published count that hides the fewest persons (at least the
    protection width) is hidden. Without one, the binding figures themselves are withheld.
    Counts labelled in ``accepted`` are pinned by figures nothing can change; not chased.
    """
    x = np.nan_to_num(system.x)
    usable = _usable(system)
    # the true values are a feasible point unless some hidden count is unknown
    start = None if np.isnan(system.x[system.hidden]).any() else system.x
    added = 0
    before: set[str] = set()
    for _ in range(_ROUNDS):
        found = intervals(system, threshold=threshold, width=width, start=start)
        pinned = found[found["pinned"] & ~found["label"].isin(list(accepted))]
        if pinned.empty:
            break
        picks: set[int] = set()
        again = set(pinned["label"]) & before
        before = set(pinned["label"])
        for _, hit in pinned.iterrows():
            rows = np.asarray(hit["binding"], dtype=np.int64)
            if int(hit["var"]) < 0:
                fig = np.flatnonzero(system.fig_label == hit["label"])
                rows = np.r_[rows, fig]
            rows = rows[system.fig_kind[rows] != "order"] if rows.size else rows
            cols = np.unique(system.A[rows].indices) if rows.size else np.zeros(0, np.int64)
            cols = cols[~system.hidden[cols] & usable[cols]]
            if not cols.size:
                system.fig_hidden[rows[_ours(system, rows)]] = True
                continue
            if hit["label"] in again:  # still pinned: one more count in every binding figure
                for r in rows:
                    own = system.A[r].indices
                    own = own[~system.hidden[own] & usable[own]]
                    if own.size:
                        picks.add(int(_cheapest(own, x, width)))
                continue
            picks.add(int(_cheapest(cols, x, width)))
        if picks:
            system.hidden[list(picks)] = True
            added += len(picks)
    return added


def protect_system(
    system: System,
    *,
    threshold: int,
    width: float,
    primary: np.ndarray | None = None,
    accepted: Collection[str] = (),
) -> dict[str, int]:
    """Choose secondary suppression in place; ``system.hidden`` must hold the primary set.

    Parameters
    ----------
    system
        The model; ``fixed`` and ``fig_fixed`` mark what may not change.
    threshold, width
        Persons: the primary threshold and the protection width.
    primary
        The hidden counts that may be small (default: every hidden one).
    accepted
        Labels of counts already pinned by figures nothing can change (an earlier
        publication alone): not chased.

    Returns
    -------
    dict
        ``secondary`` counts hidden, ``figures_hidden`` figures withheld beyond the
        primary ones, and whether the audit pass ran (``audited`` 1/0).
    """
    system.primary = system.hidden.copy() if primary is None else primary & system.hidden
    before = int(system.fig_hidden.sum())
    if 0 in system.A.shape:  # nothing published that involves a count (no grid, no table)
        return {"secondary": 0, "row_pass": 0, "audit_pass": 0, "figures_hidden": 0, "audited": 1}
    n_row = _row_pass(system, width)
    audited = int(system.hidden.sum()) <= LP_LIMIT
    n_lp = _lp_pass(system, threshold, width, accepted) if audited else 0
    return {
        "secondary": int((system.hidden & ~system.primary).sum()),
        "row_pass": n_row,
        "audit_pass": n_lp,
        "figures_hidden": int(system.fig_hidden.sum()) - before,
        "audited": int(audited),
    }
