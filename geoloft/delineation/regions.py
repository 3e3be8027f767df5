"""Areas from selected items: components, islands, population floor, drops, best areas.

Items are nodes of a sparse adjacency graph (cells or units, in id order);
an *area* is a label shared by its members (``-1``: in no area). Every step
works on whole arrays; the only Python loops run over rounds of growth or over
areas, never over cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Log:
    """What happened to the candidate areas, for the stage report."""

    candidates: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)

    def drop(self, reason: str, count: int) -> None:
        """Count ``count`` areas dropped for ``reason``."""
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)


def count(labels: IntArray) -> int:
    """Return the number of areas (labels are compact: 0..k-1, -1 for none)."""
    return int(labels.max()) + 1 if labels.size and labels.max() >= 0 else 0


def compact(labels: IntArray) -> IntArray:
    """Renumber area labels 0..k-1 in order of their smallest member; keep -1."""
    out = np.full(labels.shape, -1, dtype=np.int64)
    inside = labels >= 0
    if inside.any():
        first = np.full(int(labels.max()) + 1, labels.size, dtype=np.int64)
        np.minimum.at(first, labels[inside], np.flatnonzero(inside))
        used = np.flatnonzero(first < labels.size)
        rank = np.empty(first.size, dtype=np.int64)
        rank[used[np.argsort(first[used], kind="stable")]] = np.arange(used.size)
        out[inside] = rank[labels[inside]]
    return out


def components(graph: sp.csr_array, mask: BoolArray) -> IntArray:
    """Label the connected groups of selected nodes (``-1`` for unselected)."""
    chosen = np.flatnonzero(mask)
    labels = np.full(mask.size, -1, dtype=np.int64)
    if chosen.size:
        _, found = connected_components(graph[chosen][:, chosen], directed=False)
        labels[chosen] = found
    return compact(labels)


def sizes(labels: IntArray, weights: FloatArray | None = None) -> FloatArray:
    """Return the number (or weight sum) of members of each area label."""
    inside = labels >= 0
    length = int(labels.max()) + 1 if inside.any() else 0
    w = None if weights is None else weights[inside]
    return np.bincount(labels[inside], weights=w, minlength=length).astype(np.float64)


def add_edges(graph: sp.csr_array, left: IntArray, right: IntArray) -> sp.csr_array:
    """Return ``graph`` with extra symmetric edges (island links)."""
    if not left.size:
        return graph
    extra = sp.csr_array(
        (np.ones(2 * left.size), (np.r_[left, right], np.r_[right, left])), shape=graph.shape
    )
    merged = sp.csr_array(graph + extra)
    merged.data[:] = 1.0
    return merged


def join_islands(
    labels: IntArray,
    geometry: npt.NDArray[np.object_],
    *,
    distance: float,
    group: IntArray | None,
) -> tuple[IntArray, IntArray, IntArray]:
    """Join one-member areas to the nearest member of another area within ``distance``.

    Returns the new labels and the links made (island node, nearest node), to
    add to the graph so joined areas count as connected. Ties go to the lower
    node. Areas never join across ``group``.
    """
    members = np.flatnonzero(labels >= 0)
    if members.size < 2:
        return labels, np.zeros(0, np.int64), np.zeros(0, np.int64)
    size = sizes(labels)
    island = np.flatnonzero((labels >= 0) & (size[np.maximum(labels, 0)] == 1))
    if not island.size:
        return labels, np.zeros(0, np.int64), np.zeros(0, np.int64)
    tree = shapely.STRtree(geometry[members])
    src, dst = tree.query(geometry[island], predicate="dwithin", distance=distance)
    a, b = island[src], members[dst]
    keep = labels[a] != labels[b]
    if group is not None:
        keep &= group[a] == group[b]
    a, b = a[keep], b[keep]
    gap = shapely.distance(geometry[a], geometry[b])
    order = np.lexsort((b, gap, a))
    first = np.r_[True, a[order][1:] != a[order][:-1]] if a.size else np.zeros(0, bool)
    a, b = a[order][first], b[order][first]
    k = count(labels)
    links = sp.coo_array((np.ones(a.size), (labels[a], labels[b])), shape=(k, k))
    _, merged = connected_components(links, directed=False)
    out = labels.copy()
    out[members] = merged[labels[members]]
    return compact(out), a.astype(np.int64), b.astype(np.int64)


def drop_islands(labels: IntArray, keep: BoolArray, log: Log) -> IntArray:
    """Remove one-member areas unless a member is in ``keep`` (locked in)."""
    if not count(labels):
        return labels
    size = sizes(labels)
    island = (labels >= 0) & (size[np.maximum(labels, 0)] == 1) & ~keep
    log.drop("isolated (islands='drop')", int(island.sum()))
    out = labels.copy()
    out[island] = -1
    return compact(out)


def priority_rank(priority: FloatArray, pop: FloatArray) -> IntArray:
    """Rank nodes as growth candidates: 0 is best (highest priority, then population, then id)."""
    key = np.where(np.isnan(priority), -np.inf, priority)
    order = np.lexsort((np.arange(key.size), -pop, -key))
    rank = np.empty(key.size, dtype=np.int64)
    rank[order] = np.arange(key.size)
    return rank


def neighbours(graph: sp.csr_array, nodes: IntArray) -> tuple[IntArray, IntArray]:
    """Return every edge ``(node, neighbour)`` leaving ``nodes``, vectorised."""
    start = graph.indptr[nodes]
    degree = graph.indptr[nodes + 1] - start
    src = np.repeat(nodes, degree)
    offset = np.arange(int(degree.sum())) - np.repeat(np.cumsum(degree) - degree, degree)
    return src, graph.indices[np.repeat(start, degree) + offset].astype(np.int64)


class _Areas:
    """Union-find over area labels with each root's population."""

    def __init__(self, labels: IntArray, pop: FloatArray) -> None:
        self.root = np.arange(count(labels))
        self.pop = sizes(labels, pop)

    def find(self, area: int) -> int:
        while self.root[area] != area:
            area = self.root[area]
        return int(area)

    def merge(self, left: IntArray, right: IntArray) -> None:
        """Merge the areas of each pair (a loop over merge events, which are few)."""
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            ra, rb = self.find(a), self.find(b)
            if ra != rb:
                lo, hi = min(ra, rb), max(ra, rb)
                self.root[hi] = lo
                self.pop[lo] += self.pop[hi]
                self.pop[hi] = 0.0
        while not np.array_equal(self.root[self.root], self.root):
            self.root = self.root[self.root]


def grow_to_floor(
    graph: sp.csr_array,
    labels: IntArray,
    pop: FloatArray,
    rank: IntArray,
    *,
    floor: float,
    eligible: BoolArray,
) -> tuple[IntArray, BoolArray]:
    """Grow areas under ``floor`` persons with their best free neighbours.

    In each round every area under the floor takes its best-ranked free,
    eligible neighbour (see :func:`priority_rank`). An area that reaches another
    area merges with it (they are contiguous now); areas that pick the same
    node merge through it. Growth ends when every area meets the floor or has
    no free neighbour left. Returns the labels and which nodes were added.
    """
    labels = labels.copy()
    added = np.zeros(labels.size, dtype=bool)
    if not count(labels):
        return labels, added
    areas = _Areas(labels, pop)
    small = np.flatnonzero((labels >= 0) & (areas.pop[np.maximum(labels, 0)] < floor))
    src, node = neighbours(graph, small)
    area = labels[src]
    while True:
        area = areas.root[area]
        keep = (labels[node] < 0) & eligible[node] & (areas.pop[area] < floor)
        area, node = area[keep], node[keep]
        if not area.size:
            break
        order = np.lexsort((rank[node], area))
        first = np.r_[True, area[order][1:] != area[order][:-1]]
        best_area, best_node = area[order][first], node[order][first]
        # several areas may pick one node: the lowest area takes it, the others merge
        by_node = np.lexsort((best_area, best_node))
        best_area, best_node = best_area[by_node], best_node[by_node]
        lead = np.r_[True, best_node[1:] != best_node[:-1]]
        owner = np.maximum.accumulate(np.where(lead, np.arange(lead.size), 0))
        areas.merge(best_area[~lead], best_area[owner[~lead]])
        new_nodes, new_area = best_node[lead], best_area[lead]
        labels[new_nodes] = new_area
        added[new_nodes] = True
        np.add.at(areas.pop, areas.root[new_area], pop[new_nodes])
        nsrc, ndst = neighbours(graph, new_nodes)
        touching = labels[ndst] >= 0
        areas.merge(labels[nsrc][touching], labels[ndst][touching])
        free = ~touching & eligible[ndst]
        area = np.r_[area, labels[nsrc][free]]
        node = np.r_[node, ndst[free]]
    inside = labels >= 0
    labels[inside] = areas.root[labels[inside]]
    return compact(labels), added


def drop_under_floor(
    labels: IntArray, pop: FloatArray, *, floor: float, locked: BoolArray, log: Log
) -> IntArray:
    """Drop areas under ``floor`` persons unless they hold a locked-in member."""
    if not count(labels):
        return labels
    small = sizes(labels, pop) < floor
    has_lock = sizes(labels, locked.astype(np.float64)) > 0
    doomed = small & ~has_lock
    log.drop("under population floor", int(doomed.sum()))
    out = labels.copy()
    out[(out >= 0) & doomed[np.maximum(out, 0)]] = -1
    return compact(out)


def keep_best(
    labels: IntArray,
    score: FloatArray,
    pop: FloatArray,
    *,
    max_areas: int,
    locked: BoolArray,
    log: Log,
) -> IntArray:
    """Keep at most ``max_areas`` areas: those with a locked-in member, then the best.

    ``score`` is per area (higher is more in need); ties go to the larger
    population, then the lower label.
    """
    k = score.size
    if k <= max_areas:
        return labels
    has_lock = sizes(labels, locked.astype(np.float64))[:k] > 0
    key = np.where(np.isnan(score), -np.inf, score)
    order = np.lexsort((np.arange(k), -pop, -key, ~has_lock))
    keep = np.zeros(k, dtype=bool)
    keep[order[: max(max_areas, int(has_lock.sum()))]] = True
    if has_lock.sum() > max_areas:
        log.notes["areas kept beyond max_areas because locked"] = int(has_lock.sum() - max_areas)
    log.drop("beyond max_areas", int((~keep).sum()))
    out = labels.copy()
    out[(out >= 0) & ~keep[np.maximum(out, 0)]] = -1
    return compact(out)
