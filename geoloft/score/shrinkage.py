"""Small numbers: empirical-Bayes shrinkage of rates and a test for over-dispersion.

A rate from 12 persons says little: by chance alone it swings far from the
truth. Empirical-Bayes (EB) shrinkage pulls each area's rate toward the
reference rate, the more the smaller its denominator, by the amount the
spread between areas justifies (Marshall 1991). Arrays may carry leading axes
(bootstrap replicates); the area axis is always ``-2`` internally.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

__all__ = ["eb_shrink", "eb_variance", "tarone_z"]

Family = Literal["binomial", "poisson"]


def _rates(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _within(b: np.ndarray, n: np.ndarray, family: Family) -> np.ndarray:
    """Return the sampling variance of a rate with mean ``b`` over ``n`` persons."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (b * (1.0 - b) if family == "binomial" else b) / n


def eb_variance(
    num: np.ndarray, den: np.ndarray, prior: np.ndarray, family: Family = "binomial"
) -> np.ndarray:
    """Between-area variance ``a`` of the true rates (method of moments, floored at 0).

    ``a = s² - v(b) / n̄`` with ``s² = Σ nᵢ (rᵢ - b)² / Σ nᵢ`` the
    population-weighted variance of the rates about the prior mean ``b``, ``n̄``
    the mean denominator and ``v(b)`` = ``b(1 - b)`` (binomial) or ``b``
    (Poisson). Reduces over axis -2; ``prior`` has the shape of the result.
    """
    r = _rates(num, den)
    ok = ~np.isnan(r)
    n = np.where(ok, den, 0.0)
    total = n.sum(axis=-2)
    count = ok.sum(axis=-2)
    dev = np.where(ok, r - np.expand_dims(prior, -2), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.sum(n * dev**2, axis=-2) / total
        nbar = total / count
    return np.maximum(s2 - _within(prior, nbar, family), 0.0)


def eb_shrink(
    numerator: np.ndarray,
    denominator: np.ndarray,
    *,
    prior: float | np.ndarray | None = None,
    family: Family = "binomial",
) -> np.ndarray:
    r"""Global empirical-Bayes estimates of rates (Marshall's method of moments).

    Each raw rate :math:`r_i = y_i / n_i` is pulled toward the prior mean
    :math:`b`:

    .. math:: \hat\theta_i = b + C_i (r_i - b), \quad
              C_i = \frac{a}{a + v(b) / n_i}

    with the between-area variance :math:`a` from :func:`eb_variance`. The
    Poisson form (:math:`v(b) = b`) is Marshall's global estimator, the same
    as ``esda.smoothing.Empirical_Bayes``; the binomial form (:math:`v(b) =
    b(1-b)`, the default) is its beta-binomial analogue for shares of a
    population, as used for levekår rates.

    Parameters
    ----------
    numerator, denominator
        Counts per area (persons with the condition, population at risk);
        along axis -2 when 2-D or more. Missing counts (NaN) and zero
        denominators give NaN and do not enter the moments.
    prior
        Prior mean: the reference rate (a proportion). ``None`` uses the
        pooled rate ``Σ y / Σ n``.
    family
        ``"binomial"`` or ``"poisson"``.

    Returns
    -------
    numpy.ndarray
        Shrunk rates (proportions), same shape as ``numerator``.

    References
    ----------
    Marshall, R. J. (1991). Mapping disease and mortality rates using
    empirical Bayes estimators. *Applied Statistics* 40(2), 283–294.

    Examples
    --------
    >>> eb_shrink(np.array([1.0, 30.0, 10.0]), np.array([10.0, 100.0, 100.0])).round(3)
    array([0.164, 0.282, 0.116])
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    flat = num.ndim == 1
    if flat:
        num, den = num[:, None], den[:, None]
    r = _rates(num, den)
    ok = ~np.isnan(r)
    if prior is None:
        b = np.sum(np.where(ok, num, 0.0), axis=-2) / np.sum(np.where(ok, den, 0.0), axis=-2)
    else:
        b = np.broadcast_to(np.asarray(prior, dtype=float), r.shape[:-2] + r.shape[-1:])
    a = eb_variance(num, den, b, family)
    bb, aa = np.expand_dims(b, -2), np.expand_dims(a, -2)
    v = _within(bb, den, family)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.where(aa + v > 0, aa / (aa + v), 1.0)
    out = bb + c * (r - bb)
    return out[:, 0] if flat else out


def tarone_z(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    r"""Tarone's score statistic for binomial over-dispersion across areas.

    .. math:: Z = \frac{\sum_i (y_i - n_i \bar p)^2 / (\bar p (1 - \bar p))
              - \sum_i n_i}{\sqrt{2 \sum_i n_i (n_i - 1)}}

    is standard normal when every area has the same rate :math:`\bar p`;
    large values mean the areas differ beyond binomial noise (the
    beta-binomial model fits). Reduces over axis -2 (areas).

    References
    ----------
    Tarone, R. E. (1979). Testing the goodness of fit of the binomial
    distribution. *Biometrika* 66(3), 585–590.

    Examples
    --------
    >>> round(float(tarone_z(np.array([50.0, 50.0]), np.array([100.0, 100.0]))), 3)
    -1.005
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    if num.ndim == 1:
        return tarone_z(num[:, None], den[:, None])[0]
    ok = ~np.isnan(_rates(num, den))
    y = np.where(ok, num, 0.0)
    n = np.where(ok, den, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):  # value indicators: no counts
        p = y.sum(axis=-2) / n.sum(axis=-2)
        pe = np.expand_dims(p, -2)
        s = np.sum((y - n * pe) ** 2, axis=-2) / (p * (1.0 - p))
        z = (s - n.sum(axis=-2)) / np.sqrt(2.0 * np.sum(n * (n - 1.0), axis=-2))
    return np.where(np.isfinite(z), z, 0.0)
