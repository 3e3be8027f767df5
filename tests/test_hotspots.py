"""Gi* hot spots and cell adjacency, checked against esda, libpysal and scipy."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely
from esda.getisord import G_Local
from scipy import stats

from geoloft import read_grid
from geoloft.delineation import band_adjacency, benjamini_hochberg, cell_adjacency, hotspots
from geoloft.delineation.hotspots import auto_permutations
from geoloft.grid import cell_centres, cell_polygons, corners_to_ssbid

SIZE = 250


def small_grid(seed: int = 1) -> pd.DataFrame:
    """A 12 x 12 grid with a few cells missing, a hot corner and one isolated cell."""
    rng = np.random.default_rng(seed)
    col, row = np.meshgrid(np.arange(12), np.arange(12), indexing="ij")
    col, row = col.ravel(), row.ravel()
    keep = rng.random(col.size) > 0.15
    col, row = np.r_[col[keep], 14], np.r_[row[keep], 14]  # (14, 14): no neighbour
    value = rng.gamma(2.0, size=col.size) + np.where((col > 5) & (row > 5), 12.0, 0.0)
    value[-1] = 40.0  # the isolated cell has the largest value of all
    ids = corners_to_ssbid(260_000 + col * SIZE, 6_650_000 + row * SIZE)
    return pd.DataFrame({"ssbid": ids, "cell_size": SIZE, "value": value})


def esda_gstar(grid: pd.DataFrame, *, queen: bool, permutations: int = 0) -> G_Local:
    frame = gpd.GeoDataFrame(geometry=cell_polygons(grid["ssbid"], SIZE))
    kind = libpysal.weights.Queen if queen else libpysal.weights.Rook
    w = kind.from_dataframe(frame, use_index=False, silence_warnings=True)
    with warnings.catch_warnings():  # libpysal warns of the island; we know
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # esda divides by 0 for the island
        return G_Local(
            grid["value"].to_numpy(),
            w,
            transform="B",
            star=True,
            permutations=permutations,
            seed=7,
            n_jobs=1,
        )


@pytest.mark.parametrize("queen", [True, False], ids=["queen", "rook"])
def test_z_scores_equal_esda(queen: bool) -> None:
    grid = small_grid()
    ours = hotspots(grid, "value", contiguity="queen" if queen else "rook", permutations=0)
    theirs = esda_gstar(grid, queen=queen)
    tested = ours["n_neighbours"].to_numpy() > 0
    np.testing.assert_allclose(ours["gi_z"].to_numpy()[tested], theirs.Zs[tested], atol=1e-9)
    np.testing.assert_allclose(
        ours["gi_p"].to_numpy()[tested], 2 * theirs.p_norm[tested], atol=1e-12
    )


def test_isolated_cell_is_never_a_hot_spot() -> None:
    grid = small_grid()
    ours = hotspots(grid, "value")
    theirs = esda_gstar(grid, queen=True)
    assert theirs.p_norm[-1] < 1e-6  # esda calls the isolated cell the hottest of all
    assert theirs.p_norm[-1] == theirs.p_norm.min()
    last = ours.iloc[-1]
    assert last["n_neighbours"] == 0
    assert np.isnan(last["gi_z"])
    assert np.isnan(last["gi_p"])
    assert np.isnan(last["gi_q"])
    assert not last["hot_spot"]
    assert not last["cold_spot"]
    assert ours["hot_spot"].sum() > 0


def test_fdr_matches_scipy() -> None:
    rng = np.random.default_rng(3)
    p = np.r_[rng.uniform(size=200) ** 3, np.nan, np.nan]
    q = benjamini_hochberg(p)
    np.testing.assert_allclose(q[:-2], stats.false_discovery_control(p[:-2], method="bh"))
    assert np.isnan(q[-2:]).all()


def test_hot_spots_use_fdr_not_raw_p() -> None:
    grid = small_grid()
    spots = hotspots(grid, "value", alpha=0.05)
    raw = (spots["gi_p"] <= 0.05) & (spots["gi_z"] > 0)
    assert spots["hot_spot"].sum() <= raw.sum()
    expected = (stats.false_discovery_control(spots["gi_p"].dropna(), method="bh") <= 0.05) & (
        spots["gi_z"].dropna() > 0
    )
    assert spots["hot_spot"][spots["gi_p"].notna()].tolist() == expected.tolist()


def test_permutation_p_values_agree_with_esda() -> None:
    grid = small_grid()
    ours = hotspots(grid, "value", permutations=999, seed=1)
    theirs = esda_gstar(grid, queen=True, permutations=999)
    tested = ours["n_neighbours"].to_numpy() > 0
    folded = ours["gi_p"].to_numpy()[tested] / 2  # ours is two-sided; esda's p_sim is folded
    gap = np.abs(folded - theirs.p_sim[tested])
    assert gap.mean() < 0.02  # Monte Carlo error of two 999-draw estimates
    assert gap.max() < 0.1


def test_permutations_repeat_for_a_seed() -> None:
    grid = small_grid()
    one = hotspots(grid, "value", permutations=99, seed=4)
    two = hotspots(grid, "value", permutations=99, seed=4)
    other = hotspots(grid, "value", permutations=99, seed=5)
    pd.testing.assert_frame_equal(one, two)
    assert not one["gi_p"].equals(other["gi_p"])


def test_result_is_aligned_and_nan_values_left_out() -> None:
    grid = small_grid().set_index(pd.Index(np.arange(100, 100 + len(small_grid()))))
    grid.loc[grid.index[0], "value"] = np.nan
    spots = hotspots(grid, "value")
    assert spots.index.equals(grid.index)
    assert np.isnan(spots["gi_z"].iloc[0])


@pytest.mark.parametrize("queen", [True, False], ids=["queen", "rook"])
def test_cell_adjacency_equals_libpysal(queen: bool) -> None:
    grid = small_grid()
    ours = cell_adjacency(grid["ssbid"], SIZE, contiguity="queen" if queen else "rook")
    frame = gpd.GeoDataFrame(geometry=cell_polygons(grid["ssbid"], SIZE))
    kind = libpysal.weights.Queen if queen else libpysal.weights.Rook
    theirs = kind.from_dataframe(frame, use_index=False, silence_warnings=True).sparse
    assert (ours != theirs).nnz == 0


@pytest.mark.parametrize("distance", [1.0, 1.5, 2.0, 3.2])
def test_band_adjacency_equals_libpysal_distance_band(distance: float) -> None:
    grid = small_grid()
    ours = band_adjacency(grid["ssbid"], SIZE, distance=distance)
    x, y = cell_centres(grid["ssbid"], SIZE)
    theirs = libpysal.weights.DistanceBand(
        np.c_[x, y], threshold=distance * SIZE + 1e-6, silence_warnings=True
    ).sparse
    assert (ours != theirs).nnz == 0


def test_distance_band_gives_scattered_cells_neighbours() -> None:
    grid = small_grid()
    grid.loc[len(grid)] = [
        int(corners_to_ssbid(260_000 + 16 * SIZE, 6_650_000 + 14 * SIZE)),
        SIZE,
        3.0,
    ]
    spots = hotspots(grid, "value", distance=2.0)  # (14, 14) and (16, 14) are two cells apart
    assert spots["n_neighbours"].iloc[-2:].tolist() == [1, 1]
    assert spots["gi_z"].iloc[-2:].notna().all()


def test_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="column 'nope'"):
        hotspots(small_grid(), "nope")


def block_units(size: int = 10, lo: int = 3, hi: int = 7) -> tuple[sp.csr_array, pd.DataFrame]:
    """Unit squares on a size x size board; value 9 in the block [lo, hi)^2, else 1."""
    from geoloft.delineation import unit_adjacency

    squares = [
        shapely.box(i * 100, j * 100, i * 100 + 100, j * 100 + 100)
        for i in range(size)
        for j in range(size)
    ]
    hot = [lo <= i < hi and lo <= j < hi for i in range(size) for j in range(size)]
    return unit_adjacency(squares), pd.DataFrame({"v": np.where(hot, 9.0, 1.0)})


def test_unit_adjacency_hot_spots() -> None:
    graph, frame = block_units()
    spots = hotspots(frame, "v", adjacency=graph, alpha=0.1)
    inner = [i * 10 + j for i in (4, 5) for j in (4, 5)]  # 4 rook neighbours, all hot
    assert spots["hot_spot"].iloc[inner].all()
    assert not spots["hot_spot"].to_numpy()[frame["v"].to_numpy() == 1.0].any()


@pytest.mark.parametrize("shared", [False, True], ids=["per-cell draws", "shared draws"])
def test_permutation_p_matches_the_hypergeometric_tail(
    shared: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an inner cell of the block: its 4 neighbours must all be 9 to reach its sum;
    # among the 99 other values 15 are 9, so P = C(15,4) / C(99,4) (hypergeometric)
    if shared:
        monkeypatch.setattr(sys.modules["geoloft.delineation.hotspots"], "EXACT_WORK", 0)
    graph, frame = block_units()
    draws = 40_000 if shared else 20_000
    spots = hotspots(frame, "v", adjacency=graph, permutations=draws, seed=2)
    inner = [i * 10 + j for i in (4, 5) for j in (4, 5)]
    tail = stats.hypergeom(99, 15, 4).sf(3)
    # shared draws leave out the smallest value instead of the cell's own: 16 nines, not 15
    expected = stats.hypergeom(99, 16, 4).sf(3) if shared else tail
    p = spots["gi_p"].to_numpy()[inner] / 2 * (draws + 1) - 1  # null sums >= observed
    sd = np.sqrt(draws * expected * (1 - expected))
    assert np.all(np.abs(p - draws * expected) < 4.5 * sd)
    assert np.all(p >= draws * tail - 4.5 * sd)  # never anti-conservative


def test_default_draws_enough_permutations_for_fdr() -> None:
    # 400 tests: 99 permutations give p >= 0.02 > 0.05 / 400 * R for any R < 160
    graph, frame = block_units(20, 8, 12)
    spots = hotspots(frame, "v", adjacency=graph)
    few = hotspots(frame, "v", adjacency=graph, permutations=99)
    assert spots["hot_spot"].sum() >= 4
    assert few["hot_spot"].sum() == 0
    assert auto_permutations(400, 0.05) + 1 >= 2 * 400 / 0.05


def test_default_keeps_false_hot_spots_rare_on_shuffled_demo(repo: Path) -> None:
    # the demo's own skewed counts shuffled over its own cells: every spot is false
    grid = read_grid(repo / "data/grid/demoby_ru250m_syntetisk.csv", cell_size=250)
    rng = np.random.default_rng(11)
    any_default, any_analytic = 0, 0
    for i in range(12):
        shuffled = grid.assign(pop_tot=rng.permutation(grid["pop_tot"].to_numpy()))
        default = hotspots(shuffled, "pop_tot", seed=i)
        analytic = hotspots(shuffled, "pop_tot", permutations=0)
        any_default += bool(default["hot_spot"].any() or default["cold_spot"].any())
        any_analytic += bool(analytic["hot_spot"].any())
    assert any_default <= 2  # P(>= 3 of 12) < 2 % at the nominal 5 %
    assert any_analytic >= 10  # the normal approximation invents them


def test_three_cells_are_enough_for_gi_star() -> None:
    # the smallest region Gi* is defined for (n - 1 > 1 in the variance): three cells in a row
    ids = corners_to_ssbid(260_000 + SIZE * np.arange(3), np.full(3, 6_650_000))
    grid = pd.DataFrame({"ssbid": ids, "cell_size": SIZE, "value": [1.0, 2.0, 9.0]})
    ours = hotspots(grid, "value", permutations=0)
    theirs = esda_gstar(grid, queen=True)
    np.testing.assert_allclose(ours["gi_z"].to_numpy()[[0, 2]], theirs.Zs[[0, 2]], atol=1e-12)
    # the middle cell's window is the whole region: its sum cannot vary, it is not tested
    assert np.isnan(ours["gi_z"].iloc[1])
    assert not hotspots(grid, "value")["gi_p"].iloc[[0, 2]].isna().any()
    two = hotspots(grid.iloc[:2], "value", permutations=0)
    assert two["gi_z"].isna().all()  # two cells: no spread left to compare with


@pytest.mark.parametrize("shared", [False, True], ids=["per-cell draws", "shared draws"])
def test_permutation_p_of_a_window_that_cannot_vary_is_one(
    shared: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geoloft.delineation.hotspots import permutation_p

    if shared:
        monkeypatch.setattr(sys.modules["geoloft.delineation.hotspots"], "EXACT_WORK", 0)
    x = np.array([1.0, 2.0, 3.0, 4.0, 9.0])
    degree = np.array([4, 1, 1, 1, 1])  # node 0 neighbours all others: its sum is always 18
    neighbour_sum = np.array([18.0, 1.0, 1.0, 1.0, 1.0])
    p = permutation_p(x, neighbour_sum, degree, 199, seed=3)
    assert p[0] == 1.0
    assert np.all((p > 0) & (p <= 1))


def exact_p(
    x: np.ndarray, graph: sp.csr_array, pool_of: Callable[[np.ndarray, int], tuple]
) -> np.ndarray:
    """Two-sided conditional-permutation p-values by enumerating every neighbour set."""
    from itertools import combinations

    degree = np.diff(graph.indptr)
    out = np.full(x.size, np.nan)
    for i in np.flatnonzero(degree > 0):
        observed = x[graph.indices[graph.indptr[i] : graph.indptr[i + 1]]].sum()
        upper_pool, lower_pool = pool_of(x, i)
        upper = np.mean([sum(c) >= observed - 1e-9 for c in combinations(upper_pool, degree[i])])
        lower = np.mean([sum(c) <= observed + 1e-9 for c in combinations(lower_pool, degree[i])])
        out[i] = min(1.0, 2 * min(upper, lower))
    return out


def own_left_out(x: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
    rest = np.delete(x, i)
    return rest, rest


def bound_pools(x: np.ndarray, i: int) -> tuple[np.ndarray, np.ndarray]:
    ranked = np.sort(x)
    return ranked[1:], ranked[:-1]  # smallest left out (upper tail), largest (lower)


@pytest.mark.parametrize(
    ("name", "shared"),
    [("ring of 9", False), ("path of 20", False), ("ring of 9", True), ("path of 20", True)],
)
def test_permutation_p_equals_enumeration(
    name: str, shared: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # per-cell draws must match the exact conditional distribution (own value left
    # out); shared draws the exact distribution of their bound (never smaller)
    from geoloft.delineation.hotspots import permutation_p

    if shared:
        monkeypatch.setattr(sys.modules["geoloft.delineation.hotspots"], "EXACT_WORK", 0)
    if name == "ring of 9":  # 4 k^2 > n: per-cell draws take k of a random order
        n, offsets = 9, (1, 2, -1, -2)
        x = np.array([0.0, 1.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 40.0])
    else:  # 4 k^2 <= n: per-cell draws are integers with clashes redrawn
        n, offsets = 20, (1, -1)
        x = np.r_[np.arange(10.0), 100.0, np.arange(10.0, 19.0)]
    rows = np.repeat(np.arange(n), len(offsets))
    cols = (rows + np.tile(offsets, n)) % n
    if name == "path of 20":
        keep = np.abs(cols - rows) == 1
        rows, cols = rows[keep], cols[keep]
    graph = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))
    degree = np.diff(graph.indptr)
    draws = 20_000
    p = permutation_p(x, graph @ x, degree, draws, seed=8)
    expected = exact_p(x, graph, bound_pools if shared else own_left_out)
    tolerance = 4.5 * np.sqrt(expected * (1 - expected / 2) / draws) + 3 / draws
    np.testing.assert_array_less(np.abs(p - expected), tolerance)


@pytest.mark.parametrize(("pool", "k"), [(16, 2), (40, 3), (9, 4)])
def test_shared_subsets_are_uniform_and_distinct(pool: int, k: int) -> None:
    # every position equally likely, no position twice in a subset: (16, 2) and
    # (40, 3) redraw clashing integer draws, (9, 4) takes k of a random order
    from geoloft.delineation.hotspots import _subsets

    size = 400_000
    draws = _subsets(np.random.default_rng(6), pool, k, size)
    assert draws.shape == (k, size)
    ordered = np.sort(draws, axis=0)
    assert (np.diff(ordered, axis=0) > 0).all()
    counts = np.bincount(draws.ravel(), minlength=pool)
    expected = size * k / pool
    assert np.abs(counts - expected).max() < 5 * np.sqrt(expected)


def test_every_cell_found_at_alpha_one_is_hot_or_cold_by_its_sign() -> None:
    spots = hotspots(small_grid(), "value", alpha=1.0)
    tested = spots["gi_z"].notna()
    assert (spots["hot_spot"] == (spots["gi_z"] > 0))[tested].all()
    assert (spots["cold_spot"] == (spots["gi_z"] < 0))[tested].all()
    assert not (spots["hot_spot"] & spots["cold_spot"]).any()


def test_gi_star_is_scale_free_and_undefined_for_a_constant() -> None:
    # z and the permutation p-values do not depend on the unit (per cent or share)
    grid = small_grid()
    one = hotspots(grid, "value", permutations=999, seed=2)
    small = hotspots(grid.assign(value=grid["value"] / 1000), "value", permutations=999, seed=2)
    np.testing.assert_allclose(one["gi_z"], small["gi_z"], rtol=1e-9)
    np.testing.assert_array_equal(one["gi_p"], small["gi_p"])
    flat = hotspots(grid.assign(value=3.0), "value")
    assert flat["gi_z"].isna().all()
    assert flat["gi_p"].isna().all()
    assert not flat["hot_spot"].any()
