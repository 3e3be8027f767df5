"""Solvers for siting: exact MILP with HiGHS (scipy.optimize.milp) and greedy + swap.

Both problems are written as choosing ``k`` of ``m`` candidates to maximise
``sum_i w_i * max_{j in S} s_ij`` over a sparse non-negative saving matrix
``s`` (demand x candidate): for maximal covering ``s_ij = 1`` when candidate
``j`` reaches demand ``i``; for p-median ``s_ij = c_i - d_ij`` where ``c_i`` is
the demand's current distance. The heuristic works on that form; the exact
models use the classic formulations (Church & ReVelle 1974 for maximal
covering, ReVelle & Swain 1970 for p-median), as spopt does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Relative gap at which HiGHS stops and calls a solution optimal.
MIP_GAP: Final = 1e-6
#: Swap rounds of the local search, at most.
MAX_ROUNDS: Final = 200


@dataclass(frozen=True)
class Problem:
    """A siting problem in pair form: demand rows, candidate columns, distances and weights."""

    weight: FloatArray  # persons per demand row
    row: IntArray  # pair -> demand row
    col: IntArray  # pair -> candidate
    distance: FloatArray  # pair -> metres
    current: FloatArray  # demand -> current distance (metres; p-median), or 0/1 (coverage)
    n_candidates: int
    coverage: bool

    @property
    def saving(self) -> FloatArray:
        """Saving of each pair: 1 (coverage) or current - distance (p-median)."""
        if self.coverage:
            return np.ones(len(self.row))
        return self.current[self.row] - self.distance

    def value(self, chosen: IntArray) -> float:
        """Objective of a set: persons covered, or person-metres after opening ``chosen``."""
        best = self.best_saving(chosen)
        if self.coverage:
            return float(self.weight @ (best > 0))
        return float(self.weight @ (self.current - best))

    def restrict(self, keep: npt.NDArray[np.bool_]) -> tuple[Problem, IntArray]:
        """Return the problem over the candidates in ``keep`` and their original numbers."""
        numbers = np.flatnonzero(keep).astype(np.int64)
        new = np.full(self.n_candidates, -1, dtype=np.int64)
        new[numbers] = np.arange(len(numbers))
        on = keep[self.col]
        sub = Problem(self.weight, self.row[on], new[self.col[on]], self.distance[on],
                      self.current, len(numbers), self.coverage)  # fmt: skip
        return sub, numbers

    def best_saving(self, chosen: IntArray) -> FloatArray:
        """Largest saving per demand row over the chosen candidates (0 where none)."""
        on = np.isin(self.col, chosen)
        best = np.zeros(len(self.weight))
        np.maximum.at(best, self.row[on], self.saving[on])
        return best


@dataclass(frozen=True)
class Solution:
    """Chosen candidates, objective, a bound on the best objective, and how it was found."""

    chosen: IntArray
    objective: float
    bound: float | None
    method: str

    @property
    def gap(self) -> float | None:
        """Relative optimality gap (0: proven optimal), ``None`` when no bound is known."""
        if self.bound is None:
            return None
        scale = max(abs(self.bound), abs(self.objective), 1e-12)
        return max(0.0, abs(self.bound - self.objective) / scale)


def greedy_swap(problem: Problem, k: int) -> IntArray:
    """Choose ``k`` candidates greedily, then improve by best swaps until none helps.

    The swap step is the vertex substitution of Teitz & Bart (1968); gains are
    computed for every candidate at once from the sparse savings.
    """
    saving = problem.saving
    w = problem.weight
    m = problem.n_candidates
    best = np.zeros(len(w))
    chosen: list[int] = []
    for _ in range(min(k, m)):
        gain = np.bincount(
            problem.col,
            weights=w[problem.row] * np.maximum(saving - best[problem.row], 0),
            minlength=m,
        )
        gain[chosen] = -np.inf
        j = int(np.argmax(gain))
        chosen.append(j)
        on = problem.col == j
        np.maximum.at(best, problem.row[on], saving[on])
    return local_search(problem, np.asarray(chosen, dtype=np.int64))


def local_search(problem: Problem, start: IntArray) -> IntArray:
    """Improve a set of candidates by best swaps until none helps."""
    saving = problem.saving
    picked = np.asarray(start, dtype=np.int64)
    for _ in range(MAX_ROUNDS):
        swap = _best_swap(problem, picked, saving)
        if swap is None:
            break
        out, into = swap
        picked = np.where(picked == out, into, picked)
    return picked


def _best_swap(problem: Problem, picked: IntArray, saving: FloatArray) -> tuple[int, int] | None:
    """Return the (out, in) swap that raises the total saving most, or ``None``."""
    w, m = problem.weight, problem.n_candidates
    n, k = len(w), len(picked)
    if k == 0 or k >= m:
        return None
    slot = np.full(m, -1)
    slot[picked] = np.arange(k)
    on = slot[problem.col] >= 0
    table = np.zeros((n, k))
    table[problem.row[on], slot[problem.col[on]]] = saving[on]
    order = np.argsort(-table, axis=1)
    first = table[np.arange(n), order[:, 0]]
    second = table[np.arange(n), order[:, 1]] if k > 1 else np.zeros(n)
    current = float(w @ first)
    best_gain, best_pair = 1e-9 * max(current, 1.0), None
    for pos, out in enumerate(picked):
        without = np.where(order[:, 0] == pos, second, first)
        gain = np.bincount(
            problem.col,
            weights=w[problem.row] * np.maximum(saving - without[problem.row], 0),
            minlength=m,
        )
        gain[picked] = -np.inf
        j = int(np.argmax(gain))
        total = float(w @ without) + gain[j]
        if total - current > best_gain:
            best_gain, best_pair = total - current, (int(out), j)
    return best_pair


def solve_exact(
    problem: Problem,
    k: int,
    *,
    time_limit: float,
    relax: bool = False,
    fixed: npt.NDArray[np.bool_] | None = None,
) -> Solution | None:
    """Solve with HiGHS; ``relax`` solves the LP relaxation (the bound). ``None``: no solution.

    ``fixed`` marks candidates that must be open.
    """
    if problem.coverage:
        c, a, lb, ub, n_x = _coverage_model(problem, k)
    else:
        c, a, lb, ub, n_x = _median_model(problem, k)
    n_var = len(c)
    integrality = np.zeros(n_var)
    lower = np.zeros(n_var)
    if fixed is not None:
        lower[:n_x] = fixed
    if not relax:
        integrality[:n_x] = 1
    res = milp(
        c,
        constraints=[LinearConstraint(a, lb, ub)],
        integrality=integrality,
        bounds=Bounds(lower, 1),
        options={"time_limit": float(time_limit), "mip_rel_gap": MIP_GAP},
    )
    sign = -1.0 if problem.coverage else 1.0  # the coverage model minimises -covered
    if res.x is None:
        return None
    if relax:
        relaxed = sign * float(res.fun)
        return Solution(np.array([], dtype=np.int64), relaxed, relaxed, "lp")
    chosen = np.flatnonzero(res.x[:n_x] > 0.5).astype(np.int64)
    dual = getattr(res, "mip_dual_bound", None)
    bound = None if dual is None or not np.isfinite(dual) else sign * float(dual)
    return Solution(chosen, problem.value(chosen), bound, "exact")


def _coverage_model(
    problem: Problem, k: int
) -> tuple[FloatArray, sparse.csr_matrix, FloatArray, FloatArray, int]:
    """Maximal covering: max sum w_i y_i, y_i <= sum_j a_ij x_j, sum x = k (x first)."""
    m, n = problem.n_candidates, len(problem.weight)
    c = np.concatenate([np.zeros(m), -problem.weight])
    cover = sparse.coo_matrix(
        (-np.ones(len(problem.row)), (problem.row, problem.col)), shape=(n, m)
    )
    a = sparse.vstack(
        [
            sparse.hstack([cover, sparse.identity(n)]),
            sparse.hstack([sparse.coo_matrix(np.ones((1, m))), sparse.coo_matrix((1, n))]),
        ]
    ).tocsr()
    lb = np.concatenate([np.full(n, -np.inf), [k]])
    ub = np.concatenate([np.zeros(n), [k]])
    return c, a, lb, ub, m


def _median_model(
    problem: Problem, k: int
) -> tuple[FloatArray, sparse.csr_matrix, FloatArray, FloatArray, int]:
    """p-median with a 'stay' option at the current distance (x, then z per pair, then stay)."""
    m, n, p = problem.n_candidates, len(problem.weight), len(problem.row)
    w = problem.weight
    c = np.concatenate([np.zeros(m), w[problem.row] * problem.distance, w * problem.current])
    pair = np.arange(p)
    assign = sparse.hstack(
        [sparse.coo_matrix((n, m)), sparse.coo_matrix((np.ones(p), (problem.row, pair)), (n, p)),
         sparse.identity(n)]
    )  # fmt: skip
    link = sparse.hstack(
        [sparse.coo_matrix((-np.ones(p), (pair, problem.col)), (p, m)), sparse.identity(p),
         sparse.coo_matrix((p, n))]
    )  # fmt: skip
    count = sparse.hstack([sparse.coo_matrix(np.ones((1, m))), sparse.coo_matrix((1, p + n))])
    a = sparse.vstack([assign, link, count]).tocsr()
    lb = np.concatenate([np.ones(n), np.full(p, -np.inf), [k]])
    ub = np.concatenate([np.ones(n), np.zeros(p), [k]])
    return c, a, lb, ub, m


@dataclass(frozen=True)
class Lagrangian:
    """A lower bound of a p-median problem and the candidates it rules in or out."""

    bound: float
    excluded: npt.NDArray[np.bool_]  # open in no solution better than ``upper``
    fixed: npt.NDArray[np.bool_]  # open in every solution better than ``upper``
    start: IntArray  # the candidates open at the best multipliers (a start for local search)


def lagrangian_bound(
    problem: Problem, k: int, upper: float, *, iterations: int = 2000
) -> Lagrangian:
    """Bound a p-median problem from below by Lagrangian relaxation (Beasley 1993).

    The assignment constraints are relaxed; subgradient optimisation of the
    multipliers approaches the bound of the LP relaxation, which HiGHS needs
    far longer to reach on problems of this shape. Every iterate is a valid
    lower bound. With the best multipliers, the reduction tests of Beasley
    rule out candidates that cannot be part of a solution better than
    ``upper`` and fix those that must be.
    """
    w, row, col = problem.weight, problem.row, problem.col
    n, m = len(w), problem.n_candidates
    cost = w[row] * problem.distance
    stay = w * problem.current
    lam = stay.copy()
    np.minimum.at(lam, row, cost)
    best, step_scale, stall = -np.inf, 2.0, 0
    best_rho: FloatArray = np.zeros(m)
    for _ in range(iterations):
        reduced = np.minimum(cost - lam[row], 0.0)
        rho: FloatArray = np.bincount(col, weights=reduced, minlength=m).astype(np.float64)
        open_ = np.argpartition(rho, k - 1)[:k] if k < m else np.arange(m)
        stays = stay - lam < 0
        value = float(lam.sum() + np.minimum(stay - lam, 0.0).sum() + rho[open_].sum())
        if not np.isfinite(best) or value > best + 1e-9 * max(abs(best), 1.0):
            best, best_rho, stall = value, rho, 0
        else:
            stall += 1
            if stall >= 30:
                step_scale, stall = step_scale / 2, 0
        is_open = np.zeros(m, dtype=bool)
        is_open[open_] = True
        assigned = np.bincount(
            row, weights=((reduced < 0) & is_open[col]).astype(float), minlength=n
        )
        grad = 1.0 - stays - assigned
        norm = float(grad @ grad)
        if norm == 0 or step_scale < 1e-4 or upper - best <= 1e-7 * abs(upper):
            break
        lam = lam + step_scale * (upper - value) / norm * grad
    order = np.sort(best_rho)
    kth = order[k - 1]
    next_ = order[k] if k < m else np.inf
    chosen = best_rho <= kth
    margin = 1e-9 * max(abs(upper), 1.0)
    excluded = ~chosen & (best + best_rho - kth > upper + margin)
    fixed = chosen & (best - best_rho + next_ > upper + margin)
    start = np.argsort(best_rho, kind="stable")[:k].astype(np.int64)
    return Lagrangian(best, excluded, fixed, start)
