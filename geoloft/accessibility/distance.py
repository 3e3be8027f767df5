"""Distances from grid cells to facilities: straight line or along a path network.

Straight-line distances use a k-d tree (:class:`scipy.spatial.cKDTree`).
Network distances use Dijkstra's algorithm from :mod:`scipy.sparse.csgraph` on
a graph built from a line file of paths or roads: line vertices that coincide
(to :data:`SNAP_DECIMALS` decimals of a metre) are the same node, each segment
is an edge weighted by its length. A cell centre or a facility joins the
network at its nearest node; that straight leg is added to the distance.
Lines that cross without a shared vertex (bridges, tunnels) are not connected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from geoloft.columns import WORKING_CRS
from geoloft.errors import CRSError, GeometryError

__all__ = ["Network", "Pairs", "count_within", "nearest", "network_from_lines", "pairs_within"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Coordinates are rounded to this many decimals (metres) to find shared vertices.
SNAP_DECIMALS: Final = 2
#: Lines are split into segments no longer than this (metres), so that cells and
#: facilities join the network close to where they are.
MAX_SEGMENT: Final = 50.0
#: Length (metres) of the edge that joins a facility lying exactly on a node:
#: scipy's sparse graphs cannot hold an edge of length 0.
_EPS: Final = 1e-6
#: Largest number of (source x node) distances held in memory at once.
_CHUNK: Final = 20_000_000


@dataclass(frozen=True)
class Network:
    """A path or road network as an undirected graph, in EPSG:25833 metres.

    Build one with :func:`network_from_lines`.

    Attributes
    ----------
    graph
        Symmetric sparse matrix of edge lengths (metres), nodes x nodes.
    nodes
        Node coordinates, shape ``(n, 2)``.
    n_lines
        Line features the network was built from.
    n_components
        Connected parts of the network.
    """

    graph: sparse.csr_matrix
    nodes: FloatArray
    n_lines: int
    n_components: int
    tree: cKDTree = field(repr=False, compare=False)

    def snap(self, xy: FloatArray) -> tuple[IntArray, FloatArray]:
        """Return the nearest node of each point and the straight distance to it (metres)."""
        leg, node = self.tree.query(xy)
        return np.asarray(node, dtype=np.int64), np.asarray(leg, dtype=np.float64)

    def with_points(self, xy: FloatArray) -> tuple[sparse.csr_matrix, IntArray, FloatArray]:
        """Add one node per point, joined to its nearest node by its straight leg.

        Returns the larger graph, the new nodes' indices and, per point, the length
        its joining edge has beyond its leg (a leg of 0 becomes a tiny edge), to be
        subtracted from distances that start there.
        """
        node, leg = self.snap(xy)
        n = self.graph.shape[0]
        new = np.arange(n, n + len(xy), dtype=np.int64)
        weight = np.maximum(leg, _EPS)
        rows = np.concatenate([new, node])
        cols = np.concatenate([node, new])
        extra = sparse.coo_matrix(
            (np.concatenate([weight, weight]), (rows, cols)), shape=(n + len(xy),) * 2
        )
        base = sparse.coo_matrix(self.graph)
        grown = sparse.coo_matrix(
            (base.data, (base.row, base.col)), shape=(n + len(xy),) * 2
        ).tocsr()
        return (grown + extra.tocsr()).tocsr(), new, weight - leg


def network_from_lines(lines: gpd.GeoDataFrame | gpd.GeoSeries) -> Network:
    """Build a :class:`Network` from line geometries (paths, roads).

    Parameters
    ----------
    lines
        LineStrings or MultiLineStrings in EPSG:25833 (other geometry types are
        an error). Vertices that coincide to the centimetre join lines.

    Returns
    -------
    Network
        The undirected graph of segments, weighted by length in metres.

    Raises
    ------
    CRSError
        If the lines are not in EPSG:25833.
    GeometryError
        If there are no lines, or geometries that are not lines.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> lines = gpd.GeoSeries([shapely.LineString([(0, 0), (100, 0), (100, 100)])],
    ...                       crs="EPSG:25833")
    >>> net = network_from_lines(lines)
    >>> net.n_components, round(float(net.graph.sum()) / 2)
    (1, 200)
    """
    geoms = lines.geometry if isinstance(lines, gpd.GeoDataFrame) else lines
    if geoms.crs is None or geoms.crs != WORKING_CRS:
        raise CRSError(
            f"the network is in {geoms.crs}, not {WORKING_CRS}.",
            source="network",
            hint="read it with geoloft.accessibility.read_network, which reprojects it.",
        )
    kinds = shapely.get_type_id(geoms.to_numpy())
    bad = ~np.isin(kinds, (1, 5))  # LineString, MultiLineString
    if bad.any() or not len(geoms):
        raise GeometryError(
            "a network needs line geometries (paths, roads)"
            + (f"; {int(bad.sum())} are not lines" if bad.any() else "; there are none")
            + ".",
            source="network",
            rows=[str(i) for i in geoms.index[bad][:5]],
            n_rows=int(bad.sum()),
            hint="give a line file (LineString/MultiLineString), such as a path network.",
        )
    parts = shapely.get_parts(shapely.segmentize(geoms.to_numpy(), MAX_SEGMENT))
    coords, line = shapely.get_coordinates(parts, return_index=True)
    keys = np.round(coords, SNAP_DECIMALS)
    nodes, node = np.unique(keys, axis=0, return_inverse=True)
    node = node.ravel()
    same_line = line[1:] == line[:-1]
    u, v = node[:-1][same_line], node[1:][same_line]
    length = np.hypot(*(coords[1:][same_line] - coords[:-1][same_line]).T)
    keep = u != v
    edges = pd.DataFrame({"u": np.minimum(u, v), "v": np.maximum(u, v), "w": length})[keep]
    edges = edges.groupby(["u", "v"], as_index=False)["w"].min()  # parallel segments
    w = np.maximum(edges["w"].to_numpy(), _EPS)
    n = len(nodes)
    eu, ev = edges["u"].to_numpy(), edges["v"].to_numpy()
    graph = sparse.coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([eu, ev]), np.concatenate([ev, eu]))),
        shape=(n, n),
    ).tocsr()
    n_comp = csgraph.connected_components(graph, directed=False, return_labels=False)
    return Network(
        graph=graph,
        nodes=nodes.astype(np.float64),
        n_lines=len(geoms),
        n_components=int(n_comp),
        tree=cKDTree(nodes),
    )


def nearest(
    cells: FloatArray, facilities: FloatArray, *, network: Network | None = None
) -> tuple[FloatArray, IntArray]:
    """Return each cell's distance to its nearest facility (metres) and that facility's row.

    Parameters
    ----------
    cells, facilities
        Point coordinates, shape ``(n, 2)`` and ``(m, 2)``, EPSG:25833.
    network
        Distances along this network; ``None``: straight-line distances.

    Returns
    -------
    tuple of numpy.ndarray
        Distances (``inf`` where no facility can be reached along the network)
        and the 0-based row of the nearest facility (``-1`` where none).

    Examples
    --------
    >>> import numpy as np
    >>> d, i = nearest(np.array([[0.0, 0.0], [10.0, 0.0]]), np.array([[3.0, 4.0]]))
    >>> d.tolist(), i.tolist()
    ([5.0, 8.06225774829855], [0, 0])
    """
    if not len(facilities):
        return np.full(len(cells), np.inf), np.full(len(cells), -1, dtype=np.int64)
    if network is None:
        dist, idx = cKDTree(facilities).query(cells)
        return np.asarray(dist, dtype=np.float64), np.asarray(idx, dtype=np.int64)
    graph, fac_nodes, excess = network.with_points(facilities)
    dist, _, sources = csgraph.dijkstra(
        graph, directed=False, indices=fac_nodes, min_only=True, return_predecessors=True
    )
    cell_node, cell_leg = network.snap(cells)
    src = sources[cell_node]
    row = np.where(src >= 0, src - network.graph.shape[0], -1).astype(np.int64)
    out = dist[cell_node] + cell_leg - np.where(row >= 0, excess[np.maximum(row, 0)], 0.0)
    return out, row


def count_within(
    cells: FloatArray,
    facilities: FloatArray,
    limits: list[int],
    *,
    network: Network | None = None,
) -> list[IntArray]:
    """Return, per limit, the number of facilities within that many metres of each cell.

    Examples
    --------
    >>> import numpy as np
    >>> count_within(np.array([[0.0, 0.0]]), np.array([[0.0, 300.0], [0.0, 600.0]]), [300, 500])
    [array([1]), array([1])]
    """
    if network is None and len(facilities):
        tree = cKDTree(facilities)
        return [
            np.asarray(tree.query_ball_point(cells, float(t), return_length=True), dtype=np.int64)
            for t in limits
        ]
    pairs = pairs_within(cells, facilities, float(max(limits)), network=network)
    return [
        np.bincount(pairs.cell[pairs.distance <= t], minlength=len(cells)).astype(np.int64)
        for t in limits
    ]


@dataclass(frozen=True)
class Pairs:
    """Cell-facility pairs within a distance: parallel arrays of rows and metres."""

    cell: IntArray
    facility: IntArray
    distance: FloatArray


def pairs_within(
    cells: FloatArray,
    facilities: FloatArray,
    limit: float,
    *,
    network: Network | None = None,
) -> Pairs:
    """Return every (cell, facility) pair at most ``limit`` metres apart.

    Parameters
    ----------
    cells, facilities
        Point coordinates, shape ``(n, 2)`` and ``(m, 2)``, EPSG:25833.
    limit
        Largest distance in metres; ``inf`` returns every reachable pair.
    network
        Distances along this network; ``None``: straight-line distances.

    Returns
    -------
    Pairs
        Sorted by facility, then cell.

    Examples
    --------
    >>> import numpy as np
    >>> p = pairs_within(np.array([[0.0, 0], [500, 0]]), np.array([[0.0, 300]]), 400)
    >>> p.cell.tolist(), p.distance.tolist()
    ([0], [300.0])
    """
    if not len(facilities) or not len(cells):
        empty = np.array([], dtype=np.int64)
        return Pairs(empty, empty.copy(), np.array([], dtype=np.float64))
    if network is None:
        return _straight_pairs(cells, facilities, limit)
    return _network_pairs(cells, facilities, limit, network)


def _straight_pairs(cells: FloatArray, facilities: FloatArray, limit: float) -> Pairs:
    if math.isinf(limit):
        dist = _all_distances(cells, facilities)
        fac, cell = np.nonzero(np.isfinite(dist.T))
        return Pairs(cell.astype(np.int64), fac.astype(np.int64), dist[cell, fac])
    found = cKDTree(facilities).sparse_distance_matrix(cKDTree(cells), limit, output_type="ndarray")
    order = np.lexsort((found["j"], found["i"]))
    return Pairs(
        found["j"][order].astype(np.int64),
        found["i"][order].astype(np.int64),
        found["v"][order].astype(np.float64),
    )


def _all_distances(a: FloatArray, b: FloatArray) -> FloatArray:
    from scipy.spatial.distance import cdist

    return np.asarray(cdist(a, b), dtype=np.float64)


def _network_pairs(cells: FloatArray, facilities: FloatArray, limit: float, net: Network) -> Pairs:
    graph, fac_nodes, excess = net.with_points(facilities)
    cell_node, cell_leg = net.snap(cells)
    batch = max(1, _CHUNK // max(graph.shape[0], 1))
    rows, cols, vals = [], [], []
    dijkstra_limit = np.inf if math.isinf(limit) else float(limit) + 2 * _EPS
    for start in range(0, len(fac_nodes), batch):
        chunk = fac_nodes[start : start + batch]
        dist = csgraph.dijkstra(graph, directed=False, indices=chunk, limit=dijkstra_limit)
        dist -= excess[start : start + batch, None]
        to_cells = dist[:, cell_node] + cell_leg[None, :]
        fac, cell = np.nonzero(to_cells <= limit)
        rows.append(cell)
        cols.append(fac + start)
        vals.append(to_cells[fac, cell])
    return Pairs(
        np.concatenate(rows).astype(np.int64),
        np.concatenate(cols).astype(np.int64),
        np.concatenate(vals).astype(np.float64),
    )
