"""Tests that bite on Gi* hot spots (``geoloft.delineation.hotspots``).

Each test fails on a small planted bug that the rest of the suite missed.

* ``getis_ord`` reads its graph as binary without self-loops: self-loops,
  stored zeros, weights and an edge stored twice change nothing (the node
  itself is added once), checked against the clean graph and esda;
* without ``permutations`` it gives analytic p-values (esda's ``p_norm``),
  and a call without ``seed`` is the call with seed 0, the seed project
  files and ``delineate`` default to, so a run is repeated from its recorded
  seed;
* a node neighbouring every other node is not tested: NaN p-value also
  with permutations;
* ``hotspots`` draws enough permutations for the cells it tests (those with
  a valued neighbour), calls a cell found when its q-value is at most alpha,
  and a found cell hot or cold by the sign of z (neither when z is 0);
* Gi* does not change when a constant is added to every value (its numerator
  and ``S`` do not), also when the constant dwarfs the spread, and a constant
  field is undefined even when its value (0.1) has no exact mean in floats.

Where exact draws end and shared draws begin: ``permutation_p`` draws each
node's null from exactly the other values while the work, ``n * P * w`` draws
(``w = k``, or ``n - 1`` when ``4 k^2 > n``), is at most 10^7, and shares one
set of draws per degree above it. The two give different p-values on the same
input (shared draws leave out the smallest or the largest value instead of the
node's own), so the side of the limit a run falls on shows in its p-values.
Expected values come from enumerating every neighbour set by hand.
"""

from __future__ import annotations

from itertools import combinations

import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from esda.getisord import G_Local
from scipy import stats

from geoloft.delineation.hotspots import getis_ord, hotspots, permutation_p
from geoloft.grid import corners_to_ssbid

#: The documented limit of exact (per-node) draws, in draws; written out on purpose.
LIMIT = 10_000_000


def pairs(n: int) -> sp.csr_array:
    """Nodes 0-1, 2-3, ... joined in pairs (an odd last node stays alone)."""
    left = np.arange(0, n - 1, 2)
    rows, cols = np.r_[left, left + 1], np.r_[left + 1, left]
    return sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))


def ring(n: int, offsets: tuple[int, ...]) -> sp.csr_array:
    """Node i joined to i + offset (mod n) for each offset."""
    rows = np.repeat(np.arange(n), len(offsets))
    cols = (rows + np.tile(offsets, n)) % n
    return sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))


def enumerated_p(x: np.ndarray, graph: sp.csr_array, *, exact: bool) -> np.ndarray:
    """Two-sided p-values over every neighbour set.

    ``exact``: the pool is every value but the node's own; otherwise the
    shared draws' bounds: the smallest value left out for the upper tail, the
    largest for the lower tail.
    """
    degree = np.diff(graph.indptr)
    ranked = np.sort(x)
    out = np.full(x.size, np.nan)
    for i in np.flatnonzero(degree > 0):
        observed = x[graph.indices[graph.indptr[i] : graph.indptr[i + 1]]].sum()
        rest = np.delete(x, i)
        upper_pool, lower_pool = (rest, rest) if exact else (ranked[1:], ranked[:-1])
        k = int(degree[i])
        upper = np.mean([sum(c) >= observed - 1e-9 for c in combinations(upper_pool, k)])
        lower = np.mean([sum(c) <= observed + 1e-9 for c in combinations(lower_pool, k)])
        out[i] = min(1.0, 2.0 * min(upper, lower))
    return out


PAIRS_4 = (pairs(4), np.array([1.0, 2.0, 3.0, 4.0]))
PAIRS_11 = (pairs(11), np.arange(1.0, 12.0))
RING_9 = (ring(9, (1, 2, -1, -2)), np.array([0.0, 1.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 40.0]))


@pytest.mark.parametrize(
    ("case", "permutations", "work", "exact"),
    [
        # k = 1, 4 k^2 = n: w = k = 1; 4 * 2_500_000 * 1 is the limit itself
        (PAIRS_4, 2_500_000, LIMIT, True),
        # k = 1, 4 k^2 < n: w = 1; 11 * 909_091 is one draw over the limit
        (PAIRS_11, 909_091, LIMIT + 1, False),
        # k = 4, 4 k^2 > n: w = n - 1 = 8; 9 * 8 * 138_888 is under, 138_889 over
        (RING_9, 138_888, 9 * 8 * 138_888, True),
        (RING_9, 138_889, 9 * 8 * 138_889, False),
        # shared draws in two batches of 4 * 10^6 // 8 = 500_000: the second is cut to 100_000
        (RING_9, 600_000, 9 * 8 * 600_000, False),
    ],
    ids=[
        "pairs of 4 at the limit",
        "pairs of 11 one over",
        "ring of 9 under",
        "ring of 9 over",
        "ring of 9 in batches",
    ],
)
def test_exact_draws_up_to_the_documented_work(
    case: tuple[sp.csr_array, np.ndarray], permutations: int, work: int, exact: bool
) -> None:
    graph, x = case
    assert (work <= LIMIT) == exact
    degree = np.diff(graph.indptr)
    p = permutation_p(x, graph @ x, degree, permutations, seed=1)
    expected = enumerated_p(x, graph, exact=exact)
    other = enumerated_p(x, graph, exact=not exact)
    tested = degree > 0
    assert np.abs(expected - other)[tested].max() > 0.19  # the two sides differ plainly
    tolerance = 4.5 * np.sqrt(expected * (1 - expected / 2) / permutations) + 3 / permutations
    np.testing.assert_array_less(np.abs(p - expected)[tested], tolerance[tested])
    assert np.isnan(p[~tested]).all()


# ------------------------------------------------------------------ the graph and defaults

#: A 4 x 4 board with rook neighbours (node = 4 * row + col) and skewed values.
BOARD = np.array([3.0, 1.0, 0.0, 2.0, 8.0, 9.0, 1.0, 0.0, 7.0, 12.0, 2.0, 1.0, 0.0, 4.0, 1.0, 5.0])


def board() -> sp.csr_array:
    """Rook adjacency of the 4 x 4 board, binary, no self-loops."""
    index = np.arange(16).reshape(4, 4)
    rows = np.r_[index[:, :-1].ravel(), index[:-1, :].ravel()]
    cols = np.r_[index[:, 1:].ravel(), index[1:, :].ravel()]
    return sp.csr_array((np.ones(2 * rows.size), (np.r_[rows, cols], np.r_[cols, rows])), (16, 16))


def esda_board() -> G_Local:
    clean = board()
    neighbours = {
        i: clean.indices[clean.indptr[i] : clean.indptr[i + 1]].tolist() for i in range(16)
    }
    w = libpysal.weights.W(neighbours, silence_warnings=True)
    return G_Local(BOARD, w, transform="B", star=True, permutations=0)


def test_analytic_z_and_p_equal_esda_without_permutations() -> None:
    theirs = esda_board()
    z, p = getis_ord(BOARD, board())  # no permutations: the normal approximation
    np.testing.assert_allclose(z, theirs.Zs, atol=1e-12)
    np.testing.assert_allclose(p, 2 * theirs.p_norm, atol=1e-12)  # esda's is one-sided
    np.testing.assert_allclose(p, 2 * stats.norm.sf(np.abs(theirs.Zs)), atol=1e-12)


def test_self_loops_zeros_weights_and_doubled_edges_are_ignored() -> None:
    clean = board()
    coo = clean.tocoo()
    rows = np.r_[coo.row, np.arange(16), 0, coo.row[:2]]
    cols = np.r_[coo.col, np.arange(16), 15, coo.col[:2]]
    # weights 2, self-loops of 5, a stored zero between the far corners 0 and 15,
    # and the first two edges stored a second time
    data = np.r_[np.full(coo.row.size, 2.0), np.full(16, 5.0), 0.0, np.ones(2)]
    order = np.lexsort((cols, rows))
    indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=16))]
    messy = sp.csr_array((data[order], cols[order], indptr), shape=(16, 16))
    assert not messy.has_canonical_format
    assert (messy.data == 0).sum() == 1
    theirs = esda_board()
    for permutations in (0, 999):
        z, p = getis_ord(BOARD, messy, permutations=permutations, seed=3)
        z_clean, p_clean = getis_ord(BOARD, clean, permutations=permutations, seed=3)
        np.testing.assert_allclose(z, theirs.Zs, atol=1e-12)
        np.testing.assert_array_equal(z, z_clean)
        np.testing.assert_array_equal(p, p_clean)


def test_a_call_without_seed_is_the_call_with_seed_zero() -> None:
    graph = board()
    for call in (
        lambda **seed: getis_ord(BOARD, graph, permutations=99, **seed)[1],
        lambda **seed: permutation_p(BOARD, graph @ BOARD, np.diff(graph.indptr), 99, **seed),
        lambda **seed: hotspots(
            pd.DataFrame({"v": BOARD}), "v", adjacency=graph, permutations=99, **seed
        )["gi_p"].to_numpy(),
    ):
        np.testing.assert_array_equal(call(), call(seed=0))
        assert not np.array_equal(call(), call(seed=1), equal_nan=True)  # the seed matters


@pytest.mark.parametrize("shift", [1e4, 1e6, 1e8])
def test_z_does_not_change_when_a_constant_is_added(shift: float) -> None:
    z, _ = getis_ord(BOARD, board())
    z_shifted, _ = getis_ord(BOARD + shift, board())
    np.testing.assert_allclose(z_shifted, z, rtol=1e-6)
    np.testing.assert_allclose(z, esda_board().Zs, atol=1e-12)


@pytest.mark.parametrize("value", [0.1, 0.7, 1 / 3])
def test_a_constant_field_is_undefined_whatever_its_value(value: float) -> None:
    field = np.full(100, value)
    assert np.std(field) > 0  # the rounding noise of the mean is there
    for permutations in (0, 99):
        z, p = getis_ord(field, ring(100, (1, -1)), permutations=permutations)
        assert np.isnan(z).all()
        assert np.isnan(p).all()


def test_a_node_next_to_every_other_is_not_tested_with_permutations() -> None:
    # three cells in a row: the middle one's window is the whole region
    ids = corners_to_ssbid(260_000 + 250 * np.arange(3), np.full(3, 6_650_000))
    grid = pd.DataFrame({"ssbid": ids, "cell_size": 250, "value": [1.0, 2.0, 9.0]})
    for permutations in (0, 99):
        spots = hotspots(grid, "value", permutations=permutations)
        assert spots["gi_p"].isna().tolist() == [False, True, False]
        assert spots["gi_q"].isna().tolist() == [False, True, False]
    # a star: the hub neighbours all four leaves
    star = sp.csr_array(
        (np.ones(8), (np.r_[np.zeros(4, int), 1:5], np.r_[1:5, np.zeros(4, int)])), shape=(5, 5)
    )
    z, p = getis_ord([5.0, 1.0, 2.0, 3.0, 9.0], star, permutations=99)
    assert np.isnan(z[0])
    assert np.isnan(p[0])
    assert not np.isnan(p[1:]).any()


# ------------------------------------------------------------------ permutation_p edge cases


def test_permutation_p_of_nodes_without_neighbours_is_nan() -> None:
    x = np.array([4.0, 1.0, 2.0, 8.0, 5.0])
    degree = np.array([0, 1, 1, 0, 0])  # only 1 and 2 are neighbours
    p = permutation_p(x, np.array([0.0, 2.0, 1.0, 0.0, 0.0]), degree, 99, seed=1)
    assert np.isnan(p[[0, 3, 4]]).all()
    assert not np.isnan(p[[1, 2]]).any()
    nobody = permutation_p(x, np.zeros(5), np.zeros(5, np.int64), 99)
    assert nobody.shape == (5,)
    assert np.isnan(nobody).all()


def test_permutation_p_of_two_nodes_is_one() -> None:
    # each node's one neighbour is the only other value: every draw equals the
    # observed sum, so both tails hold all P draws and p = min(1, 2) = 1
    p = permutation_p(np.array([1.0, 5.0]), np.array([5.0, 1.0]), np.array([1, 1]), 99)
    assert p.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("offset", [0.0, 123_450.0], ids=["0.1", "12345.1"])
def test_ties_in_tenths_count_as_ties(offset: float) -> None:
    # pairs of neighbours, values in tenths: the neighbour sum (x_i + x_j) - x_i
    # is off by one rounding step for some (0.1 + 0.2 - 0.1 = 0.20000000000000004),
    # yet a drawn 0.2 ties with it; the rounding step grows with the values. The
    # same values in whole numbers are exact and the draws are the same, so the
    # p-values must be the same.
    whole = offset + np.array([1.0, 2.0, 3.0, 2.0, 1.0, 3.0, 7.0, 1.0, 2.0, 2.0])
    graph = pairs(10)
    assert ((whole[0] + whole[1]) / 10 - whole[0] / 10) != whole[1] / 10  # the rounding is there
    for permutations in (999, 1_000_001):  # exact draws, then shared (10 * P * 1 > 10^7)
        z_whole, p_whole = getis_ord(whole, graph, permutations=permutations, seed=4)
        z_tenths, p_tenths = getis_ord(whole / 10, graph, permutations=permutations, seed=4)
        np.testing.assert_allclose(z_tenths, z_whole, rtol=1e-8)
        np.testing.assert_array_equal(p_tenths, p_whole)


@pytest.mark.parametrize("permutations", [999, 19_999], ids=["exact draws", "shared draws"])
def test_the_smallest_p_value_is_two_over_p_plus_one(permutations: int) -> None:
    # node 0 holds the smallest of 30 values and neighbours the 8 largest: no
    # null sum exceeds its own and one equals it with chance 1 / C(29, 8) per
    # draw, so (almost surely, and for this seed) no draw reaches it and p is the
    # documented floor 2 / (P + 1); every p-value is a multiple of 1 / (P + 1)
    x = np.arange(1.0, 31.0)
    top = np.arange(22, 30)
    graph = sp.csr_array(
        (np.ones(16), (np.r_[np.zeros(8, int), top], np.r_[top, np.zeros(8, int)])), (30, 30)
    )
    degree = np.diff(graph.indptr)
    p = permutation_p(x, graph @ x, degree, permutations, seed=5)
    assert p[0] == 2 / (permutations + 1)
    steps = p[top] * (permutations + 1)
    np.testing.assert_allclose(steps, np.round(steps), rtol=0, atol=1e-6)
    assert np.isnan(np.delete(p, np.r_[0, top])).all()


# ------------------------------------------------------------------ per-node draws


@pytest.mark.parametrize(("n", "k"), [(100, 5), (40, 3), (9, 4)], ids=["redraw", "k=3", "order"])
def test_per_node_draws_are_distinct_other_nodes_uniformly(n: int, k: int) -> None:
    # the private drawer of per-node nulls, checked directly: the public p-values
    # would show a repeat or a skewed redraw only after millions of permutations.
    # (100, 5) and (40, 3) draw integers and redraw clashing rows (about 10 % and 8 %
    # of rows), (9, 4) takes k of a random order (4 k^2 > n)
    from geoloft.delineation.hotspots import _draw

    cells = np.array([0, n // 2, n - 1])
    batch = 200_000
    draws = _draw(np.random.default_rng(9), n, cells, k, batch)
    assert draws.shape == (batch, cells.size, k)
    assert draws.min() >= 0
    assert draws.max() < n
    assert not (draws == cells[None, :, None]).any()  # never the node itself
    ordered = np.sort(draws, axis=2)
    assert (np.diff(ordered, axis=2) > 0).all()  # k distinct nodes
    expected = batch * k / (n - 1)
    for j, cell in enumerate(cells):
        counts = np.delete(np.bincount(draws[:, j].ravel(), minlength=n), cell)
        assert np.abs(counts - expected).max() < 5 * np.sqrt(expected)


# ------------------------------------------------------------------ hotspots


def test_found_at_q_equal_alpha_and_hot_or_cold_by_the_sign_of_z() -> None:
    # a path of six, mean 2: window sums against 2 W are, by hand, 2 < 4, 4 < 6,
    # 6 = 6 (z = 0), 8 > 6, 8 > 6, 6 > 4. At alpha = 1 every q-value (here all 1,
    # the largest p is capped at 1) is at most alpha, so every cell is found
    values = np.array([0.0, 2.0, 2.0, 2.0, 4.0, 2.0])
    graph = sp.csr_array(np.eye(6, k=1) + np.eye(6, k=-1))
    spots = hotspots(pd.DataFrame({"v": values}), "v", adjacency=graph, alpha=1.0, permutations=999)
    assert spots["gi_z"].iloc[2] == 0.0
    assert (spots["gi_q"] == 1.0).any()
    assert spots["hot_spot"].tolist() == [False, False, False, True, True, True]
    assert spots["cold_spot"].tolist() == [True, True, False, False, False, False]


def test_default_permutations_follow_the_cells_with_a_valued_neighbour() -> None:
    # 15 pairs (30 cells tested), 10 cells alone and one pair whose other cell has
    # no value: 30 cells tested, so 2 * 30 / 0.05 = 1200 permutations and every
    # p-value a multiple of 2 / 1201 (counting the 11 others would give 1640)
    rng = np.random.default_rng(2)
    values = np.r_[rng.gamma(2.0, size=40), 3.0, np.nan]
    left = np.r_[np.arange(0, 30, 2), 40]
    rows, cols = np.r_[left, left + 1], np.r_[left + 1, left]
    graph = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(42, 42))
    spots = hotspots(pd.DataFrame({"v": values}), "v", adjacency=graph)
    p = spots["gi_p"].to_numpy()
    assert np.isnan(p[30:]).all()
    steps = p[:30] * 1201 / 2
    np.testing.assert_allclose(steps, np.round(steps), rtol=0, atol=1e-6)


def cell_grid() -> pd.DataFrame:
    """The 4 x 4 board as 250 m cells with SSB ids (rook neighbours as in ``board``)."""
    col, row = np.arange(16) % 4, np.arange(16) // 4
    ids = corners_to_ssbid(260_000 + 250 * col, 6_650_000 + 250 * row)
    return pd.DataFrame({"ssbid": ids, "cell_size": 250, "v": BOARD})


def test_the_cell_size_may_travel_in_attrs() -> None:
    grid = cell_grid()
    in_attrs = grid.drop(columns="cell_size")
    in_attrs.attrs["cell_size"] = 250
    expected = hotspots(grid, "v", contiguity="rook", permutations=0)
    pd.testing.assert_frame_equal(
        hotspots(in_attrs, "v", contiguity="rook", permutations=0), expected
    )
    np.testing.assert_allclose(expected["gi_z"], esda_board().Zs, atol=1e-12)


@pytest.mark.parametrize(
    ("drop", "attrs", "named"),
    [
        (["cell_size"], {}, "cell_size"),
        (["ssbid"], {}, "ssbid"),
        (["ssbid"], {"cell_size": 250}, "ssbid"),
        (["ssbid", "cell_size"], {"cell_size": 250}, "ssbid, cell_size"),
    ],
    ids=["no size", "no ids", "no ids, size in attrs", "neither column, size in attrs"],
)
def test_missing_ids_or_size_are_named(drop: list[str], attrs: dict, named: str) -> None:
    from geoloft.errors import SchemaError

    grid = cell_grid().drop(columns=drop)
    grid.attrs.update(attrs)
    with pytest.raises(SchemaError, match=rf"the grid lacks {named}; hot spots need"):
        hotspots(grid, "v")
