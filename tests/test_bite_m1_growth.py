"""Tests that bite on area growth and selection (``geoloft.delineation.regions``).

Each test fails on a small planted bug that the rest of the suite missed:

* ``islands="drop"`` drops a one-cell area whatever its label, also the first
  area (label 0, the area of the lowest cell id);
* ``max_areas`` with more locked-in areas than it allows keeps them all and
  says how many it kept beyond the limit, and says nothing when the locks fit;
* the small parts: a new log is empty, and no labels (or only ``-1``) count
  no areas.

Expected answers are worked out by hand on one-row pictures of 250 m cells.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft.delineation import delineate
from geoloft.delineation.regions import Log, count
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
