"""Property tests: floors, ceilings, locks and contiguity hold on random small grids."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from geoloft.delineation import delineate, membership
from geoloft.grid import corners_to_ssbid

SIZE = 250


@st.composite
def problems(draw: st.DrawFn) -> dict:
    """A random grid of up to 8 x 8 cells, a random selection, floor, ceiling and locks."""
    width = draw(st.integers(2, 8))
    height = draw(st.integers(1, 8))
    present = np.array(
        draw(st.lists(st.booleans(), min_size=width * height, max_size=width * height))
    )
    if not present.any():
        present[0] = True
    col, row = np.divmod(np.flatnonzero(present), height)
    n = col.size
    pop = np.array(draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)), dtype=float)
    index = np.array(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)), dtype=float)
    selected = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    ids = corners_to_ssbid(260_000 + col * SIZE, 6_650_000 + row * SIZE)
    split = draw(st.integers(0, width))  # a "bydel" boundary between columns
    grid = pd.DataFrame(
        {
            "ssbid": ids,
            "cell_size": SIZE,
            "pop_tot": pop,
            "index": index,
            "sel": selected,
            "col": col,
            "row": row,
            "bydel": np.where(col < split, "01", "02"),
        }
    )
    floor = draw(st.one_of(st.none(), st.integers(1, 200)))
    ceiling = draw(st.one_of(st.none(), st.integers(60, 400)))
    if floor is not None and ceiling is not None and ceiling < floor:
        floor, ceiling = ceiling, floor
    picks = draw(st.lists(st.sampled_from(list(range(n))), max_size=4, unique=True))
    half = len(picks) // 2
    return {
        "grid": grid,
        "min_pop": floor,
        "max_pop": ceiling,
        "lock_in": [int(ids[i]) for i in picks[:half]],
        "lock_out": [int(ids[i]) for i in picks[half:]],
        "contiguity": draw(st.sampled_from(["rook", "queen"])),
        "within": draw(st.sampled_from([None, "bydel"])),
        "islands": draw(st.sampled_from(["own", "drop"])),
        "max_areas": draw(st.one_of(st.none(), st.integers(1, 4))),
    }


def touching(grid: pd.DataFrame, members: list[int], queen: bool) -> bool:
    """Whether the member cells are connected, judged from their column and row numbers."""
    cells = grid.set_index("ssbid").loc[members, ["col", "row"]].to_numpy()
    dx = np.abs(cells[:, None, 0] - cells[None, :, 0])
    dy = np.abs(cells[:, None, 1] - cells[None, :, 1])
    near = (np.maximum(dx, dy) == 1) if queen else (dx + dy == 1)
    rows, cols = np.nonzero(near)
    graph = coo_array((np.ones(rows.size), (rows, cols)), shape=(len(members),) * 2)
    return connected_components(graph, directed=False)[0] == 1


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_invariants(problem: dict) -> None:
    grid = problem.pop("grid")
    areas = delineate(grid, select="sel", **problem)
    table = membership(areas)
    member_ids = table["member"].astype(np.int64).tolist()
    # areas are disjoint and made of input cells
    assert len(member_ids) == len(set(member_ids))
    assert set(member_ids) <= set(grid["ssbid"])
    # locks: every locked-in id is in an area, no locked-out id is
    assert set(problem["lock_in"]) <= set(member_ids)
    assert not set(problem["lock_out"]) & set(member_ids)
    # members are selected, locked in, or added to reach the floor
    selected = set(grid.loc[grid["sel"], "ssbid"]) | set(problem["lock_in"])
    added = set(table.loc[table["added"], "member"].astype(np.int64))
    assert set(member_ids) <= selected | added
    if problem["min_pop"] is None:
        assert not added
    # floor and ceiling, unless flagged
    floor, ceiling = problem["min_pop"], problem["max_pop"]
    for pop, flags in zip(areas["pop"], areas["flags"], strict=True):
        if floor is not None:
            assert pop >= floor or "under_floor_locked" in flags
        if ceiling is not None:
            assert pop <= ceiling or "over_ceiling" in flags
    # every area is contiguous and stays on one side of the boundary when asked
    queen = problem["contiguity"] == "queen"
    bydel = grid.set_index("ssbid")["bydel"]
    for ids in areas["members"]:
        cells = [int(i) for i in ids.split(",")]
        assert touching(grid, cells, queen), ids
        if problem["within"]:
            assert bydel.loc[cells].nunique() == 1
    # at most max_areas, unless more areas hold locked-in cells
    if problem["max_areas"] is not None:
        assert len(areas) <= max(problem["max_areas"], len(problem["lock_in"]))
    # population adds up
    pops = grid.set_index("ssbid")["pop_tot"]
    for ids, pop in zip(areas["members"], areas["pop"], strict=True):
        assert pops.loc[[int(i) for i in ids.split(",")]].sum() == pop


@settings(max_examples=40, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_row_order_does_not_matter(problem: dict, rnd) -> None:
    grid = problem.pop("grid")
    order = list(range(len(grid)))
    rnd.shuffle(order)
    one = delineate(grid, select="sel", **problem)
    two = delineate(grid.iloc[order], select="sel", **problem)
    pd.testing.assert_frame_equal(
        one.drop(columns=["geometry", "settlement"]), two.drop(columns=["geometry", "settlement"])
    )
    assert one.geometry.geom_equals_exact(two.geometry, tolerance=1e-6).all()
