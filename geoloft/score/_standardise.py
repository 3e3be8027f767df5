"""Vectorised rank-based standardisation along the area axis, NaN-aware.

Every function takes arrays whose area axis is ``axis`` (default ``-2``: the
shape is ``(replicates, areas, indicators)`` throughout the score package) and
ignores NaN (missing or unscored), which stays NaN.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

#: Tolerance for comparisons of ranks scaled to (0, 1].
EPS = 1e-9
#: Decimals values are rounded to before ranking, so that sums taken in another
#: order (a shuffled table) cannot break or make ties.
DECIMALS = 10
#: Constant of the English IMD exponential transform.
IMD_C = 23.0


def ranks(x: np.ndarray, *, axis: int = -2) -> tuple[np.ndarray, np.ndarray]:
    """Ascending average ranks (1 = lowest) and the count of non-missing values."""
    last = np.ascontiguousarray(np.moveaxis(np.round(x, DECIMALS), axis, -1))  # sorts faster
    r = np.moveaxis(rankdata(last, axis=-1, method="average", nan_policy="omit"), -1, axis)
    n = np.sum(~np.isnan(x), axis=axis, keepdims=True)
    return r, n


def position(x: np.ndarray, *, axis: int = -2) -> np.ndarray:
    """Rank scaled to (0, 1]: 1 for the highest value (``R`` of the IMD)."""
    r, n = ranks(x, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return r / n


def decile_of_rank(rank: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Decile 1–10 from a rank (1 = highest, ties share the best rank): 10 for the top tenth.

    ``10 - floor(10 (rank - 1) / n)``: an area is in decile 10 when fewer
    than a tenth of the areas are strictly higher.

    Examples
    --------
    >>> decile_of_rank(np.array([1.0, 1, 3, 4, 5, 6, 7, 8, 9, 10]), np.array(10)).tolist()
    [10.0, 10.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.clip(10.0 - np.floor(10.0 * (rank - 1.0) / n + EPS), 1.0, 10.0)


def deciles(x: np.ndarray, *, axis: int = -2) -> np.ndarray:
    """Decile 1–10 of each value, 10 for the highest tenth (ties share the best decile)."""
    last = np.ascontiguousarray(np.moveaxis(-np.round(x, DECIMALS), axis, -1))
    r = np.moveaxis(rankdata(last, axis=-1, method="min", nan_policy="omit"), -1, axis)
    n = np.sum(~np.isnan(x), axis=axis, keepdims=True)
    return decile_of_rank(r, n)


def percent_rank(x: np.ndarray, *, axis: int = -2) -> np.ndarray:
    """Percentile rank ``(rank - 1) / (n - 1)`` in [0, 1] (Excel's PERCENTRANK.INC).

    A lone value gets 0.5.
    """
    r, n = ranks(x, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(n > 1, (r - 1.0) / (n - 1.0), 0.5)
    return np.where(np.isnan(r), np.nan, out)


def normal_scores(x: np.ndarray, *, axis: int = -2) -> np.ndarray:
    """Rank-based normal scores ``Φ⁻¹((rank - 0.5) / n)``."""
    r, n = ranks(x, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return ndtri((r - 0.5) / n)


def imd_transform(r: np.ndarray) -> np.ndarray:
    """English IMD exponential transform of a rank ``R`` scaled to (0, 1].

    ``X = -23 ln(1 - R (1 - exp(-100/23)))``: 0 for the least and 100 for the
    most deprived, stretching the deprived end (Ministry of Housing,
    Communities & Local Government, *The English Indices of Deprivation 2019:
    Technical report*, the exponential transformation of domain ranks).

    Examples
    --------
    >>> imd_transform(np.array([0.5, 1.0])).round(2)
    array([ 15.65, 100.  ])
    """
    return -IMD_C * np.log(1.0 - r * (1.0 - np.exp(-100.0 / IMD_C)))


def weighted_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean over the last axis, ignoring NaN; NaN when nothing is left.

    ``w`` broadcasts against ``x`` (shape ``(m,)`` or ``(B, 1, m)``). The
    weights are normalised over the values present, so a missing value counts
    neither way and scaling all weights changes nothing.
    """
    present = ~np.isnan(x)
    wb = np.broadcast_to(w, x.shape)
    num = np.sum(np.where(present, x * wb, 0.0), axis=-1)
    den = np.sum(np.where(present, wb, 0.0), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def domain_means(x: np.ndarray, w: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """Weighted means of ``x`` (…, m) within domains; ``onehot`` is (m, D)."""
    present = ~np.isnan(x)
    wb = np.broadcast_to(w, x.shape)
    num = np.where(present, x * wb, 0.0) @ onehot
    den = np.where(present, wb, 0.0) @ onehot
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)
