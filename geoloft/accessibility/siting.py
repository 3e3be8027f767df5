"""Where new facilities reach most: maximal covering and p-median siting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoloft import columns as C
from geoloft.accessibility._inputs import (
    DIST,
    cell_points,
    cell_size_of,
    check_crs,
    facility_points,
)
from geoloft.accessibility._solve import (
    MIP_GAP,
    Problem,
    Solution,
    greedy_swap,
    lagrangian_bound,
    local_search,
    solve_exact,
)
from geoloft.accessibility.distance import Network, nearest, pairs_within
from geoloft.errors import InputError
from geoloft.grid import corners_to_ssbid
from geoloft.report import StageReport

__all__ = ["SITE_ID", "SitingResult", "candidate_cells", "choose_sites"]

#: Id of a candidate site (text).
SITE_ID: Final = "site_id"
#: Persons not yet within reach whom a chosen site brings within ``distance``.
POP_ADDED: Final = "pop_added"
#: Persons for whom a chosen site becomes the nearest facility.
POP_SERVED: Final = "pop_served"
#: Per cell: the chosen site that becomes its nearest facility (counts it in ``pop_served``).
SITE_SERVED: Final = "site_served"
#: Per cell: the chosen site that brings it within reach (counts it in ``pop_added``).
SITE_ADDED: Final = "site_added"
#: Order in which the site was chosen (1 = adds most).
SITE_RANK: Final = "site_rank"
#: Pairs (demand cells x candidates) up to which the exact solver is used.
EXACT_PAIRS: Final = 400_000
#: Pairs up to which the LP relaxation (the bound of the heuristic) is solved.
BOUND_PAIRS: Final = 3_000_000

Objective = Literal["coverage", "p-median"]
Method = Literal["auto", "exact", "heuristic"]


@dataclass
class SitingResult:
    """The chosen sites and how good the choice is.

    Attributes
    ----------
    sites
        The chosen candidates (points, EPSG:25833): ``site_id``, ``site_rank``,
        ``pop_added`` (persons not yet within ``distance`` whom the site brings
        within it, each counted for the nearest chosen site) and ``pop_served``
        (persons for whom it becomes the nearest facility); ``pop_added`` only
        when a ``distance`` is given.
    objective
        ``"coverage"`` or ``"p-median"``.
    value
        Coverage: persons newly within ``distance``. p-median: person-metres
        (sum of each resident's distance to the nearest facility) after siting.
    before
        The same measure before siting (0 for coverage; ``inf`` for p-median when
        some residents had no facility to reach).
    bound
        Best possible value proven (upper for coverage, lower for p-median), or ``None``.
    gap
        Relative optimality gap, ``|bound - value| / max(|bound|, |value|)``;
        0 means proven optimal, ``None`` unknown.
    method
        ``"exact"`` (HiGHS MILP) or ``"greedy+swap"``.
    report
        Counts and facts worth reporting.
    cells
        Per demand cell (aligned to the cells given): ``site_served``, the chosen site
        that becomes its nearest facility, and ``site_added``, the one that brings it
        within ``distance`` (text, missing where none): the cells behind each site's
        ``pop_served`` and ``pop_added``.
    """

    sites: gpd.GeoDataFrame
    objective: str
    value: float
    before: float
    bound: float | None
    gap: float | None
    method: str
    report: StageReport = field(default_factory=lambda: StageReport("choose_sites"))
    cells: pd.DataFrame | None = None


def candidate_cells(
    within: gpd.GeoDataFrame, cell_size: int, *, id_column: str | None = None
) -> gpd.GeoDataFrame:
    """Return the centres of all SSB cells whose centre lies inside ``within``.

    Parameters
    ----------
    within
        Polygons in EPSG:25833, such as the intervention areas.
    cell_size
        Cell size in metres of the SSB lattice to use (populated or not).
    id_column
        Column of ``within`` copied to each candidate (e.g. ``zone_id``).

    Returns
    -------
    geopandas.GeoDataFrame
        Points with ``site_id`` (the cell's SSB id as text) and ``id_column``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> zone = gpd.GeoDataFrame(geometry=[shapely.box(0, 6650000, 500, 6650500)],
    ...                         crs="EPSG:25833")
    >>> candidate_cells(zone, 250).geometry.x.tolist()
    [125.0, 375.0, 125.0, 375.0]
    """
    check_crs(within, "candidate areas")
    parts: list[pd.DataFrame] = []
    half = cell_size / 2
    for row, geom in enumerate(within.geometry.to_numpy()):
        if geom is None or geom.is_empty:
            continue
        x0, y0, x1, y1 = geom.bounds
        xs = np.arange(np.floor(x0 / cell_size), np.ceil(x1 / cell_size)) * cell_size + half
        ys = np.arange(np.floor(y0 / cell_size), np.ceil(y1 / cell_size)) * cell_size + half
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        inside = shapely.contains_xy(geom, gx, gy)
        parts.append(pd.DataFrame({"x": gx[inside], "y": gy[inside], "_row": row}))
    table = (
        pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["x", "y", "_row"])
    )
    table = table.drop_duplicates(["x", "y"])
    ids = corners_to_ssbid(table["x"].to_numpy() - half, table["y"].to_numpy() - half)
    out = gpd.GeoDataFrame(
        {SITE_ID: np.asarray(ids).astype(str)},
        geometry=gpd.points_from_xy(table["x"], table["y"]),
        crs=C.WORKING_CRS,
    )
    if id_column is not None:
        out[id_column] = within[id_column].to_numpy()[table["_row"].to_numpy(dtype=int)]
    return out


def choose_sites(
    cells: pd.DataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    k: int,
    distance: float | None = None,
    objective: Objective = "coverage",
    network: Network | None = None,
    pop: str = C.POP_TOT,
    method: Method = "auto",
    time_limit: float = 60.0,
    id_column: str | None = None,
) -> SitingResult:
    """Choose ``k`` new sites that reach the most residents not yet within reach.

    ``"coverage"`` (maximal covering location, Church & ReVelle 1974) maximises
    the residents within ``distance`` of a new site among those farther than
    ``distance`` from every existing facility. ``"p-median"`` (Hakimi 1964;
    ReVelle & Swain 1970) minimises the population-weighted distance to the
    nearest facility, existing or new.

    Parameters
    ----------
    cells
        Grid cells with ``ssbid``, cell size and ``pop``; with ``dist_nearest``
        (from :func:`~geoloft.accessibility.access`) existing facilities count, without
        it there are none.
    candidates
        Candidate sites (points, EPSG:25833), e.g. from :func:`candidate_cells`
        or :func:`geoloft.read_measures`.
    k
        Number of new sites (at least 1).
    distance
        Reach in metres; required for ``"coverage"``.
    objective
        ``"coverage"`` or ``"p-median"``.
    network
        Distances along this network; ``None``: straight lines.
    pop
        Population column (persons).
    method
        ``"exact"`` (mixed-integer programme solved by HiGHS), ``"heuristic"``
        (greedy, then best swaps; the LP relaxation bounds the gap) or
        ``"auto"``: exact up to :data:`EXACT_PAIRS` cell-candidate pairs.
    time_limit
        Seconds the exact solver may use; its best solution and bound so far are
        returned when it runs out.
    id_column
        Candidate id column; by default ``site_id``/``measure_id``, else the row number.

    Returns
    -------
    SitingResult

    Raises
    ------
    InputError
        ``k`` below 1, no candidates, or ``"coverage"`` without ``distance``.
    """
    _check(k, distance, objective, candidates)
    xy, people = cell_points(cells, pop)
    column = id_column or (SITE_ID if SITE_ID in candidates.columns else None)
    cand_xy, ids, _ = facility_points(candidates, column)
    current = (
        cells[DIST].to_numpy(dtype=float) if DIST in cells.columns else np.full(len(xy), np.inf)
    )
    weight = people.fillna(0.0).to_numpy()
    problem = _problem(xy, weight, current, cand_xy, distance, objective, network)
    solution = _solve(problem, k, method, time_limit)
    people_at = (xy, weight, current)
    sites, links = _sites(candidates, ids, cand_xy, solution.chosen, distance, people_at, network)
    links.index = cells.index
    lived = weight > 0
    if problem.coverage:
        before = 0.0
    elif not np.isfinite(current[lived]).all():  # someone had no facility at all
        before = np.inf
    else:
        before = float(weight[lived] @ current[lived])
    report = StageReport(
        stage="choose_sites",
        source="candidates",
        rows_in=len(candidates),
        rows_out=len(sites),
        notes={
            "objective": objective,
            "k": k,
            "distance_m": distance,
            "demand cells": len(problem.weight),
            "cell-candidate pairs": len(problem.row),
            "method": solution.method,
            "gap": solution.gap,
            "cell_size": cell_size_of(cells),
        },
    )
    return SitingResult(
        sites=sites,
        objective=objective,
        value=solution.objective,
        before=before,
        bound=solution.bound,
        gap=solution.gap,
        method=solution.method,
        report=report,
        cells=links,
    )


def _check(k: int, distance: float | None, objective: str, candidates: gpd.GeoDataFrame) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k must be a whole number of sites, at least 1; got {k!r}.", source="k")
    if objective not in ("coverage", "p-median"):
        raise InputError(
            f"unknown objective {objective!r}.",
            source="objective",
            hint="use coverage or p-median.",
        )
    if objective == "coverage" and (distance is None or distance <= 0):
        raise InputError(
            "maximal covering needs the reach in metres.",
            source="distance",
            hint="give distance=, e.g. 500.",
        )
    if not len(candidates):
        raise InputError(
            "there are no candidate sites.",
            source="candidates",
            hint="give a candidate file, or areas whose cells can hold a new site.",
        )


def _problem(
    xy: np.ndarray,
    weight: np.ndarray,
    current: np.ndarray,
    cand_xy: np.ndarray,
    distance: float | None,
    objective: str,
    network: Network | None,
) -> Problem:
    """Build the pair form over demand cells (persons > 0 who can gain)."""
    if objective == "coverage":
        assert distance is not None
        demand = np.flatnonzero((weight > 0) & ~(current <= distance))
        pairs = pairs_within(xy[demand], cand_xy, float(distance), network=network)
        used = np.unique(pairs.cell)
        rows = np.searchsorted(used, pairs.cell)
        problem = Problem(weight[demand][used], rows, pairs.facility, pairs.distance,
                          np.ones(len(used)), len(cand_xy), coverage=True)  # fmt: skip
        return problem
    demand = np.flatnonzero(weight > 0)
    finite = current[demand][np.isfinite(current[demand])]
    limit = float(finite.max()) if len(finite) == len(demand) and len(finite) else np.inf
    pairs = pairs_within(xy[demand], cand_xy, limit, network=network)
    cur = current[demand]
    big = 10.0 * max(float(pairs.distance.max()) if len(pairs.distance) else 0.0,
                     float(finite.max()) if len(finite) else 0.0) + 1.0  # fmt: skip
    cur = np.where(np.isfinite(cur), cur, big)
    better = pairs.distance < cur[pairs.cell]
    problem = Problem(weight[demand], pairs.cell[better], pairs.facility[better],
                      pairs.distance[better], cur, len(cand_xy), coverage=False)  # fmt: skip
    return problem


def _solve(problem: Problem, k: int, method: str, time_limit: float) -> Solution:
    """Greedy + swap with a bound; then HiGHS on what the bound leaves open, if asked or small."""
    m = problem.n_candidates
    k = min(k, m)
    chosen = greedy_swap(problem, k)
    value = problem.value(chosen)
    if k == m:
        return Solution(chosen, value, value, "exact")
    keep, fixed, bound = np.ones(m, dtype=bool), np.zeros(m, dtype=bool), None
    if problem.coverage:
        if len(problem.row) <= BOUND_PAIRS:
            lp = solve_exact(problem, k, time_limit=time_limit, relax=True)
            bound = None if lp is None else max(lp.bound or value, value)
    else:
        lagrange = lagrangian_bound(problem, k, value)
        other = local_search(problem, lagrange.start)  # Beasley's Lagrangian heuristic
        if problem.value(other) < value:
            chosen, value = other, problem.value(other)
        bound = min(lagrange.bound, value)
        keep, fixed = ~lagrange.excluded, lagrange.fixed
    heuristic = Solution(chosen, value, bound, "greedy+swap")
    gap = heuristic.gap
    if method == "heuristic" or (gap is not None and gap <= MIP_GAP):
        return heuristic
    sub, numbers, opened = _reduce(problem, keep, fixed)
    if method == "auto" and len(sub.row) > EXACT_PAIRS:
        return heuristic
    found = None
    if k - len(opened) > 0 and sub.n_candidates:
        found = solve_exact(sub, k - len(opened), time_limit=time_limit)
    if found is None:
        return heuristic
    exact_chosen = np.concatenate([opened, numbers[found.chosen]])
    found = Solution(exact_chosen, problem.value(exact_chosen), found.bound, found.method)
    exact_value = found.objective
    better = exact_value > value if problem.coverage else exact_value < value
    best_chosen, best_value = (found.chosen, exact_value) if better else (chosen, value)
    proven = found.bound
    if proven is not None and bound is not None:
        proven = min(proven, bound) if problem.coverage else max(proven, bound)
    if proven is not None:  # the bound never passes the best value found
        proven = max(proven, best_value) if problem.coverage else min(proven, best_value)
    return Solution(best_chosen, best_value, proven, "exact")


def _reduce(
    problem: Problem, keep: np.ndarray, fixed: np.ndarray
) -> tuple[Problem, np.ndarray, np.ndarray]:
    """Drop ruled-out candidates; open the fixed ones (p-median: they lower each current distance).

    Returns the smaller problem over the free candidates, their original numbers
    and the fixed candidates' numbers.
    """
    opened = np.flatnonzero(fixed & keep).astype(np.int64)
    if problem.coverage or not len(opened):
        sub, numbers = problem.restrict(keep)
        return sub, numbers, np.array([], dtype=np.int64)
    current = problem.best_saving(opened)
    current = problem.current - current
    free = keep & ~fixed
    useful = free[problem.col] & (problem.distance < current[problem.row])
    lower = Problem(problem.weight, problem.row[useful], problem.col[useful],
                    problem.distance[useful], current, problem.n_candidates, False)  # fmt: skip
    sub, numbers = lower.restrict(free)
    return sub, numbers, opened


def _sites(
    candidates: gpd.GeoDataFrame,
    ids: pd.Series,
    cand_xy: np.ndarray,
    chosen: np.ndarray,
    distance: float | None,
    people: tuple[np.ndarray, np.ndarray, np.ndarray],
    network: Network | None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return the chosen candidates with the persons each adds and serves, and per cell its site."""
    xy, weight, current = people
    out = candidates.iloc[chosen].copy()
    out[SITE_ID] = ids.to_numpy()[chosen]
    lived = np.flatnonzero(weight > 0)
    d_new, which = nearest(xy[lived], cand_xy[chosen], network=network)
    w, cur = weight[lived], current[lived]
    closer = (d_new < cur) & (which >= 0)
    out[POP_SERVED] = np.bincount(which[closer], weights=w[closer], minlength=len(chosen))
    site = np.asarray(out[SITE_ID].astype(str).to_numpy(), dtype=object)
    links = pd.DataFrame({SITE_SERVED: pd.Series(pd.NA, index=range(len(xy)), dtype="string")})
    links.loc[lived[closer], SITE_SERVED] = site[which[closer]]
    rank_by = POP_SERVED
    if distance is not None:
        new = closer & (d_new <= distance) & ~(cur <= distance)
        out[POP_ADDED] = np.bincount(which[new], weights=w[new], minlength=len(chosen))
        links[SITE_ADDED] = pd.Series(pd.NA, index=links.index, dtype="string")
        links.loc[lived[new], SITE_ADDED] = site[which[new]]
        rank_by = POP_ADDED
    out[SITE_RANK] = out[rank_by].rank(method="first", ascending=False).astype(np.int64)
    return out.sort_values(SITE_RANK), links


def describe(result: SitingResult) -> dict[str, Any]:
    """Return the result's headline numbers (for reports and run.json)."""
    return {
        "objective": result.objective,
        "value": result.value,
        "before": result.before,
        "bound": result.bound,
        "gap": result.gap,
        "method": result.method,
        "sites": len(result.sites),
    }
