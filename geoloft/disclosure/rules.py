"""The disclosure rules, stated once: what is hidden first and how wide a hidden value must stay.

Primary suppression (applied before any secondary choice):

* a **grid cell, area or intervention area** with fewer than ``threshold`` persons
  (``pop_tot`` or ``pop``): every figure of it is hidden;
* a **sub-group count** of a cell (``pop_mal``, ``pop_fem``) under ``threshold``,
  *including 0*: an empty sub-group says that every resident belongs to the other one;
* an **indicator denominator** under ``threshold`` (then its numerator too);
* an **indicator numerator** of 1 to ``threshold - 1``, or one that leaves 1 to
  ``threshold - 1`` persons *without* the trait (``0 < d - n < threshold``: publishing it
  says that almost everyone counted has the trait);
* a **rate** whose numerator or denominator is hidden (with its z-score, which is a
  linear function of it).

Protection interval: from the published figures (and the public facts that counts are
not negative and that a numerator never exceeds its denominator) no hidden count that may
be small may be narrowed to an interval shorter than :func:`protection_width` persons.
A hidden value whose interval lies wholly at or above the threshold is not confidential
(SSB publishes such counts) and only has to stay hidden for the others' sake.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "MIN_THRESHOLD",
    "WARN_THRESHOLD",
    "primary_counts",
    "primary_numerators",
    "primary_subgroups",
    "protection_width",
]

#: Thresholds below this warn (SSB publishes no counts of 1–9 persons).
WARN_THRESHOLD: Final = 10
#: Thresholds below this need an explicit second flag (``allow_tiny_threshold``).
MIN_THRESHOLD: Final = 3

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def protection_width(threshold: int) -> float:
    """Return the shortest interval (persons) a hidden small count may be narrowed to.

    Half the threshold, rounded up: 5 persons at SSB's threshold of 10.

    Examples
    --------
    >>> protection_width(10), protection_width(5)
    (5.0, 3.0)
    """
    return float(-(-int(threshold) // 2))


def primary_counts(values: FloatArray, threshold: int) -> BoolArray:
    """Return where a population count hides its row (under ``threshold`` or unknown).

    Examples
    --------
    >>> primary_counts(np.array([0.0, 4.0, 10.0, np.nan]), 10).tolist()
    [True, True, False, True]
    """
    return ~(np.asarray(values, dtype=np.float64) >= threshold)


def primary_subgroups(values: FloatArray, threshold: int) -> BoolArray:
    """Return where a sub-group count (males, females) is hidden: under ``threshold``, 0 too.

    Examples
    --------
    >>> primary_subgroups(np.array([0.0, 3.0, 12.0]), 10).tolist()
    [True, True, False]
    """
    return primary_counts(values, threshold)


def primary_numerators(
    numerator: FloatArray, denominator: FloatArray, threshold: int
) -> tuple[BoolArray, BoolArray]:
    """Return (numerator hidden, denominator hidden) for one indicator's counts.

    Examples
    --------
    >>> n = np.array([0.0, 3.0, 40.0, 95.0, 2.0])
    >>> d = np.array([500.0, 500.0, 500.0, 100.0, 5.0])
    >>> hide_n, hide_d = primary_numerators(n, d, 10)
    >>> hide_n.tolist(), hide_d.tolist()
    ([False, True, False, True, True], [False, False, False, False, True])
    """
    n = np.asarray(numerator, dtype=np.float64)
    d = np.asarray(denominator, dtype=np.float64)
    hide_d = ~(d >= threshold) & ~np.isnan(d)
    rest = d - n
    small_n = (n > 0) & (n < threshold)
    small_rest = (rest > 0) & (rest < threshold)
    hide_n = (hide_d | small_n | small_rest) & ~np.isnan(n)
    return hide_n, hide_d
