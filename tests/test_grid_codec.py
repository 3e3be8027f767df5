"""Tests of the SSB grid codec (SSBID and Eurostat GEOSTAT ids <-> cells).

Expected values come from hand-worked cells (written next to each case), from
the published SSB files in ``../shared/realdata`` (their READMEs state the
counts) and from the raw file text read independently of the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geoloft.errors import SSBIdError
from geoloft.grid import (
    CELL_SIZES,
    cell_polygons,
    check_ssbids,
    corners_to_geostat,
    corners_to_ssbid,
    geostat_to_corners,
    neighbour_ssbids,
    parent_ssbid,
    points_to_ssbid,
    ssbid_to_corners,
)

sizes = st.sampled_from(CELL_SIZES)


# --- codec ------------------------------------------------------------------


@settings(deadline=None)
@given(size=sizes, data=st.data())
def test_ssbid_corner_round_trip(size: int, data: st.DataObject) -> None:
    # x from -1,000 km (14-digit ids need x + 2,000,000 >= 10**6) to 2,000 km; y < 10**7
    x = data.draw(st.integers(-1_000_000 // size, 2_000_000 // size)) * size
    y = data.draw(st.integers(0, (10**7 - 1) // size)) * size
    ssbid = corners_to_ssbid([x], [y])
    assert 10**13 <= ssbid[0] < 10**14
    assert ssbid[0] == (x + 2_000_000) * 10**7 + y
    back_x, back_y = ssbid_to_corners(ssbid)
    assert (back_x[0], back_y[0]) == (x, y)
    assert check_ssbids(ssbid, size).tolist() == ssbid.tolist()


@settings(deadline=None)
@given(
    size=sizes,
    x=st.floats(-999_000, 2_000_000, allow_nan=False),
    y=st.floats(6_000_000, 9_000_000, allow_nan=False),
)
def test_points_fall_in_their_cell(size: int, x: float, y: float) -> None:
    ids = points_to_ssbid([x], [y], size)
    x_ll, y_ll = ssbid_to_corners(ids)
    assert x_ll[0] % size == 0
    assert y_ll[0] % size == 0
    assert x_ll[0] <= x < x_ll[0] + size
    assert y_ll[0] <= y < y_ll[0] + size
    # the cell polygon holds the point (or has it on its lower/left edge)
    assert shapely.intersects(cell_polygons(ids, size)[0], shapely.Point(x, y))


@settings(deadline=None)
@given(x=st.integers(-3_000, 4_000), y=st.integers(25_000, 36_000))
def test_parent_chain_250_1000_5000(x: int, y: int) -> None:
    child = corners_to_ssbid([x * 250], [y * 250])
    km = parent_ssbid(child, 250, 1000)
    five = parent_ssbid(km, 1000, 5000)
    assert five.tolist() == parent_ssbid(child, 250, 5000).tolist()
    for parent, size in ((km, 1000), (five, 5000)):
        assert cell_polygons(parent, size)[0].contains(cell_polygons(child, 250)[0])


def test_codec_hand_worked_cells() -> None:
    # First cell of nor2015pop_1kmruter.csv: x_ll = 1925000 - 2000000 = -75000 (west coast).
    assert ssbid_to_corners([19250006616000]) == (np.array([-75000]), np.array([6616000]))
    assert points_to_ssbid([-74999.5], [6616999.9], 1000).tolist() == [19250006616000]
    assert points_to_ssbid([-0.5], [6616000.0], 250).tolist() == [19997506616000]
    # found by hypothesis: -5e-324 / 100 underflows to -0.0, yet the point is west of x = 0
    assert points_to_ssbid([-5e-324], [6616000.0], 100).tolist() == [19999006616000]
    assert parent_ssbid([19252506617250], 250, 1000).tolist() == [19250006617000]
    assert parent_ssbid([19997506616250], 250, 5000).tolist() == [19950006615000]
    east, west, north, south = neighbour_ssbids([22560006672000], 1000)[0]
    assert (east, west, north, south) == (
        22570006672000,
        22550006672000,
        22560006673000,
        22560006671000,
    )


def test_geostat_hand_worked_codes() -> None:
    x, y, size = geostat_to_corners(["CRS3035RES1000mN2696000E4341000", "1kmN2696E4341"])
    assert x.tolist() == [4341000, 4341000]
    assert y.tolist() == [2696000, 2696000]
    assert size.tolist() == [1000, 1000]
    assert corners_to_geostat([4341100], [2696200], 100, short=True).tolist() == [
        "100mN26962E43411"
    ]


@settings(deadline=None)
@given(size=sizes, e=st.integers(100, 7000), n=st.integers(100, 5500), short=st.booleans())
def test_geostat_round_trip(size: int, e: int, n: int, short: bool) -> None:
    x, y = e * 1000 // size * size, n * 1000 // size * size
    codes = corners_to_geostat([x], [y], size, short=short)
    back = geostat_to_corners(codes)
    assert [v.tolist() for v in back] == [[x], [y], [size]]


def test_geostat_rejects_other_text() -> None:
    with pytest.raises(SSBIdError, match=r"1 row: 2: .*not GEOSTAT codes \(e.g. 'N2696E4341'\)"):
        geostat_to_corners(["1kmN2696E4341", "N2696E4341"])
