"""SSB id codec tests that bite: each fails on a small planted bug the rest of the suite missed.

Expected values are worked out by hand from the id rule
``ssbid = (x_ll + 2 000 000) · 10^7 + y_ll`` and the error format of
:func:`geoloft.errors.format_rows` (``"2 rows: 2, 4"``, rows 1-based).
"""

from __future__ import annotations

import numpy as np
import pytest

from geoloft.errors import SSBIdError
from geoloft.grid.codec import (
    check_cell_size,
    check_ssbids,
    describe_bad_ids,
    parent_ssbid,
)

GOOD = 22560006672000  # x = 256 000, y = 6 672 000: a corner of 1 km, 5 km and 10 km cells


def test_ids_that_are_not_14_digits_are_named_by_their_1_based_row() -> None:
    ids = [GOOD, 2256000667200, GOOD, 225600066720000]  # rows 2 (13 digits), 4 (15)
    with pytest.raises(SSBIdError, match=r"2 rows: 2, 4: 2 id\(s\) are not 14 digits") as err:
        check_ssbids(ids, 1000)
    assert (err.value.rows, err.value.n_rows) == ([2, 4], 2)


def test_ids_off_the_cell_size_are_named_by_their_1_based_row() -> None:
    # row 3: x = 256 250 is a 250 m corner, not a 1 km one
    ids = [GOOD, GOOD + 1000, GOOD + 250 * 10**7]
    with pytest.raises(SSBIdError, match=r"1 row: 3: 1 id\(s\) have a corner") as err:
        check_ssbids(ids, 1000)
    assert (err.value.rows, err.value.n_rows) == ([3], 1)
    # the same ids are whole 250 m cells (y = 6 673 000 is one too)
    assert check_ssbids(ids, 250).tolist() == ids


def test_the_14_digit_range_is_closed_at_both_ends() -> None:
    # 10**13 is the smallest 14-digit id: x = -1 000 000, y = 0, a corner of every size
    assert check_ssbids([10**13], 10_000).tolist() == [10**13]
    # 10**14 - 1 has 14 digits, but its corner (7 999 999, 9 999 999) fits no cell size
    with pytest.raises(SSBIdError, match="have a corner that is not a multiple of 100 m"):
        check_ssbids([10**14 - 1], 100)
    # 10**14 has 15 digits, though its corner (8 000 000, 0) would fit
    with pytest.raises(SSBIdError, match="not 14 digits"):
        check_ssbids([10**14], 1000)


@pytest.mark.parametrize(
    ("ids", "text"), [([GOOD], "1 row: 22560006672000"), ([1, 2], "2 rows: 1, 2")]
)
def test_describe_bad_ids_lists_them(ids: list[int], text: str) -> None:
    assert describe_bad_ids(np.array(ids)) == text


@pytest.mark.parametrize("size", [100, 250, 500, 1000, 5000, 10_000])
def test_the_sizes_ssb_and_eurostat_publish_are_accepted(size: int) -> None:
    # DESIGN: 100 m (Oslo), 250 m, 1 km, 5 km; also 500 m and 10 km
    assert check_cell_size(size) == size
    assert check_cell_size(float(size)) == size
    x, y = 256_000 // size * size, 6_672_000 // size * size  # a corner of that size
    ssbid = (x + 2_000_000) * 10**7 + y
    assert check_ssbids([ssbid], size).tolist() == [ssbid]


@pytest.mark.parametrize("size", [99, 100.5, 101, 300, 501, 2000, 10_001])
def test_sizes_ssb_does_not_use_are_refused(size: float) -> None:
    with pytest.raises(SSBIdError, match="is not one SSB uses"):
        check_cell_size(size)


def test_a_parent_must_be_a_whole_multiple() -> None:
    assert parent_ssbid([GOOD], 1000, 1000).tolist() == [GOOD]  # its own parent
    with pytest.raises(SSBIdError, match="a 250 m cell cannot hold 1000 m cells"):
        parent_ssbid([GOOD], 1000, 250)
    with pytest.raises(SSBIdError, match="a 250 m cell cannot hold 100 m cells exactly"):
        parent_ssbid([GOOD], 100, 250)
