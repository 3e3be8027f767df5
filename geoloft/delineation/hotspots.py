"""Hot spots: local Getis-Ord Gi* with a false discovery rate, fast at national scale.

Gi* (Getis and Ord 1992; Ord and Getis 1995) compares the sum of a value over
a cell and its neighbours with what the whole study region would give::

    z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1)))

with binary weights that include the cell itself (``w_ii = 1``), ``W_i`` the
number of cells in the window, ``xbar`` and ``S`` the mean and (population)
standard deviation of all ``n`` values. This is esda's ``G_Local(star=True,
transform="B")`` z-score. P-values are two-sided: analytic from the normal
distribution by default, or from a conditional permutation (as esda's, drawn
for all cells at once per batch). The Benjamini-Hochberg procedure then
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

from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from geoloft.columns import CELL_SIZE, SSBID
from geoloft.delineation.adjacency import band_adjacency, cell_adjacency
from geoloft.errors import SchemaError

__all__ = ["COLD", "GI_P", "GI_Q", "GI_Z", "HOT", "benjamini_hochberg", "getis_ord", "hotspots"]

GI_Z: str = "gi_z"  # Gi* z-score
GI_P: str = "gi_p"  # two-sided p-value
GI_Q: str = "gi_q"  # Benjamini-Hochberg adjusted p-value (q-value)
HOT: str = "hot_spot"
COLD: str = "cold_spot"
N_NEIGHBOURS: str = "n_neighbours"

FloatArray = npt.NDArray[np.float64]
#: Random draws per batch in permutation inference (memory ~ 8 bytes each).
BATCH_DRAWS = 4_000_000


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
        permutations: each node's neighbours are replaced by values drawn
        without replacement from the other nodes, keeping its own value.
        The permutation p-value is esda's folded pseudo p-value
        ``(1 + min(#larger, #smaller)) / (permutations + 1)``, doubled (two-sided)
        and capped at 1.
    seed
        Seed of the permutation draws.

    Returns
    -------
    z, p : numpy.ndarray
        NaN for nodes without neighbours and nodes with a NaN value.

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
    std = np.sqrt(max(float(np.mean(x * x) - np.mean(x) ** 2), 0.0)) if n else 0.0
    tested = degree > 0
    if n < 3 or std <= 0 or not tested.any():
        return z, p
    lag = graph @ x + x
    window = degree + 1.0
    spread = std * np.sqrt((n * window - window**2) / (n - 1))
    z_kept = (lag - x.mean() * window) / spread
    z_kept[~tested] = np.nan
    z[keep] = z_kept
    if permutations:
        p_kept = _permutation_p(x, lag, degree, permutations, seed)
    else:
        p_kept = 2.0 * stats.norm.sf(np.abs(z_kept))
    p_kept[~tested] = np.nan
    p[keep] = p_kept
    return z, p


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


def _permutation_p(
    x: FloatArray, lag: FloatArray, degree: npt.NDArray[np.int64], permutations: int, seed: int
) -> FloatArray:
    """Return folded two-sided permutation p-values of the window sums ``lag``."""
    n = x.size
    rng = np.random.default_rng(seed)
    larger = np.zeros(n)
    for k in np.unique(degree[degree > 0]):  # one pass per neighbour count (at most 8 on a grid)
        cells = np.flatnonzero(degree == k)
        if k >= n - 1:  # every other node is a neighbour: the window sum cannot change
            larger[cells] = permutations / 2.0
            continue
        width = n - 1 if 4 * k * k > n else int(k)
        batch = max(1, min(permutations, BATCH_DRAWS // (cells.size * width)))
        done = 0
        while done < permutations:
            size = min(batch, permutations - done)
            sums = x[_draw(rng, n, cells, int(k), size)].sum(axis=2) + x[cells]
            larger[cells] += (sums >= lag[cells] - 1e-12 * np.abs(lag[cells])).sum(axis=0)
            done += size
    folded = np.minimum(larger, permutations - larger)
    return np.minimum(2.0 * (folded + 1.0) / (permutations + 1.0), 1.0)


def hotspots(
    grid: pd.DataFrame,
    column: str,
    *,
    contiguity: Literal["rook", "queen"] = "queen",
    distance: float | None = None,
    alpha: float = 0.05,
    permutations: int = 0,
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
        0 for analytic (normal) inference; else the number of conditional
        permutations (seeded by ``seed``).
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
    >>> ids = [22560006672000 + i * 2_500_000_000 + j * 250 for i in range(7) for j in range(7)]
    >>> grid = pd.DataFrame({"ssbid": ids, "cell_size": 250, "v": [1.0] * 35 + [9.0] * 14})
    >>> spots = hotspots(grid, "v", alpha=0.1)  # a 7 x 7 grid, the two east columns high
    >>> int(spots["hot_spot"].sum()), int(spots["cold_spot"].sum())
    (14, 15)
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
