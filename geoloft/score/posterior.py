"""The posterior of the areas' true rates that the score bootstrap draws from.

The model, per indicator ``j`` and area ``i``:

* the true logit ``θᵢⱼ`` is normal across areas (logit-normal rates, whose
  skew follows real shares better than a beta: Oslo's renter and co-op shares by
  delbydel are skewed 0.66 and 0.71 on the rate scale, 0.22 and -0.21 on the
  logit scale, where a beta of the same mean and SD has 0.57 and 0.60), its mean
  and SD such that the rates have the pooled rate as mean and the between-area
  SD ``σⱼ`` of :func:`~geoloft.score.shrinkage.sd_posterior`;
* the count is binomial given the rate.

``σ`` is uncertain: its posterior is cut into :data:`LEVELS` equal-probability
levels, and a chance that the areas do not differ at all is kept beside the
uniform prior on ``σ`` (a point null and its alternative, Jeffreys 1961; Kass
and Raftery 1995), so that where the data cannot tell the areas apart, the
draws do not pretend to. That chance is shared by the indicators and learnt
from them (uniform on [0, 1], Scott and Berger 2010): where three indicators
clearly differ between areas, a fourth is less likely not to.

An area's indicators go together: each area's prior for one indicator is moved
by what its other indicators show (best linear prediction on the rate scale,
where sampling errors are unbiased and independent between indicators), with
the correlation averaged over candidates (Bayesian model averaging, Hoeting et
al. 1999): a common correlation on a grid, and the pairwise estimate, made once
from the SD given that the areas differ (an indicator at "no differences" takes
the others' mean correlation, since its own cannot be estimated); the draws
of an area's indicators are coupled by its posterior correlation (a Gaussian
copula). Given a level of ``σ`` and a candidate correlation, each area's
posterior of ``θ`` is computed on a grid around its mode and drawn by its
mean, SD and skewness (Cornish-Fisher).

References
----------
Hoeting, J. A., Madigan, D., Raftery, A. E. and Volinsky, C. T. (1999).
Bayesian model averaging: a tutorial. *Statistical Science* 14(4), 382–417.

Kass, R. E. and Raftery, A. E. (1995). Bayes factors. *Journal of the
American Statistical Association* 90(430), 773–795.

Scott, J. G. and Berger, J. O. (2010). Bayes and empirical-Bayes multiplicity
adjustment in the variable-selection problem. *The Annals of Statistics*
38(5), 2587–2619.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, gammaln

from geoloft.score.shrinkage import sd_posterior

__all__ = ["LEVELS", "RHO_GRID", "SPIKE", "Posterior", "posterior_draws", "posterior_model"]

#: Common correlations of the indicators (each oriented toward "worse") that the
#: posterior weighs beside the pairwise estimate (a uniform prior on ``ρ`` in [0, 0.9]).
RHO_GRID = np.linspace(0.0, 0.9, 10)
#: Equal-probability levels of the between-area SD.
LEVELS = 10
#: Prior probability of "no differences" per indicator in :func:`sd_posterior`;
#: the shared prior (:func:`_shared_point`) uses only the Bayes factors it yields.
SPIKE = 0.5

_HERMITE_Z, _HERMITE_W = np.polynomial.hermite_e.hermegauss(24)
_HERMITE_W = _HERMITE_W / _HERMITE_W.sum()
_GRID_T = np.linspace(-7.0, 7.0, 57)  # posterior grid, in SDs of the Laplace approximation
_SMALL = 1e-9


@dataclass(frozen=True, eq=False)
class Posterior:
    """What the posterior draws of the true rates need, computed once per run.

    Attributes
    ----------
    y, n, missing
        ``(n, m)`` counts (NaN-free) and where they are missing.
    prior
        ``(m,)`` pooled rate of each indicator (the mean of the true rates).
    sd
        ``(Q, m)`` between-area SD of the rates at each level of ``σ``.
    tau
        ``(Q, m)`` SD of the true logits at each level.
    se
        ``(m,)`` standard error of the prior mean, on the logit scale.
    values, noise
        ``(n, m)`` observed rates and their sampling variances under the
        pooled rate (``b (1 - b) / n``; huge where missing); ``None`` when the
        indicators are drawn independently (one indicator, or too few complete
        areas to learn how they go together).
    corr
        ``(Q, K, m, m)`` candidate prior correlations per level: the pairwise
        estimate, then a common ``ρ`` for each of :data:`RHO_GRID`.
    mix
        ``(Q, K)`` posterior probability of each level and candidate (sums to 1;
        each level has ``1 / Q``).
    """

    y: np.ndarray
    n: np.ndarray
    missing: np.ndarray
    prior: np.ndarray
    sd: np.ndarray
    tau: np.ndarray
    se: np.ndarray
    values: np.ndarray | None
    noise: np.ndarray | None
    corr: np.ndarray
    mix: np.ndarray


def posterior_model(
    raw: np.ndarray, den: np.ndarray, prior: np.ndarray, sign: np.ndarray | None = None
) -> Posterior:
    """Fit the model of every rate column (see :func:`posterior_draws`).

    Parameters
    ----------
    raw, den
        ``(n, m)`` observed rates (proportions) and denominators; NaN where missing.
    prior
        ``(m,)`` pooled rate of each indicator.
    sign
        ``(m,)`` direction of each indicator (+1: higher is worse); the common
        correlation candidates turn every indicator toward "worse".

    Returns
    -------
    Posterior
        The fitted model. Where the true rates differ little between areas the
        observed correlation is mostly sampling noise; each level of ``σ``
        weighs the candidate correlations by their normal likelihood on the
        rate scale, every candidate equally likely a priori.
    """
    missing = np.isnan(raw) | np.isnan(den) | ~(den > 0)
    n = np.where(missing, 0.0, den)
    y = np.where(missing, 0.0, raw) * n
    m = y.shape[1]
    b = np.clip(np.nan_to_num(np.asarray(prior, dtype=float), nan=0.5), _SMALL, 1 - _SMALL)
    grid, weight = sd_posterior(
        np.where(missing, np.nan, y), np.where(missing, np.nan, n), b, spike=SPIKE
    )
    weight = _shared_point(grid, weight)
    sd = _quantile_sd(grid, weight, (np.arange(LEVELS) + 0.5) / LEVELS)
    sd = np.clip(sd, 1e-12, 0.99 * np.sqrt(b * (1 - b)))
    tau = _logit_sd(sd, b)
    se = _prior_mean_se(sd.mean(axis=0), b, n)
    complete = ~missing.any(axis=1)
    if m < 2 or complete.sum() < m + 2:
        eye = np.broadcast_to(np.eye(m), (LEVELS, 1, m, m)).copy()
        mix = np.full((LEVELS, 1), 1.0 / LEVELS)
        return Posterior(y, n, missing, b, sd, tau, se, None, None, eye, mix)
    values = np.where(missing, b, y / np.where(n > 0, n, 1.0))
    noise = np.where(missing, 1e6, b * (1 - b) / np.maximum(n, 1.0))
    orient = np.ones(m) if sign is None else np.sign(np.asarray(sign, dtype=float))
    pair = _pairwise(_slab_sd(grid, weight), values[complete], noise[complete])
    flat = sd <= grid[0] * (1 + 1e-9)  # (Q, m): levels at the point "no differences"
    corr, mix = zip(
        *(
            _candidates(s, orient, _flat_rows(pair, orient, f), values[complete], noise[complete])
            for s, f in zip(sd, flat, strict=True)
        ),
        strict=True,
    )
    mix_all = np.stack(mix) / LEVELS
    return Posterior(y, n, missing, b, sd, tau, se, values, noise, np.stack(corr), mix_all)


def _quantile_sd(sd_grid: np.ndarray, weight: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``(len(u), m)`` SD of each indicator at posterior quantiles ``u`` (step inverse CDF)."""
    cdf = np.cumsum(weight, axis=0)
    cdf = cdf / cdf[-1]
    idx = np.stack([np.searchsorted(cdf[:, j], u) for j in range(cdf.shape[1])], axis=1)
    idx = np.minimum(idx, sd_grid.shape[0] - 1)
    return sd_grid[idx, np.arange(cdf.shape[1])]


def _normal_mean(centre: np.ndarray, s: np.ndarray, power: int = 1) -> np.ndarray:
    """``E[expit(c + s Z)^power]`` by Gauss-Hermite quadrature, elementwise."""
    e = expit(centre[..., None] + s[..., None] * _HERMITE_Z)
    return np.asarray(np.sum(_HERMITE_W * e**power, axis=-1))


def _centre_for(mean: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Return the logit-normal centre ``c`` whose rates ``expit(c + s Z)`` have this mean."""
    mean = np.clip(mean, _SMALL, 1 - _SMALL)
    c = np.log(mean / (1 - mean))
    for _ in range(30):  # Newton: the mean is increasing in c
        e = expit(c[..., None] + s[..., None] * _HERMITE_Z)
        f = np.sum(_HERMITE_W * e, axis=-1) - mean
        slope = np.sum(_HERMITE_W * e * (1 - e), axis=-1)
        step = np.clip(f / np.maximum(slope, 1e-300), -2.0, 2.0)
        c = c - step
        if np.all(np.abs(step) < 1e-10):
            break
    return np.asarray(c)


def _logit_sd(sd: np.ndarray, b: np.ndarray) -> np.ndarray:
    """SD of the logits of a logit-normal with mean ``b`` and SD ``sd`` on the rate scale."""
    b = np.broadcast_to(b, sd.shape)
    tau = sd / (b * (1 - b))
    for _ in range(50):  # fixed point: the rate SD grows with tau
        c = _centre_for(b, tau)
        now = np.sqrt(np.maximum(_normal_mean(c, tau, 2) - b**2, 1e-300))
        new = tau * sd / now
        if np.allclose(new, tau, rtol=1e-8):
            break
        tau = new
    return np.asarray(tau)


def _prior_mean_se(sd: np.ndarray, b: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Logit-scale SE of the pooled rate: ``(σ² Σn² + b(1-b) Σn) / (Σn)²``."""
    total, squares = n.sum(axis=0), (n**2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (sd**2 * squares + b * (1 - b) * total) / total**2
    return np.asarray(np.nan_to_num(np.sqrt(var)) / (b * (1 - b)))


def _shared_point(grid: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Posterior of "no differences" per indicator, its prior chance shared and learnt.

    Each indicator is flat with an unknown common probability ``π``, uniform
    on [0, 1] (Scott and Berger 2010): indicators that clearly differ make it
    less likely that the next one does not. ``weight[0]`` holds each
    indicator's posterior of its point under the prior :data:`SPIKE`, so its
    odds divided by the prior odds are its Bayes factor; the configurations are
    summed by their number of flat indicators (elementary symmetric polynomials
    of the Bayes factors).
    """
    live = np.flatnonzero(grid[-1] > 0)
    m = live.size
    if m < 2:
        return weight
    p = np.clip(weight[0, live], 1e-6, 1 - 1e-6)
    bf = p / (1 - p) * (1 - SPIKE) / SPIKE
    k = np.arange(m + 1)
    prior = np.exp(gammaln(k + 1) + gammaln(m - k + 1) - gammaln(m + 2))
    total = prior @ _elementary(bf)
    out = weight.copy()
    for i, j in enumerate(live):  # a loop over indicators only
        rest = _elementary(np.delete(bf, i))  # configurations of the others
        flat = bf[i] * (prior[1:] @ rest) / total
        slab = weight[1:, j] / max(weight[1:, j].sum(), 1e-300)
        out[0, j], out[1:, j] = flat, (1 - flat) * slab
    return out


def _elementary(x: np.ndarray) -> np.ndarray:
    """Elementary symmetric polynomials ``e_0 .. e_n`` of ``x``."""
    e = np.zeros(x.size + 1)
    e[0] = 1.0
    for v in x:
        e[1:] = e[1:] + v * e[:-1]
    return e


def _flat_rows(pair: np.ndarray, orient: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Return the pairwise candidate where some indicators do not differ at this level.

    Their correlations cannot be estimated (the areas' true rates are equal),
    yet they set how the draws' tiny differences go together: they get the
    mean correlation of the other indicators (turned toward "worse").
    """
    if not flat.any():
        return pair
    rest = np.flatnonzero(~flat)
    oriented = pair * np.outer(orient, orient)
    sub = oriented[np.ix_(rest, rest)]
    rho = float(sub[~np.eye(rest.size, dtype=bool)].mean()) if rest.size > 1 else 0.0
    out = oriented.copy()
    out[flat, :] = out[:, flat] = max(rho, 0.0)
    np.fill_diagonal(out, 1.0)
    return _positive_definite(out * np.outer(orient, orient))


def _positive_definite(corr: np.ndarray) -> np.ndarray:
    """Return ``corr`` with its eigenvalues raised to at least 1e-3, rescaled to unit diagonal."""
    vals, vecs = np.linalg.eigh(corr)
    out = (vecs * np.maximum(vals, 1e-3)) @ vecs.T
    d = np.sqrt(np.diag(out))
    return np.asarray(out / np.outer(d, d))


def _slab_sd(grid: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Root posterior mean of ``σ²`` given that the areas differ (the point left out)."""
    g, w = grid[1:], weight[1:]
    return np.sqrt(np.sum(w * g**2, axis=0) / np.maximum(np.sum(w, axis=0), 1e-300))


def _candidates(
    sd: np.ndarray, orient: np.ndarray, pair: np.ndarray, values: np.ndarray, noise: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(K, m, m)`` candidate correlations at SD ``sd`` and their posterior probabilities.

    The weight of each is its prior probability (equal) times the normal
    likelihood of the complete areas' observed rates, ``r_i ~ N(μ, Σ + V_i)``.
    """
    m = sd.size
    common = [rho * np.outer(orient, orient) + (1.0 - rho) * np.eye(m) for rho in RHO_GRID]
    corr = np.stack([pair, *common])
    scale = np.outer(sd, sd)
    loglik = np.array([_log_likelihood(c * scale, values, noise) for c in corr])
    post = np.exp(loglik - loglik.max())
    post = np.where(post > 1e-6 * post.sum(), post, 0.0)
    return corr, post / post.sum()


def _pairwise(sd: np.ndarray, values: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Correlation of the true rates from precision-weighted cross-products.

    Sampling errors are unbiased and independent between indicators, so the
    cross-products of the observed rates (weights ``1 / sqrt((σ_j² + v_j)(σ_k²
    + v_k))``) estimate ``ρ σ_j σ_k`` without bias. Clipped to ±0.95 and made
    positive definite; how far to trust it is left to the model averaging.
    """
    scale = np.sqrt(sd[None] ** 2 + noise)  # SD of each observed rate about its mean
    mu = np.sum(values / scale**2, axis=0) / np.sum(1.0 / scale**2, axis=0)
    dev = (values - mu) / scale
    weights = 1.0 / (scale[:, :, None] * scale[:, None, :])  # (N, m, m)
    cov = np.einsum("ij,ik->jk", dev, dev) / weights.sum(axis=0)
    corr = np.clip(np.nan_to_num(cov / np.outer(sd, sd)), -0.95, 0.95)
    np.fill_diagonal(corr, 1.0)
    return _positive_definite(corr)


def _log_likelihood(sigma: np.ndarray, values: np.ndarray, noise: np.ndarray) -> float:
    """Return the normal log-likelihood of rates ``(N, m)``, covariance ``Σ + diag(V_i)``."""
    cov = sigma[None] + noise[:, :, None] * np.eye(sigma.shape[0])[None]
    diag = np.diagonal(cov, axis1=1, axis2=2)
    mu = np.sum(values / diag, axis=0) / np.sum(1.0 / diag, axis=0)
    dev = values - mu
    _, logdet = np.linalg.slogdet(cov)
    quad = np.einsum("ij,ij->i", dev, np.linalg.solve(cov, dev[..., None])[..., 0])
    return float(-0.5 * np.sum(logdet + quad))


@dataclass(frozen=True, eq=False)
class _Group:
    """Each area's posterior at one level and candidate: θ quantiles and copula."""

    mean: np.ndarray  # (n, m) posterior mean, SD and skewness of θ
    sd: np.ndarray
    skew: np.ndarray
    pull: np.ndarray  # (n, m) how far θ follows a shift of the prior mean
    chol: np.ndarray | None  # (n, m, m)


def _group(model: Posterior, q: int, k: int) -> _Group:
    """Compute every area's posterior at level ``q`` of the SD and candidate ``k``."""
    mean = np.broadcast_to(model.prior, model.y.shape)
    factor = np.ones(model.y.shape)
    chol = None
    if model.values is not None and model.noise is not None:
        sigma = model.corr[q, k] * np.outer(model.sd[q], model.sd[q])
        shift, factor = _borrowed(sigma, model.values, model.noise)
        mean = mean + shift
        chol = _posterior_correlation(sigma, model.noise)
    s = np.maximum(model.tau[q] * factor, 1e-12)
    lowest = np.minimum(model.prior, 1 - model.prior) * 1e-3
    centre = _centre_for(np.clip(mean, lowest, 1 - lowest), s)
    mean, sd, skew, width = _moments(centre, s, model.y, model.n)
    return _Group(mean, sd, np.clip(skew, -1.5, 1.5), (width / s) ** 2, chol)


def _borrowed(
    sigma: np.ndarray, values: np.ndarray, noise: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each area's prior for one indicator given its other indicators (rate scale).

    ``Σ_jo (Σ_oo + V_o)⁻¹ (r_o - μ_o)`` and the SD factor
    ``sqrt((Σ_jj - Σ_jo (Σ_oo + V_o)⁻¹ Σ_oj) / Σ_jj)``: what the other
    indicators of the area (``o``) say about indicator ``j`` before its own
    count is seen (``μ``: the precision-weighted mean of the observed rates).
    Returns the shift of the prior mean and the factor on its SD.
    """
    m = sigma.shape[0]
    precision = 1.0 / (np.diag(sigma)[None] + noise)
    mu = np.sum(precision * values, axis=0) / np.sum(precision, axis=0)
    shift, factor = np.zeros(values.shape), np.ones(values.shape)
    for j in range(m):  # a loop over indicators; each step is vectorised over areas
        o = np.delete(np.arange(m), j)
        a = sigma[np.ix_(o, o)][None] + noise[:, o, None] * np.eye(m - 1)[None]
        g = np.linalg.solve(a, np.broadcast_to(sigma[o, j], (len(a), m - 1))[..., None])[..., 0]
        shift[:, j] = np.sum(g * (values[:, o] - mu[o]), axis=1)
        reduced = sigma[j, j] - np.sum(g * sigma[o, j], axis=1)
        factor[:, j] = np.sqrt(np.clip(reduced / sigma[j, j], 1e-6, 1.0))
    return shift, factor


def _posterior_correlation(sigma: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Cholesky factors of each area's posterior correlation, ``Σ - Σ (Σ + V)⁻¹ Σ``.

    Couples the draws of an area's indicators (a Gaussian copula): near the
    prior's correlation for small areas, near 0 for large ones.
    """
    m = sigma.shape[0]
    a = sigma[None] + noise[:, :, None] * np.eye(m)[None]
    post = sigma[None] - sigma[None] @ np.linalg.solve(a, np.broadcast_to(sigma, a.shape))
    d = np.sqrt(np.clip(np.diagonal(post, axis1=1, axis2=2), 1e-300, None))
    c = post / (d[:, :, None] * d[:, None, :]) + 1e-9 * np.eye(m)[None]
    return np.asarray(np.linalg.cholesky(c))


def _moments(
    centre: np.ndarray, s: np.ndarray, y: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean, SD and skewness of each posterior of ``θ``, and its Laplace SD.

    Prior ``N(centre, s²)``, binomial likelihood; the density is evaluated on a
    grid of ±7 SDs of its Laplace approximation around the mode (57 points).
    """
    theta = centre.copy()
    for _ in range(50):  # Newton for the mode of a log-concave density
        p = expit(theta)
        grad = (centre - theta) / s**2 + y - n * p
        curv = 1.0 / s**2 + n * p * (1 - p)
        step = np.clip(grad / curv, -2.0, 2.0)
        theta = theta + step
        if np.all(np.abs(step) < 1e-9 * (1.0 + np.abs(theta))):
            break
    width = 1.0 / np.sqrt(1.0 / s**2 + n * expit(theta) * (1 - expit(theta)))
    t = _GRID_T
    grid = theta[..., None] + width[..., None] * t  # (n, m, G)
    logd = -0.5 * ((grid - centre[..., None]) / s[..., None]) ** 2
    logd += y[..., None] * grid - n[..., None] * np.logaddexp(0.0, grid)
    dens = np.exp(logd - logd.max(axis=-1, keepdims=True))
    dens /= dens.sum(axis=-1, keepdims=True)
    mean_t = np.sum(dens * t, axis=-1)
    dev = t - mean_t[..., None]
    var_t = np.sum(dens * dev**2, axis=-1)
    skew = np.sum(dens * dev**3, axis=-1) / np.maximum(var_t, 1e-300) ** 1.5
    return theta + width * mean_t, width * np.sqrt(var_t), skew, width


def iter_draws(
    rng: np.random.Generator, model: Posterior, size: int, chunk: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(rows, rates)``: replicate numbers and their ``(len(rows), n, m)`` draws.

    Every replicate first draws a level of the SD and a candidate correlation;
    replicates sharing both are drawn together, at most ``chunk`` at a time, so
    each area's posterior is computed once per pair.
    """
    pick = rng.choice(model.mix.size, size=size, p=model.mix.ravel())
    for g in np.unique(pick):
        rows = np.flatnonzero(pick == g)
        group = _group(model, *divmod(int(g), model.mix.shape[1]))
        for start in range(0, rows.size, chunk):
            part = rows[start : start + chunk]
            yield part, _draw(rng, model, group, part.size)


def posterior_draws(rng: np.random.Generator, model: Posterior, size: int) -> np.ndarray:
    """``(size, n, m)`` draws of the true rates (see the module notes)."""
    out = np.empty((size, *model.y.shape))
    for rows, rates in iter_draws(rng, model, size, max(size, 1)):
        out[rows] = rates
    return out


def _draw(rng: np.random.Generator, model: Posterior, group: _Group, size: int) -> np.ndarray:
    """Draw ``(size, n, m)`` rates from one group's posterior moments."""
    z = rng.standard_normal((size, *model.y.shape))
    if group.chol is not None:
        z = np.einsum("bnk,njk->bnj", z, group.chol)
    # Cornish-Fisher to the skewness term: the posterior quantile at z
    theta = group.mean + group.sd * (z + group.skew * (z**2 - 1.0) / 6.0)
    # the prior mean is uncertain too: a shift common to all areas, followed by
    # each area as far as its prior weighs in its posterior (normal theory)
    theta += (model.se * rng.standard_normal((size, model.y.shape[1])))[:, None, :] * group.pull
    return np.where(model.missing, np.nan, expit(theta))
