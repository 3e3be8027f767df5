"""Small numbers: shrinkage of rates toward the mean, and a test for over-dispersion.

A rate from 12 persons says little: by chance alone it swings far from the
truth. Shrinkage pulls each area's rate toward the mean of all areas, the
more the smaller its denominator, by the amount the spread between areas
justifies.

* :func:`bayes_shrink` (used by the score stage) is the posterior mean of each
  area's true rate under a beta-binomial model whose mean is the pooled rate
  and whose between-area spread is *integrated over its posterior* (uniform
  prior on the standard deviation, Gelman 2006) instead of plugged in at a
  point estimate. It is smooth in the denominator and never sets every small
  area to the mean when the spread looks like zero.
* :func:`eb_shrink` is Marshall's (1991) classical empirical-Bayes estimator
  (method of moments, the same as ``esda.smoothing.Empirical_Bayes``); it
  sets every rate to the mean when the moment estimate of the spread is 0.

Arrays may carry leading axes; the area axis is always ``-2`` internally.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.special import betaln, logsumexp

__all__ = ["bayes_shrink", "eb_shrink", "eb_variance", "sd_posterior", "tarone_z"]

#: Points of each pass of the grid over the between-area standard deviation.
GRID_POINTS = 48
#: Smallest standard deviation on the grid, as a share of its largest possible value.
_SD_FLOOR = 1e-5

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


def _loglik(y: np.ndarray, n: np.ndarray, b: float, sd: np.ndarray) -> np.ndarray:
    """Beta-binomial log-likelihood (up to a constant) of one indicator, per grid SD."""
    strength = b * (1.0 - b) / sd**2 - 1.0  # alpha + beta of the beta distribution
    alpha, beta = (b * strength)[:, None], ((1.0 - b) * strength)[:, None]
    ll = betaln(y[None] + alpha, n[None] - y[None] + beta) - betaln(alpha, beta)
    return np.asarray(ll.sum(axis=1))


def _grid_pass(y: np.ndarray, n: np.ndarray, b: float, sd: np.ndarray) -> np.ndarray:
    """Normalised posterior weights of a log-spaced SD grid (uniform prior on the SD)."""
    log_post = _loglik(y, n, b, sd) + np.log(sd)  # log spacing: dSD = SD dlog(SD)
    w = np.exp(log_post - log_post.max())
    return np.asarray(w / w.sum())


def _point_probability(
    y: np.ndarray, n: np.ndarray, b: float, sd: np.ndarray, top: float, spike: float
) -> float:
    """Posterior probability of "no differences" against a uniform SD on ``[0, top]``.

    The uniform part's marginal likelihood is the integral of the likelihood
    over the log-spaced grid ``sd`` (where it lives) divided by ``top``.
    """
    loglik = _loglik(y, n, b, sd)
    step = np.log(sd[-1] / sd[0]) / (sd.size - 1)
    spread = logsumexp(loglik + np.log(sd) + np.log(step)) - np.log(top)
    point = _loglik(y, n, b, np.array([top * _SD_FLOOR]))[0]
    a, c = np.log(spike) + point, np.log1p(-spike) + spread
    return float(np.exp(a - np.logaddexp(a, c)))


def sd_posterior(
    numerator: np.ndarray, denominator: np.ndarray, prior: np.ndarray, *, spike: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Posterior of the between-area standard deviation of the true rates, on a grid.

    The true rates of the areas are modelled as draws from a beta
    distribution with mean ``prior`` (:math:`b`) and standard deviation
    :math:`\sigma`; given its rate, an area's count is binomial. The
    marginal (beta-binomial) likelihood of :math:`\sigma` is evaluated on a
    log-spaced grid from :math:`10^{-5}` to nearly
    :math:`\sqrt{b(1-b)}` (its largest possible value), then on a finer grid
    where the posterior lives; the prior is uniform on :math:`\sigma`
    (Gelman 2006), so the posterior never sits at exactly 0.

    With ``spike > 0`` the prior is a mixture: probability ``spike`` that the
    areas do not differ (a point at the grid's smallest SD, :math:`10^{-5}` of
    the largest), the rest uniform on :math:`\sigma` up to the largest possible
    SD. The point then keeps its posterior probability (the Bayes factor of
    "no differences" against "some", Kass and Raftery 1995) as the first grid
    point.

    Parameters
    ----------
    numerator, denominator
        ``(n, m)`` counts (areas × indicators); NaN where missing.
    prior
        ``(m,)`` mean rate (proportion) of each indicator.
    spike
        Prior probability that the areas' true rates are equal (0: none).

    Returns
    -------
    sd, weight
        ``(G, m)`` grid of standard deviations (proportions) and their
        posterior probabilities (columns sum to 1). Indicators whose mean is 0
        or 1 get ``sd`` 0 with weight 1.

    References
    ----------
    Gelman, A. (2006). Prior distributions for variance parameters in
    hierarchical models. *Bayesian Analysis* 1(3), 515–534.

    Kass, R. E. and Raftery, A. E. (1995). Bayes factors. *Journal of the
    American Statistical Association* 90(430), 773–795.
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    m = num.shape[1]
    extra = int(spike > 0)
    sd_out = np.zeros((GRID_POINTS + extra, m))
    w_out = np.full((GRID_POINTS + extra, m), 1.0 / (GRID_POINTS + extra))
    for j in range(m):  # a loop over indicators only; each pass is vectorised over areas
        ok = ~np.isnan(num[:, j]) & ~np.isnan(den[:, j]) & (den[:, j] > 0)
        b = float(prior[j])
        if not ok.any() or not 0.0 < b < 1.0:
            continue
        y, n = num[ok, j], den[ok, j]
        top = np.sqrt(b * (1.0 - b)) * 0.999
        sd = top * np.geomspace(_SD_FLOOR, 1.0, GRID_POINTS)
        w = _grid_pass(y, n, b, sd)
        live = np.flatnonzero(w > 1e-9 * w.max())
        lo, hi = sd[max(live[0] - 1, 0)], sd[min(live[-1] + 1, GRID_POINTS - 1)]
        sd = np.geomspace(lo, hi, GRID_POINTS)
        w = _grid_pass(y, n, b, sd)
        if extra:
            point = _point_probability(y, n, b, sd, top, spike)
            sd = np.concatenate([[top * _SD_FLOOR], sd])
            w = np.concatenate([[point], (1 - point) * w])
        sd_out[:, j], w_out[:, j] = sd, w
    return sd_out, w_out


def bayes_shrink(
    numerator: np.ndarray,
    denominator: np.ndarray,
    *,
    prior: float | np.ndarray | None = None,
) -> np.ndarray:
    r"""Posterior means of the areas' true rates (beta-binomial, spread integrated out).

    .. math:: \hat\theta_i = \sum_k w_k \, \frac{b s_k + y_i}{s_k + n_i},
              \quad s_k = \frac{b(1-b)}{\sigma_k^2} - 1

    with :math:`(\sigma_k, w_k)` the posterior grid of the between-area
    standard deviation (:func:`sd_posterior`) and :math:`b` the prior mean.
    The pull toward :math:`b` falls smoothly as the denominator grows; there
    is no cut-off. Unlike the plug-in estimator (:func:`eb_shrink`), rates
    are never all set to the mean when the data alone cannot rule out equal
    rates: the spread is uncertain, and that uncertainty is kept.

    Parameters
    ----------
    numerator, denominator
        Counts per area (persons with the condition, population at risk);
        1-D, or ``(n, m)`` for several indicators. NaN or zero denominators
        give NaN.
    prior
        Prior mean per indicator (a proportion). ``None`` uses the pooled
        rate ``Σ y / Σ n``. A reference rate chosen for comparison (the
        country's, say) should not be used here: the prior describes the
        areas being shrunk.

    Returns
    -------
    numpy.ndarray
        Shrunk rates (proportions), same shape as ``numerator``.

    Examples
    --------
    >>> y, n = np.array([1.0, 30.0, 10.0, 20.0]), np.array([10.0, 100.0, 100.0, 100.0])
    >>> bayes_shrink(y, n).round(3)  # the area of 10 persons moves most
    array([0.163, 0.277, 0.122, 0.199])
    """
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    flat = num.ndim == 1
    if flat:
        num, den = num[:, None], den[:, None]
    r = _rates(num, den)
    ok = ~np.isnan(r)
    if prior is None:
        with np.errstate(invalid="ignore", divide="ignore"):
            b = np.sum(np.where(ok, num, 0.0), axis=0) / np.sum(np.where(ok, den, 0.0), axis=0)
    else:
        b = np.broadcast_to(np.asarray(prior, dtype=float), (num.shape[1],)).copy()
    sd, w = sd_posterior(np.where(ok, num, np.nan), np.where(ok, den, np.nan), b)
    inner = (b > 0) & (b < 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        strength = np.where(inner, b * (1.0 - b) / np.where(sd > 0, sd, 1.0) ** 2 - 1.0, 0.0)
        post = (b * strength[:, None, :] + num[None]) / (strength[:, None, :] + den[None])
    out = np.sum(w[:, None, :] * post, axis=0)
    out = np.where(ok & inner, out, r)
    return out[:, 0] if flat else out
