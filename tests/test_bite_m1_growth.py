"""Tests that bite on area growth and selection (``geoloft.delineation.regions``).

Each test fails on a small planted bug that the rest of the suite missed:

* ``islands="drop"`` drops a one-cell area whatever its label, also the first
  area (label 0, the area of the lowest cell id);
* ``max_areas`` with more locked-in areas than it allows keeps them all and
  says how many it kept beyond the limit, and says nothing when the locks fit;
* the small parts: a new log is empty, and no labels (or only ``-1``) count
  no areas; sizes per label; an island link that repeats an edge keeps it
  once; growth candidates ranked by priority (missing last), then
  population, then id;
* growth: two areas that meet count their people once together and stop at
  the floor (stale picks of the absorbed area do not grow it further); three
  areas joined in one round through two chains of merges end as one;
  the input labels are left as they were;
* ``islands="nearest"``: two lone cells join, a lone first cell joins, an
  island joins only its nearest area and never across ``within``, areas of
  two or more cells never join however near, the report counts no joins when
  there is nothing to join, and cells in no area are never islands.

Expected answers are worked out by hand on one-row pictures of 250 m cells.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely

from geoloft.delineation import delineate
from geoloft.delineation.regions import (
    Log,
    add_edges,
    count,
    grow_to_floor,
    join_islands,
    priority_rank,
    sizes,
)
from geoloft.grid import corners_to_ssbid

X0, Y0 = 260_000, 6_650_000
SIZE = 250
BEYOND = "areas kept beyond max_areas because locked"


def row_of_cells(picture: str, index: list[float] | None = None) -> pd.DataFrame:
    """One row of 250 m cells west to east: ``X`` selected, ``o`` not, ``.`` no cell.

    SSB ids grow from west to east, so the first cell of the picture has the
    lowest id (and its area the label 0).
    """
    cols = [c for c, char in enumerate(picture) if char != "."]
    return pd.DataFrame(
        {
            "ssbid": corners_to_ssbid(X0 + SIZE * pd.Series(cols), Y0 + 0 * pd.Series(cols)),
            "cell_size": SIZE,
            "pop_tot": 100.0,
            "sel": [picture[c] == "X" for c in cols],
            "index": index if index is not None else [1.0] * len(cols),
            "col": cols,
        }
    )


def member_cols(areas: gpd.GeoDataFrame, grid: pd.DataFrame) -> list[list[int]]:
    """Picture columns of each area's members, areas from west to east."""
    col_of = dict(zip(grid["ssbid"].astype(int), grid["col"], strict=True))
    return sorted(sorted(col_of[int(m)] for m in text.split(",")) for text in areas["members"])


def test_a_lone_first_cell_is_dropped_as_an_island() -> None:
    # the lone cell in the west has the lowest id: its area is labelled 0
    grid = row_of_cells("X.XX")
    areas = delineate(grid, select="sel", islands="drop")
    assert member_cols(areas, grid) == [[2, 3]]
    assert areas.attrs["report"].dropped == {"isolated (islands='drop')": 1}


def test_a_lone_last_cell_is_dropped_as_an_island() -> None:
    grid = row_of_cells("XX.X")
    areas = delineate(grid, select="sel", islands="drop")
    assert member_cols(areas, grid) == [[0, 1]]
    assert areas.attrs["report"].dropped == {"isolated (islands='drop')": 1}


def test_locked_areas_beyond_max_areas_are_kept_and_counted() -> None:
    # three one-cell areas, the east one most in need; two locked in, max_areas=1:
    # both locked areas stay (one beyond the limit), the unlocked one goes
    grid = row_of_cells("X.X.X", index=[1.0, 2.0, 3.0])
    locked = [int(grid["ssbid"].iloc[0]), int(grid["ssbid"].iloc[1])]
    areas = delineate(grid, select="sel", max_areas=1, lock_in=locked)
    assert member_cols(areas, grid) == [[0], [2]]
    report = areas.attrs["report"]
    assert report.notes[BEYOND] == 1
    assert report.dropped == {"beyond max_areas": 1}


@pytest.mark.parametrize(
    ("picture", "index", "kept"),
    [
        ("X.X.X", [np.nan, 1.0, 2.0], [[2], [4]]),  # no score ranks last
        ("XX.X", [1.0, 1.0, 1.0], [[0, 1]]),  # equal scores: more persons first
        ("X.X", [1.0, 1.0], [[0]]),  # equal scores and persons: the lower label
    ],
    ids=["missing score last", "then population", "then label"],
)
def test_max_areas_ranks_score_then_population_then_label(
    picture: str, index: list[float], kept: list[list[int]]
) -> None:
    grid = row_of_cells(picture, index=index)
    areas = delineate(grid, select="sel", max_areas=len(kept))
    assert member_cols(areas, grid) == kept


def test_locks_that_fit_max_areas_leave_no_note() -> None:
    # one lock, max_areas=1: the locked area takes the one place, however needy the others
    grid = row_of_cells("X.X.X", index=[1.0, 2.0, 3.0])
    areas = delineate(grid, select="sel", max_areas=1, lock_in=[int(grid["ssbid"].iloc[0])])
    assert member_cols(areas, grid) == [[0]]
    report = areas.attrs["report"]
    assert BEYOND not in report.notes
    assert report.dropped == {"beyond max_areas": 2}


def test_a_new_log_is_empty_and_no_labels_count_no_areas() -> None:
    log = Log()
    assert (log.candidates, log.dropped, log.notes) == (0, {}, {})
    assert count(np.zeros(0, np.int64)) == 0
    assert count(np.full(3, -1, np.int64)) == 0
    assert count(np.array([-1, 0, 2, 1, -1])) == 3
    assert count(np.array([-1, 0])) == 1


def test_sizes_count_members_or_sum_weights_per_label() -> None:
    labels = np.array([-1, 0, 2, 0, -1])
    assert sizes(labels).tolist() == [2.0, 0.0, 1.0]
    assert sizes(labels, np.array([5.0, 1.0, 2.0, 3.0, 4.0])).tolist() == [4.0, 0.0, 2.0]
    assert sizes(np.full(3, -1, np.int64)).tolist() == []


def test_an_island_link_that_repeats_an_edge_keeps_it_once() -> None:
    path = sp.csr_array(np.eye(3, k=1) + np.eye(3, k=-1))
    linked = add_edges(path, np.array([0, 2]), np.array([1, 0]))
    assert linked.toarray().tolist() == [[0, 1, 1], [1, 0, 1], [1, 1, 0]]


def test_growth_candidates_rank_by_priority_then_population_then_id() -> None:
    # by hand: 0.9 first; the three 0.5 by population (30, then 10 and 10 by id);
    # the missing priority last
    priority = np.array([0.5, np.nan, 0.9, 0.5, 0.5])
    pop = np.array([10.0, 50.0, 5.0, 30.0, 10.0])
    assert priority_rank(priority, pop).tolist() == [2, 4, 0, 1, 3]


# ------------------------------------------------------------------ islands="nearest"


def nearest(picture: str, distance: float, **options: object) -> tuple[list[list[int]], dict]:
    """Areas (picture columns) and report notes of ``islands="nearest"`` on one row."""
    grid = row_of_cells(picture)
    for column, values in options.items():
        grid[column] = values
    within = "group" if "group" in options else None
    areas = delineate(
        grid, select="sel", islands="nearest", island_distance=distance, within=within
    )
    return member_cols(areas, grid), areas.attrs["report"].notes


@pytest.mark.parametrize(
    ("picture", "expected", "joined"),
    [
        ("X.X", [[0, 2]], 2),  # two lone cells 250 m apart: each joins the other
        ("X.XX", [[0, 2, 3]], 1),  # the lone first cell (label 0) joins
        ("XX.XX", [[0, 1], [3, 4]], 0),  # no area of two cells is an island
        ("XX.X..XX", [[0, 1, 3], [6, 7]], 1),  # 250 m to the west, 500 m to the east
        ("X....XX", [[0], [5, 6]], 0),  # 1000 m away: too far
        # each island lies 250 m from two areas: the tie goes to the lower cell id
        ("XX.X.XX.X.XX", [[0, 1, 3], [5, 6, 8], [10, 11]], 2),
        ("X", [[0]], 0),  # alone: nothing to join
        ("XX", [[0, 1]], 0),  # no island
    ],
)
def test_islands_join_their_nearest_area(picture: str, expected: list, joined: int) -> None:
    areas, notes = nearest(picture, 600.0)
    assert areas == expected
    assert notes["islands joined to a near area"] == joined


def test_islands_never_join_across_within() -> None:
    # the island (column 3, group 02) is 250 m from group 01 and 500 m from group 02
    areas, notes = nearest("XX.X..XX", 600.0, group=["01", "01", "02", "02", "02"])
    assert areas == [[0, 1], [3, 6, 7]]
    assert notes["islands joined to a near area"] == 1


def test_items_in_no_area_are_never_islands() -> None:
    # units in a row of five squares, the middle one in no area: nothing to join
    squares = np.array([shapely.box(100 * i, 0, 100 * i + 100, 100) for i in range(5)])
    labels = np.array([0, 0, -1, 1, 1])
    out, a, b = join_islands(labels, squares, distance=150.0, group=None)
    assert out.tolist() == labels.tolist()
    assert a.size == 0
    assert b.size == 0


def test_join_islands_makes_no_links_without_two_members_or_an_island() -> None:
    squares = np.array([shapely.box(100 * i, 0, 100 * i + 100, 100) for i in range(3)])
    for labels in (np.array([0, -1, -1]), np.array([0, 0, -1])):
        out, a, b = join_islands(labels, squares, distance=500.0, group=None)
        assert out.tolist() == labels.tolist()
        assert (a.tolist(), b.tolist()) == ([], [])


# ------------------------------------------------------------------ growth


def test_areas_that_meet_stop_at_the_floor_together() -> None:
    # X o X o o, 100 persons each, floor 250: both areas take the cell between them
    # (300 persons together, over the floor); the east area's other pick (column 3)
    # is stale once it is merged, and nothing more is taken
    grid = row_of_cells("XoXoo")
    areas = delineate(grid, select="sel", min_pop=250)
    assert member_cols(areas, grid) == [[0, 1, 2]]
    assert areas["pop"].tolist() == [300.0]


def test_an_area_that_grows_into_the_first_area_merges_with_it() -> None:
    # X X o X, floor 150: the west area (label 0, 200 persons) does not grow; the
    # east one takes column 2, which touches the west area: one area of 400
    grid = row_of_cells("XXoX")
    areas = delineate(grid, select="sel", min_pop=150)
    assert member_cols(areas, grid) == [[0, 1, 2, 3]]
    assert areas["pop"].tolist() == [400.0]


def test_each_area_takes_one_neighbour_a_round() -> None:
    # X o . o X o, floor 200: the west area takes column 1; the east one has two
    # free neighbours of equal priority and takes only the lower id, column 3
    grid = row_of_cells("Xo.oXo")
    areas = delineate(grid, select="sel", min_pop=200)
    assert member_cols(areas, grid) == [[0, 1], [3, 4]]


def test_three_areas_joined_in_one_round_become_one() -> None:
    # areas A = {0}, B = {1}, C = {2} and free nodes u = 3, w = 4; edges B-u, u-C,
    # A-w, w-B. Round 1: B and C pick u (C merges into B), A picks w; w touches B,
    # so B merges into A: C -> B -> A, two steps to the root. All five are one area
    # of 500 persons, under the floor of 1000 but with nothing left to take.
    rows = np.array([1, 3, 0, 4])
    cols = np.array([3, 2, 4, 1])
    graph = sp.csr_array((np.ones(8), (np.r_[rows, cols], np.r_[cols, rows])), shape=(5, 5))
    labels = np.array([0, 1, 2, -1, -1])
    pop = np.full(5, 100.0)
    rank = priority_rank(np.array([0.0, 0.0, 0.0, 1.0, 0.5]), pop)  # B prefers u to w
    out, added = grow_to_floor(graph, labels, pop, rank, floor=1000.0, eligible=np.ones(5, bool))
    assert out.tolist() == [0, 0, 0, 0, 0]
    assert added.tolist() == [False, False, False, True, True]
    assert labels.tolist() == [0, 1, 2, -1, -1]  # the input is not changed
