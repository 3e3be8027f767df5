"""Hot spots: local Getis-Ord Gi* with a false discovery rate, fast at national scale.

Gi* (Getis and Ord 1992; Ord and Getis 1995) compares the sum of a value over
a cell and its neighbours with what the whole study region would give::

    z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1)))

with binary weights that include the cell itself (``w_ii = 1``), ``W_i`` the
number of cells in the window, ``xbar`` and ``S`` the mean and (population)
standard deviation of all ``n`` values. This is esda's ``G_Local(star=True,
transform="B")`` z-score. P-values are two-sided and come, by default, from
conditional permutations (Anselin 1995), as many as the Benjamini-Hochberg
procedure needs to reach its first threshold (``2 m / alpha`` for ``m`` cells
tested), drawn once per neighbour count for all cells, so a national run takes
seconds. The normal approximation of the z-score is not used by default: on
skewed values with many small ones (population counts) the sum of nine cells is
far from normal, and on shuffled real grids it found false hot spots in most
shuffles (``scripts/null_hotspots.py``). The Benjamini-Hochberg procedure then
controls the false discovery rate over the cells tested.

Cells with no neighbour (a farm alone in a valley: a fifth of Norway's populated
250 m cells) are **not tested**: their window holds only themselves, so their
z-score is just their own standardised value, and esda would give the largest
of them the smallest p-values and call them hot spots. They get NaN z and p and
are never hot or cold spots; they still count in the mean and standard
deviation of the region. Use distance-band weights (``distance=``) to give
scattered cells neighbours instead.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from geoloft.columns import CELL_SIZE, SSBID
from geoloft.delineation.adjacency import band_adjacency, cell_adjacency
from geoloft.errors import SchemaError

__all__ = [
    "COLD",
    "GI_P",
    "GI_Q",
    "GI_Z",
    "HOT",
    "auto_permutations",
    "benjamini_hochberg",
    "getis_ord",
    "hotspots",
    "permutation_p",
]

GI_Z: str = "gi_z"  # Gi* z-score
GI_P: str = "gi_p"  # two-sided p-value
GI_Q: str = "gi_q"  # Benjamini-Hochberg adjusted p-value (q-value)
HOT: str = "hot_spot"
COLD: str = "cold_spot"
N_NEIGHBOURS: str = "n_neighbours"

FloatArray = npt.NDArray[np.float64]
#: Random draws per batch in permutation inference (memory ~ 8 bytes each).
BATCH_DRAWS = 4_000_000
#: Up to this many draws (nodes x permutations x neighbours, or x (nodes - 1) when
#: 4 k^2 > n and each draw orders all other values, see ``_draw``) each node's null is
#: drawn from exactly the other nodes' values; above it, one set of draws serves all nodes.
EXACT_WORK = 10_000_000


def benjamini_hochberg(p: npt.ArrayLike) -> FloatArray:
    """Return Benjamini-Hochberg adjusted p-values (q-values); NaN stays NaN.

    A cell is a discovery at false discovery rate ``alpha`` when its q-value is
    at most ``alpha`` (Benjamini and Hochberg 1995). NaN p-values are not
    counted among the tests.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, np.nan]).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = tested.size
    if not m:
        return q
    order = tested[np.argsort(p[tested], kind="stable")]
    scaled = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return q


def getis_ord(
    values: npt.ArrayLike,
    adjacency: sp.csr_array | sp.csr_matrix,
    *,
    permutations: int = 0,
    seed: int = 0,
) -> tuple[FloatArray, FloatArray]:
    """Return local Gi* z-scores and two-sided p-values on a binary graph.

    Parameters
    ----------
    values
        The variable, one value per node; NaN nodes are left out (as if absent).
    adjacency
        Symmetric binary adjacency without self-loops (from
        :func:`~geoloft.delineation.adjacency.cell_adjacency` and friends); each
        node's own value is added (Gi*, "star").
    permutations
        0 for analytic (normal) p-values; otherwise the number of conditional
        permutations (see :func:`permutation_p`): each node keeps its own value
        and its ``k`` neighbours are replaced by ``k`` values drawn without
        replacement from the other nodes. The p-value is two-sided,
        ``2 min(1 + #{sum >= observed}, 1 + #{sum <= observed}) / (permutations + 1)``,
        capped at 1.
    seed
        Seed of the permutation draws.

    Returns
    -------
    z, p : numpy.ndarray
        NaN for nodes without neighbours, nodes neighbouring every other node
        (their window is the whole region, so its sum cannot vary) and nodes
        with a NaN value.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> path = sp.csr_array(np.eye(5, k=1) + np.eye(5, k=-1))  # 0-1-2-3-4
    >>> z, p = getis_ord([1.0, 1.0, 1.0, 1.0, 9.0], path)
    >>> z.round(3).tolist()
    [-0.816, -1.225, -1.225, 0.816, 1.225]
    """
    x_all = np.asarray(values, dtype=np.float64)
    z = np.full(x_all.shape, np.nan)
    p = np.full(x_all.shape, np.nan)
    keep = np.flatnonzero(~np.isnan(x_all))
    edges = sp.csr_array(adjacency)[keep][:, keep].tocoo()
    off = (edges.row != edges.col) & (edges.data != 0)  # binary; the cell itself is added below
    n = keep.size
    graph = sp.csr_array((np.ones(int(off.sum())), (edges.row[off], edges.col[off])), shape=(n, n))
    graph.sum_duplicates()
    graph.data[:] = 1.0
    x = x_all[keep]
    degree = np.diff(graph.indptr)
    # two-pass (E[x^2] - E[x]^2 cancels for large values); a constant is 0 exactly, not
    # the rounding noise of its mean (0.1 repeated has no exact mean)
    std = float(np.std(x)) if n and x.min() < x.max() else 0.0
    tested = (degree > 0) & (degree < n - 1)  # a window of every node cannot vary
    if n < 3 or std <= 0 or not tested.any():
        return z, p
    lag = graph @ x + x
    window = degree + 1.0
    spread = std * np.sqrt(np.maximum(n * window - window**2, 0.0) / (n - 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        z_kept = (lag - x.mean() * window) / spread
    z_kept[~tested] = np.nan
    z[keep] = z_kept
    if permutations:
        p_kept = permutation_p(x, lag - x, np.where(tested, degree, 0), permutations, seed=seed)
    else:
        p_kept = 2.0 * stats.norm.sf(np.abs(z_kept))
    p_kept[~tested] = np.nan
    p[keep] = p_kept
    return z, p


def auto_permutations(n_tested: int, alpha: float) -> int:
    """Return enough conditional permutations for Benjamini-Hochberg to be reachable.

    With ``P`` permutations the smallest two-sided p-value is ``2 / (P + 1)``;
    the Benjamini-Hochberg procedure at rate ``alpha`` over ``m`` tests accepts
    its first discovery at ``alpha / m``. So ``P + 1 >= 2 m / alpha``, and at
    least 999.

    Examples
    --------
    >>> auto_permutations(2000, 0.05), auto_permutations(10, 0.05)
    (80000, 999)
    """
    return max(999, math.ceil(2.0 * n_tested / alpha))


def _subsets(rng: np.random.Generator, pool: int, k: int, size: int) -> npt.NDArray[np.int64]:
    """Draw ``size`` random ``k``-subsets of ``0..pool-1``: column ``j`` holds subset ``j``."""
    if 4 * k * k > pool:  # small pool: clashes are common, take k of a random order instead
        keys = rng.random((size, pool))
        return np.ascontiguousarray(np.argpartition(keys, k - 1, axis=1)[:, :k].T, np.int64)
    draws = rng.integers(0, pool, size=(k, size))
    while True:
        clash = np.zeros(size, dtype=bool)
        for a in range(1, k):
            for b in range(a):
                clash |= draws[a] == draws[b]
        if not clash.any():
            return draws
        cols = np.flatnonzero(clash)
        draws[:, cols] = rng.integers(0, pool, size=(k, cols.size))


def permutation_p(
    x: FloatArray,
    neighbour_sum: FloatArray,
    degree: npt.NDArray[np.int64],
    permutations: int,
    *,
    seed: int = 0,
) -> FloatArray:
    """Return two-sided conditional-permutation p-values of neighbour sums.

    The null hypothesis is complete spatial randomness of ``x`` (Anselin 1995):
    given its own value, a node's ``k`` neighbours are a random ``k``-subset
    of the other ``n - 1`` values. Small regions (``n * permutations * w``
    draws up to :data:`EXACT_WORK`, where ``w = k``, or ``n - 1`` when ``4 k^2 > n``
    and a draw orders all other values) draw each node's subsets from exactly those values.
    Larger ones draw as esda's conditional randomisation does: the same random
    subsets serve every node with the same number of neighbours (one set of
    ``permutations`` draws of ``kmax`` distinct positions; the first ``k`` of
    each serve degree ``k``), so millions of permutations stay fast: per degree
    the null sums are sorted once and every node is looked up in them. The
    positions index the *sorted* values with one value left out: leaving out the
    smallest gives sums at least as large as leaving out the node's own, leaving
    out the largest gives sums at most as large, so the upper tail is counted
    on the first and the lower tail on the second. Both p-values are then
    conservative (valid) for every node, and exact up to one value in ``n - 1``.

    Parameters
    ----------
    x
        All ``n`` values (no NaN).
    neighbour_sum
        Per node, the sum of its neighbours' values (own value excluded).
    degree
        Per node, its number of neighbours; 0 gives p = NaN.
    permutations
        Number of random subsets ``P`` per node; p-values are multiples of
        ``1 / (P + 1)``.
    seed
        Seed of the draws.

    Returns
    -------
    numpy.ndarray
        ``min(1, 2 min(1 + #{null >= observed}, 1 + #{null <= observed}) / (P + 1))``.
    """
    n = x.size
    p = np.full(n, np.nan)
    tested = degree > 0
    if not tested.any() or n < 2:
        return p
    kmax = int(min(degree[tested].max(), n - 1))
    tol = 1e-9 * float(np.abs(x).max()) * (kmax + 1)
    rng = np.random.default_rng(seed)
    width = n - 1 if 4 * kmax * kmax > n else kmax  # see _draw
    if n * permutations * width <= EXACT_WORK:
        upper, lower = _exact_counts(x, neighbour_sum, degree, permutations, rng, tol)
    else:
        upper, lower = _shared_counts(x, neighbour_sum, degree, permutations, rng, tol)
    p[tested] = np.minimum(
        2.0 * (np.minimum(upper[tested], lower[tested]) + 1.0) / (permutations + 1.0), 1.0
    )
    return p


def _draw(
    rng: np.random.Generator, n: int, cells: npt.NDArray[np.int64], k: int, batch: int
) -> npt.NDArray[np.int64]:
    """Draw ``k`` distinct indices in ``0..n-1`` other than each cell, ``batch`` times."""
    if 4 * k * k > n:  # small region: clashes are common, take k of a random order instead
        keys = rng.random((batch, cells.size, n - 1))
        draws = np.argpartition(keys, k - 1, axis=2)[:, :, :k]
        return draws + (draws >= cells[None, :, None])
    draws = rng.integers(0, n - 1, size=(batch, cells.size, k))
    draws += draws >= cells[None, :, None]  # skip the cell itself
    if k < 2:
        return draws
    while True:
        ordered = np.sort(draws, axis=2)
        clash = (ordered[:, :, 1:] == ordered[:, :, :-1]).any(axis=2)
        if not clash.any():
            return draws
        b, c = np.nonzero(clash)
        fresh = rng.integers(0, n - 1, size=(b.size, k))
        draws[b, c] = fresh + (fresh >= cells[c][:, None])


def _exact_counts(
    x: FloatArray,
    neighbour_sum: FloatArray,
    degree: npt.NDArray[np.int64],
    permutations: int,
    rng: np.random.Generator,
    tol: float,
) -> tuple[FloatArray, FloatArray]:
    """Count null sums at or above and at or below each node's, drawn per node."""
    n = x.size
    upper = np.zeros(n)
    lower = np.zeros(n)
    for k in np.unique(degree[degree > 0]):
        cells = np.flatnonzero(degree == k)
        k = min(int(k), n - 1)
        width = n - 1 if 4 * k * k > n else k
        batch = max(1, min(permutations, BATCH_DRAWS // (cells.size * width)))
        done = 0
        while done < permutations:
            size = min(batch, permutations - done)
            sums = x[_draw(rng, n, cells, k, size)].sum(axis=2)
            observed = neighbour_sum[cells]
            upper[cells] += (sums >= observed - tol).sum(axis=0)
            lower[cells] += (sums <= observed + tol).sum(axis=0)
            done += size
    return upper, lower


def _shared_counts(
    x: FloatArray,
    neighbour_sum: FloatArray,
    degree: npt.NDArray[np.int64],
    permutations: int,
    rng: np.random.Generator,
    tol: float,
) -> tuple[FloatArray, FloatArray]:
    """Count null sums at or above and at or below each node's, drawn once per degree."""
    n = x.size
    ranked = np.sort(x)
    tested = degree > 0
    capped = np.minimum(degree, n - 1)
    groups = [(int(k), np.flatnonzero(tested & (capped == k))) for k in np.unique(capped[tested])]
    kmax = groups[-1][0]
    upper = np.zeros(n)
    lower = np.zeros(n)
    width = n - 1 if 4 * kmax * kmax > n - 1 else kmax
    batch = max(1, min(permutations, BATCH_DRAWS // width))
    done = 0
    without_max, without_min = ranked[:-1], ranked[1:]
    while done < permutations:
        size = min(batch, permutations - done)
        idx = _subsets(rng, n - 1, kmax, size)
        low = np.zeros(size)  # sums of the first j draws, the largest value left out
        high = np.zeros(size)  # the same draws, the smallest value left out
        todo = iter(groups)
        k, cells = next(todo)
        for j in range(kmax):
            low += without_max.take(idx[j])
            high += without_min.take(idx[j])
            if j + 1 < k:
                continue
            observed = neighbour_sum[cells]
            upper[cells] += size - np.searchsorted(np.sort(high), observed - tol)
            lower[cells] += np.searchsorted(np.sort(low), observed + tol, side="right")
            k, cells = next(todo, (kmax + 1, cells))  # past the last: no more to do
        done += size
    return upper, lower


def hotspots(
    grid: pd.DataFrame,
    column: str,
    *,
    contiguity: Literal["rook", "queen"] = "queen",
    distance: float | None = None,
    alpha: float = 0.05,
    permutations: int | None = None,
    seed: int = 0,
    adjacency: sp.csr_array | None = None,
) -> pd.DataFrame:
    """Find hot and cold spots of a grid value with Gi* and a false discovery rate.

    Parameters
    ----------
    grid
        Grid cells with ``ssbid`` and ``cell_size`` (one size), such as the
        output of :func:`geoloft.read_grid`.
    column
        The value to test, such as ``index`` or a rate. NaN cells are left out.
    contiguity
        Neighbours from the ids: ``"queen"`` (8 around) or ``"rook"`` (4).
    distance
        If given, use a distance band instead: neighbours are the cells whose
        centres lie within ``distance`` cell sizes (see
        :func:`~geoloft.delineation.adjacency.band_adjacency`).
    alpha
        False discovery rate (Benjamini-Hochberg) for hot and cold spots.
    permutations
        Conditional permutations for the p-values (seeded by ``seed``).
        ``None`` (default) takes enough for the false discovery rate to be
        reachable, :func:`auto_permutations` of the cells tested and
        ``alpha`` (80,000 for 2,000 cells at 5 %); a number takes that many;
        0 gives analytic (normal) p-values, which invent hot spots on skewed
        values such as counts (see ``scripts/null_hotspots.py``) and are kept
        only for comparison.
    seed
        Seed for permutation inference; the same seed gives the same result.
    adjacency
        A ready adjacency (rows in the order of ``grid``), instead of the ids;
        for units, pass :func:`~geoloft.delineation.adjacency.unit_adjacency`.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``grid.index``: ``gi_z``, ``gi_p`` (two-sided), ``gi_q``
        (Benjamini-Hochberg), ``hot_spot`` and ``cold_spot`` (bool: q <= alpha
        and z above / below 0) and ``n_neighbours``. Cells without neighbours
        have NaN z, p and q and are neither hot nor cold.

    Raises
    ------
    SchemaError
        If ``column``, ``ssbid`` or ``cell_size`` is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> ids = [22560006672000 + i * 2_500_000_000 + j * 250 for i in range(10) for j in range(10)]
    >>> grid = pd.DataFrame({"ssbid": ids, "cell_size": 250, "v": [1.0] * 60 + [9.0] * 40})
    >>> spots = hotspots(grid, "v")  # a 10 x 10 grid, the four east columns high
    >>> int(spots["hot_spot"].sum()), int(spots["cold_spot"].sum())
    (16, 0)
    """
    if column not in grid.columns:
        raise SchemaError(
            f"no column '{column}' to find hot spots in.",
            source="hotspots",
            column=column,
            hint=f"name one of: {', '.join(map(str, grid.columns))}.",
        )
    if adjacency is None:
        ids, size = _grid_ids(grid)
        if distance is not None:
            adjacency = band_adjacency(ids, size, distance=distance)
        else:
            adjacency = cell_adjacency(ids, size, contiguity=contiguity)
    values = pd.to_numeric(grid[column], errors="coerce").to_numpy(dtype=np.float64)
    if permutations is None:
        graph = sp.csr_array(adjacency)
        has_value = ~np.isnan(values)
        n_tested = int(((graph @ has_value.astype(np.float64)) > 0)[has_value].sum())
        permutations = auto_permutations(n_tested, alpha)
    z, p = getis_ord(values, adjacency, permutations=permutations, seed=seed)
    q = benjamini_hochberg(p)
    found = ~np.isnan(q) & (q <= alpha)
    return pd.DataFrame(
        {
            GI_Z: z,
            GI_P: p,
            GI_Q: q,
            HOT: found & (z > 0),
            COLD: found & (z < 0),
            N_NEIGHBOURS: np.diff(sp.csr_array(adjacency).indptr),
        },
        index=grid.index,
    )


def _grid_ids(grid: pd.DataFrame) -> tuple[npt.NDArray[np.int64], int]:
    """Return the ids and the single cell size of a grid frame."""
    missing = [c for c in (SSBID, CELL_SIZE) if c not in grid.columns]
    if missing and not (SSBID in grid.columns and CELL_SIZE in grid.attrs):
        raise SchemaError(
            f"the grid lacks {', '.join(missing)}; hot spots need cell ids and size.",
            source="hotspots",
            hint="read the grid with geoloft.read_grid, or pass adjacency=.",
        )
    sizes = np.unique(grid[CELL_SIZE]) if CELL_SIZE in grid.columns else [grid.attrs[CELL_SIZE]]
    if len(sizes) != 1:
        raise SchemaError(
            f"the grid mixes cell sizes {', '.join(map(str, sizes))} m.",
            source="hotspots",
            column=CELL_SIZE,
            hint="split the grid by cell size first.",
        )
    return grid[SSBID].to_numpy(dtype=np.int64), int(sizes[0])
