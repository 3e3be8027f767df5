"""Split areas over a population ceiling along their weakest links (SKATER-style).

Each over-sized area is cut along an edge of a minimum spanning tree of its
adjacency graph, weighted by how different neighbours are (absolute difference
of priority). Of the tree edges, the cut chosen is the one that most reduces the
within-area sum of squared deviations of the priority, as in SKATER (Assunção,
Neves, Câmara and da Costa Freitas 2006), among cuts that leave both parts at
least ``max(floor, ceiling / 2)`` persons and whose population could still be
divided into parts within [floor, ceiling]. If no cut does, the most balanced
cut that leaves both parts at the floor is taken (preferring parts that could
still be divided). Parts are cut again until all
are under the ceiling or cannot be cut. The procedure has no randomness.

Subtree totals for all tree edges at once come from one sparse triangular
solve (``s = x + children(s)``) in breadth-first order, so no loop runs per node.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components, minimum_spanning_tree
from scipy.sparse.linalg import spsolve_triangular

from geoloft.delineation.regions import IntArray, compact

FloatArray = npt.NDArray[np.float64]


def _spanning_tree(graph: sp.csr_array, values: FloatArray) -> sp.csr_array:
    """Return a minimum spanning tree with weights in [1, 2] (zero would mean no edge)."""
    upper = sp.triu(graph, k=1).tocoo()
    gap = np.abs(values[upper.row] - values[upper.col])
    scale = gap.max() if gap.size and gap.max() > 0 else 1.0
    weighted = sp.csr_array((1.0 + gap / scale, (upper.row, upper.col)), shape=graph.shape)
    return sp.csr_array(minimum_spanning_tree(weighted))


def _subtree_totals(
    tree: sp.csr_array, columns: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Return BFS order, parents and the totals of ``columns`` in each node's subtree."""
    order, parent = breadth_first_order(tree, 0, directed=False, return_predecessors=True)
    k = order.size
    position = np.empty(k, dtype=np.int64)
    position[order] = np.arange(k)
    child = np.arange(1, k)
    up = position[parent[order[1:]]]
    system = sp.csr_array(
        (np.r_[np.ones(k), -np.ones(k - 1)], (np.r_[np.arange(k), up], np.r_[np.arange(k), child])),
        shape=(k, k),
    )
    totals = spsolve_triangular(system, columns[order], lower=False)
    return order, parent, np.asarray(totals).reshape(k, -1)


def _divisible(pop: FloatArray, floor: float, ceiling: float) -> npt.NDArray[np.bool_]:
    """Whether ``pop`` persons could make whole parts each within [floor, ceiling]."""
    if floor <= 0:
        return np.ones(pop.shape, dtype=bool)
    fewest = np.ceil(pop / ceiling - 1e-9)
    most = np.floor(pop / floor + 1e-9)
    return fewest <= most


def best_cut(
    graph: sp.csr_array, pop: FloatArray, values: FloatArray, *, floor: float, ceiling: float
) -> npt.NDArray[np.bool_] | None:
    """Return one side of the best cut of a connected part, or ``None`` if none is allowed.

    ``graph`` is the part's own adjacency; ``pop`` and ``values`` its nodes'
    population and priority (NaN read as the mean).
    """
    k = pop.size
    if k < 2 or connected_components(graph, directed=False)[0] != 1:
        return None
    filled = np.where(
        np.isnan(values), np.nanmean(values) if (~np.isnan(values)).any() else 0, values
    )
    tree = _spanning_tree(graph, filled)
    columns = np.c_[pop, np.ones(k), filled, filled * filled]
    order, parent, sub = _subtree_totals(tree, columns)
    whole = sub[0]
    rest = whole - sub[1:]

    def ssd(t: FloatArray) -> FloatArray:
        return t[:, 3] - t[:, 2] ** 2 / np.maximum(t[:, 1], 1)

    gain = float(ssd(whole[None, :])[0]) - ssd(sub[1:]) - ssd(rest)
    smaller = np.minimum(sub[1:, 0], rest[:, 0])
    fits = _divisible(sub[1:, 0], floor, ceiling) & _divisible(rest[:, 0], floor, ceiling)
    balanced = (smaller >= max(floor, ceiling / 2)) & fits
    if balanced.any():
        pick = np.lexsort((np.arange(k - 1), -smaller, -np.where(balanced, gain, -np.inf)))[0]
    else:
        allowed = (
            (smaller >= floor) & fits if ((smaller >= floor) & fits).any() else smaller >= floor
        )
        if not allowed.any():
            return None
        pick = np.lexsort((np.arange(k - 1), -np.where(allowed, smaller, -np.inf)))[0]
    cut_child, cut_parent = order[pick + 1], parent[order[pick + 1]]
    pruned = tree.tolil()
    pruned[cut_child, cut_parent] = 0
    pruned[cut_parent, cut_child] = 0
    _, side = connected_components(sp.csr_array(pruned), directed=False)
    return side == side[cut_child]


def split_over_ceiling(
    graph: sp.csr_array,
    labels: IntArray,
    pop: FloatArray,
    values: FloatArray,
    *,
    floor: float,
    ceiling: float,
) -> tuple[IntArray, IntArray]:
    """Split every area over ``ceiling`` persons; return labels and the nodes of uncut parts.

    The second array lists one node of each part left over the ceiling because
    no allowed cut exists (a single huge unit, or no cut keeps both parts at
    the floor).
    """
    out = labels.copy()
    totals = np.bincount(labels[labels >= 0], weights=pop[labels >= 0])
    big = np.flatnonzero(totals > ceiling)
    next_label = int(labels.max()) + 1 if (labels >= 0).any() else 0
    stuck: list[int] = []
    by_area = np.argsort(labels, kind="stable")
    starts = np.searchsorted(labels[by_area], np.concatenate([big, big + 1]))
    for i in range(big.size):  # a loop over areas, each split with array operations
        parts = [by_area[starts[i] : starts[i + big.size]]]
        while parts:
            nodes = parts.pop()
            if pop[nodes].sum() <= ceiling:
                continue
            side = best_cut(
                graph[nodes][:, nodes], pop[nodes], values[nodes], floor=floor, ceiling=ceiling
            )
            if side is None:
                stuck.append(int(nodes[0]))
                continue
            out[nodes[side]] = next_label
            next_label += 1
            parts.extend([nodes[side], nodes[~side]])
    return compact(out), np.asarray(stuck, dtype=np.int64)
