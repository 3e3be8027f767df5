"""Adjacency graphs: grid cells from their ids, units from shared edge length.

Cell neighbours are arithmetic on SSB ids (:func:`geoloft.grid.neighbour_ssbids`):
the ids of all neighbours are computed at once and looked up in the sorted ids
with :func:`numpy.searchsorted`, so no geometry is touched and no Python loop
runs per cell. Units (delbydeler, grunnkretser) are neighbours when their shared
boundary is at least ``min_edge`` metres long, so a corner touch does not count.

Every function returns a symmetric :class:`scipy.sparse.csr_array` of ones
(float64) without a diagonal, rows and columns in the order of the input.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely

from geoloft.grid import neighbour_ssbids
from geoloft.grid.codec import Y_FACTOR, check_cell_size

__all__ = ["band_adjacency", "cell_adjacency", "shared_edges", "unit_adjacency"]

#: Boundaries closer than this (metres) count as shared; absorbs digitising noise.
EDGE_TOLERANCE = 0.5


def _graph(rows: npt.NDArray[np.int64], cols: npt.NDArray[np.int64], n: int) -> sp.csr_array:
    """Return the symmetric 0/1 graph with edges ``rows[k] -- cols[k]``."""
    keep = rows != cols
    r = np.concatenate([rows[keep], cols[keep]])
    c = np.concatenate([cols[keep], rows[keep]])
    graph = sp.csr_array((np.ones(r.size), (r, c)), shape=(n, n))
    graph.sum_duplicates()
    graph.data[:] = 1.0
    return graph


def _lookup(ids: npt.NDArray[np.int64], wanted: npt.NDArray[np.int64]) -> sp.csr_array:
    """Return the graph linking ``ids[i]`` to each of ``wanted[i, :]`` that is in ``ids``."""
    n = ids.size
    order = np.argsort(ids, kind="stable")
    ordered = ids[order]
    pos = np.searchsorted(ordered, wanted)
    pos = np.minimum(pos, max(n - 1, 0))
    hit = ordered[pos] == wanted if n else np.zeros(wanted.shape, dtype=bool)
    rows = np.broadcast_to(np.arange(n)[:, None], wanted.shape)[hit]
    return _graph(rows.astype(np.int64), order[pos[hit]].astype(np.int64), n)


def cell_adjacency(
    ssbid: npt.ArrayLike, cell_size: int, *, contiguity: Literal["rook", "queen"] = "rook"
) -> sp.csr_array:
    """Return the adjacency of grid cells from their SSB ids.

    Parameters
    ----------
    ssbid
        Unique 14-digit SSB cell ids (any order).
    cell_size
        Cell size in metres.
    contiguity
        ``"rook"``: cells sharing an edge (4 neighbours); ``"queen"``: cells
        sharing an edge or a corner (8 neighbours).

    Returns
    -------
    scipy.sparse.csr_array
        Symmetric ``(n, n)`` matrix of ones, in the order of ``ssbid``.

    Examples
    --------
    >>> g = cell_adjacency([22560006672000, 22562506672000, 22562506672250], 250)
    >>> g.toarray().astype(int).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    >>> int(cell_adjacency([22560006672000, 22562506672250], 250, contiguity="queen").nnz)
    2
    """
    if contiguity not in ("rook", "queen"):
        raise ValueError(f"contiguity must be 'rook' or 'queen', not {contiguity!r}")
    ids = np.asarray(ssbid, dtype=np.int64)
    wanted = neighbour_ssbids(ids, cell_size, queen=contiguity == "queen")
    return _lookup(ids, wanted)


def band_adjacency(ssbid: npt.ArrayLike, cell_size: int, *, distance: float) -> sp.csr_array:
    """Return the adjacency of cells whose centres lie within a distance band.

    Parameters
    ----------
    ssbid
        Unique 14-digit SSB cell ids (any order).
    cell_size
        Cell size in metres.
    distance
        Band radius **in multiples of the cell size**, measured between cell
        centres (Euclidean): 1 gives the rook neighbours, 1.5 the queen
        neighbours, 2 adds the cells two steps away along the axes.

    Examples
    --------
    >>> ids = [22560006672000, 22565006672000]  # two cells 500 m apart
    >>> int(band_adjacency(ids, 250, distance=1).nnz), int(band_adjacency(ids, 250, distance=2).nnz)
    (0, 2)
    """
    size = check_cell_size(cell_size)
    if not np.isfinite(distance) or distance < 1:
        raise ValueError(f"distance must be at least 1 (cell sizes), not {distance!r}")
    reach = int(np.floor(distance))
    steps = np.arange(-reach, reach + 1)
    dx, dy = (a.ravel() for a in np.meshgrid(steps, steps, indexing="ij"))
    inside = (dx * dx + dy * dy <= distance * distance) & ((dx != 0) | (dy != 0))
    shift = dx[inside] * size * Y_FACTOR + dy[inside] * size
    ids = np.asarray(ssbid, dtype=np.int64)
    return _lookup(ids, ids[:, None] + shift[None, :])


def shared_edges(
    geometry: npt.ArrayLike, *, tolerance: float = EDGE_TOLERANCE
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Return the pairs of polygons that touch and the length of boundary they share.

    Parameters
    ----------
    geometry
        Polygons in a projected CRS (metres).
    tolerance
        Boundaries closer than this (metres) count as shared, so small gaps
        between neighbours digitised separately do not break adjacency.

    Returns
    -------
    tuple of numpy.ndarray
        ``i``, ``j`` (``i < j``) and the shared length in metres: the length of
        the boundary of ``i`` within ``tolerance`` of polygon ``j``. A corner
        touch gives a length of about ``2 * tolerance``.

    Examples
    --------
    >>> import shapely
    >>> i, j, length = shared_edges([shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 5)])
    >>> i.tolist(), j.tolist(), round(float(length[0]), 1)
    ([0], [1], 6.0)
    """
    geoms = np.asarray(geometry, dtype=object)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=tolerance)
    keep = left < right
    left, right = left[keep].astype(np.int64), right[keep].astype(np.int64)
    if not left.size:
        return left, right, np.zeros(0)
    grown = shapely.buffer(geoms[np.unique(right)], tolerance)
    slot = np.searchsorted(np.unique(right), right)
    length = shapely.length(shapely.intersection(shapely.boundary(geoms[left]), grown[slot]))
    return left, right, np.asarray(length, dtype=np.float64)


def unit_adjacency(
    geometry: npt.ArrayLike,
    *,
    min_edge: float = 10.0,
    queen: bool = False,
    tolerance: float = EDGE_TOLERANCE,
) -> sp.csr_array:
    """Return the adjacency of areal units (delbydeler, grunnkretser).

    Parameters
    ----------
    geometry
        Polygons in a projected CRS (metres).
    min_edge
        Units are neighbours when they share at least this much boundary
        (metres), so a corner touch does not make them neighbours.
    queen
        Count any touch (within ``tolerance``) as adjacency; ``min_edge`` is
        then ignored.
    tolerance
        Boundaries closer than this (metres) count as shared.

    Examples
    --------
    >>> import shapely
    >>> squares = [shapely.box(0, 0, 100, 100), shapely.box(100, 100, 200, 200)]
    >>> int(unit_adjacency(squares).nnz), int(unit_adjacency(squares, queen=True).nnz)
    (0, 2)
    """
    geoms = np.asarray(geometry, dtype=object)
    left, right, length = shared_edges(geoms, tolerance=tolerance)
    if not queen:
        keep = length >= min_edge
        left, right = left[keep], right[keep]
    return _graph(left, right, geoms.size)
