"""Two-way fixed-effects estimates with areas as the units of inference.

The point estimates and the cluster-robust covariance come from statsmodels
(OLS/WLS on area and year dummies, ``cov_type="cluster"`` by area). Two things
statsmodels does not offer are written here on the Frisch-Waugh-Lovell
residuals of the same regression: the wild cluster bootstrap (Cameron,
Gelbach & Miller 2008; Webb's six-point weights, which work with few clusters)
and the permutation of the treatment over placebo areas (randomisation
inference; Conley & Taber 2011). ``tests/test_evaluate_estimate.py`` checks
the hand-written part against statsmodels on the same data.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import ValueWarning
from threadpoolctl import threadpool_limits

FloatArray = npt.NDArray[np.float64]

#: Fewest areas (clusters) for a wild-bootstrap interval; with fewer there is none.
MIN_CLUSTERS = 6
#: Webb's six-point distribution for the wild cluster bootstrap.
WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])


@dataclass(frozen=True)
class Design:
    """One regression: outcome, regressors of interest and area/year fixed effects.

    Rows are area-years with a known outcome; ``x`` holds the regressors of
    interest (treated area × phase or × year), named in ``names``.
    """

    y: FloatArray
    x: FloatArray
    names: tuple[str, ...]
    area: npt.NDArray[np.int64]  # area index per row, 0..G-1
    year: npt.NDArray[np.int64]  # year index per row
    weight: FloatArray  # regression weights (1 for plain OLS)
    treated: npt.NDArray[np.bool_]  # per area
    codes: npt.NDArray[np.int64]  # per row: the column a treated row switches on (-1: none)


def make_design(panel: pd.DataFrame, treated: pd.Series, key: str, levels: list[object]) -> Design:
    """Build a :class:`Design` from a panel (``area_id``, ``year``, ``y``, ``w``, ``key``).

    ``key`` is the panel column whose value picks the regressor a treated row
    switches on (the phase for difference-in-differences, the year for an event
    study); rows whose value is not in ``levels`` are the reference.
    """
    area_codes, area_index = pd.factorize(panel["area_id"], sort=True)
    year_codes, _ = pd.factorize(panel["year"], sort=True)
    is_treated = treated.reindex(area_index).fillna(False).to_numpy(bool)
    lookup = {level: j for j, level in enumerate(levels)}
    codes = panel[key].map(lookup).fillna(-1).to_numpy(np.int64)
    x = np.zeros((len(panel), len(levels)))
    on = is_treated[area_codes] & (codes >= 0)
    x[np.flatnonzero(on), codes[on]] = 1.0
    return Design(
        y=panel["y"].to_numpy(np.float64),
        x=x,
        names=tuple(str(v) for v in levels),
        area=area_codes.astype(np.int64),
        year=year_codes.astype(np.int64),
        weight=panel["w"].to_numpy(np.float64),
        treated=is_treated,
        codes=codes.astype(np.int64),
    )


def _dummies(d: Design) -> FloatArray:
    """Area dummies and year dummies (first year dropped)."""
    n_area = int(d.area.max()) + 1
    n_year = int(d.year.max()) + 1
    z = np.zeros((len(d.y), n_area + n_year - 1))
    z[np.arange(len(d.y)), d.area] = 1.0
    later = d.year > 0
    z[np.flatnonzero(later), n_area + d.year[later] - 1] = 1.0
    return z


def fit_statsmodels(d: Design) -> sm.regression.linear_model.RegressionResultsWrapper:
    """Fit the two-way fixed-effects regression with statsmodels (cluster by area)."""
    exog = np.column_stack([d.x, _dummies(d)])
    model = sm.WLS(d.y, exog, weights=d.weight)
    return model.fit(cov_type="cluster", cov_kwds={"groups": d.area})


@dataclass(frozen=True)
class Residualised:
    """The regression after partialling out the fixed effects (FWL)."""

    xt: FloatArray  # M X (weighted)
    yt: FloatArray  # M y (weighted)
    m: FloatArray  # the annihilator of the fixed effects
    beta: FloatArray
    resid: FloatArray
    a_inv: FloatArray
    n_params: int
    onehot: FloatArray  # rows x areas: which cluster each row belongs to
    n_clusters: int
    u: FloatArray  # M applied to each (area, column) indicator: rows x areas x columns


def residualise(d: Design) -> Residualised:
    """Partial the fixed effects out of the sqrt-weighted regression."""
    sw = np.sqrt(d.weight)
    z = _dummies(d) * sw[:, None]
    m = np.eye(len(d.y)) - z @ np.linalg.pinv(z)
    xt = m @ (d.x * sw[:, None])
    yt = m @ (d.y * sw)
    a_inv = np.asarray(np.linalg.pinv(xt.T @ xt), dtype=np.float64)
    beta = a_inv @ xt.T @ yt
    resid = yt - xt @ beta
    n_params = int(np.linalg.matrix_rank(np.column_stack([d.x * sw[:, None], z])))
    n_area = int(d.area.max()) + 1
    n_col = d.x.shape[1]
    ind = np.zeros((len(d.y), n_area * n_col))
    ok = d.codes >= 0
    ind[np.flatnonzero(ok), d.area[ok] * n_col + d.codes[ok]] = sw[ok]
    u = (m @ ind).reshape(len(d.y), n_area, n_col)
    onehot = np.zeros((len(d.y), n_area))
    onehot[np.arange(len(d.y)), d.area] = 1.0
    return Residualised(xt, yt, m, beta, resid, a_inv, n_params, onehot, n_area, u)


def _correction(n: int, k: int, g: int) -> float:
    """Small-sample factor of statsmodels' cluster-robust covariance."""
    return g / (g - 1) * (n - 1) / (n - k)


def cluster_se(r: Residualised) -> FloatArray:
    """Cluster-robust standard errors from the FWL form (same as statsmodels)."""
    scores = r.onehot.T @ (r.xt * r.resid[:, None])
    cov = r.a_inv @ scores.T @ scores @ r.a_inv
    cov *= _correction(len(r.yt), r.n_params, r.n_clusters)
    return np.sqrt(np.diag(cov))


@dataclass(frozen=True)
class Inference:
    """Estimates with wild-bootstrap and permutation inference, one per column."""

    names: tuple[str, ...]
    estimate: FloatArray
    se: FloatArray
    low: FloatArray
    high: FloatArray
    p_boot: FloatArray
    p_cluster: FloatArray
    p_perm: FloatArray
    perm_low: FloatArray
    perm_high: FloatArray
    placebo_size: FloatArray
    n_perm: int
    n_boot: int
    n_clusters: int
    n_treated: int


def wild_bootstrap(
    r: Residualised, *, n_boot: int, level: float, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Wild cluster bootstrap-t (unrestricted, Webb weights): symmetric interval and p.

    Returns the lower and upper bounds and the bootstrap p-value of beta = 0
    per column.
    """
    se = cluster_se(r)
    v = WEBB[rng.integers(0, len(WEBB), size=(r.n_clusters, n_boot))]
    t_star = bootstrap_t(r, v)
    crit = np.quantile(t_star, level, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_obs = np.abs(r.beta / se)
    p = (1 + np.sum(t_star >= t_obs[:, None], axis=1)) / (1 + n_boot)
    return r.beta - crit * se, r.beta + crit * se, p


def bootstrap_t(r: Residualised, v: FloatArray) -> FloatArray:
    """Bootstrap |t| per column and replicate for cluster weights ``v`` (clusters x boot).

    Replicate b's outcome is the fit plus each residual times its cluster's
    weight; its estimate and cluster-robust standard error are what refitting
    the whole regression would give (``scripts/bench_evaluate.py`` checks this
    against statsmodels), centred on the original estimate.
    """
    star = r.resid[:, None] * (r.onehot @ v)  # rows x boot
    m_star = r.m @ star
    delta = r.a_inv @ (r.xt.T @ m_star)  # columns x boot
    resid_star = m_star - r.xt @ delta
    scores = np.stack(
        [r.onehot.T @ (r.xt[:, [c]] * resid_star) for c in range(r.xt.shape[1])], axis=1
    )  # clusters x columns x boot
    meat = np.einsum("gcb,gdb->bcd", scores, scores, optimize=True)
    cov = np.einsum("ce,bef,fd->bcd", r.a_inv, meat, r.a_inv, optimize=True)
    corr = _correction(len(r.yt), r.n_params, r.n_clusters)
    se_star = np.sqrt(np.maximum(np.diagonal(cov, axis1=1, axis2=2).T * corr, 1e-300))
    return np.asarray(np.abs(delta / se_star), dtype=np.float64)


def _assignments(n_area: int, n_treated: int, n_perm: int, rng: np.random.Generator) -> FloatArray:
    """Treated sets of the same size: all of them when few enough, else a sample."""
    total = math.comb(n_area, n_treated)
    if total <= n_perm:
        sets = itertools.combinations(range(n_area), n_treated)
        rows = [list(s) for s in sets]
    else:
        rows = [sorted(rng.choice(n_area, n_treated, replace=False)) for _ in range(n_perm)]
    p = np.zeros((n_area, len(rows)))
    for j, s in enumerate(rows):
        p[s, j] = 1.0
    return p


def permutation(
    r: Residualised,
    treated: npt.NDArray[np.bool_],
    *,
    n_perm: int,
    level: float,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, int]:
    """Re-estimate with the treatment moved to placebo areas.

    Returns the permutation p-value (two-sided), the interval from the spread of
    placebo estimates (estimate minus their quantiles), the share of placebo
    sets a cluster-robust t-test calls significant at ``1 - level`` (the
    test's real size on these data) and the number of placebo sets.
    """
    assign = _assignments(r.n_clusters, int(treated.sum()), n_perm, rng)
    real = np.all(assign == treated[:, None].astype(float), axis=0)
    assign = assign[:, ~real]
    xt = np.einsum("nac,ap->pnc", r.u, assign, optimize=True)
    xtx = np.einsum("pnc,pnd->pcd", xt, xt, optimize=True)
    xty = np.einsum("pnc,n->pc", xt, r.yt, optimize=True)
    beta = np.linalg.solve(xtx + 1e-12 * np.eye(xt.shape[2]), xty[:, :, None])[:, :, 0]
    resid = r.yt[None, :] - np.einsum("pnc,pc->pn", xt, beta)
    n_p, n_rows, n_c = xt.shape
    flat = (xt * resid[:, :, None]).transpose(1, 0, 2).reshape(n_rows, n_p * n_c)
    scores = (r.onehot.T @ flat).reshape(r.n_clusters, n_p, n_c).transpose(1, 0, 2)
    inv = np.linalg.pinv(xtx)
    meat = np.einsum("pgc,pgd->pcd", scores, scores)
    cov = np.einsum("pce,pef,pfd->pcd", inv, meat, inv)
    corr = _correction(len(r.yt), r.n_params, r.n_clusters)
    se = np.sqrt(np.maximum(np.diagonal(cov, axis1=1, axis2=2) * corr, 1e-300))
    crit = stats.t.ppf(0.5 + level / 2, r.n_clusters - 1)
    size = np.mean(np.abs(beta / se) > crit, axis=0)
    n = beta.shape[0]
    p = (1 + np.sum(np.abs(beta) >= np.abs(r.beta)[None, :] - 1e-12, axis=0)) / (1 + n)
    alpha = 1 - level
    low = r.beta - np.quantile(beta, 1 - alpha / 2, axis=0)
    high = r.beta - np.quantile(beta, alpha / 2, axis=0)
    return p, low, high, size, n


def infer(d: Design, *, n_boot: int, n_perm: int, level: float, seed: int) -> Inference:
    """Estimate with statsmodels; intervals by wild cluster bootstrap; permutation tests.

    BLAS runs on one thread here: the matrices are small (area-years), and
    threads fighting over a busy machine made the bootstrap 20 times slower.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _infer(d, n_boot=n_boot, n_perm=n_perm, level=level, seed=seed)


def _infer(d: Design, *, n_boot: int, n_perm: int, level: float, seed: int) -> Inference:
    rng = np.random.default_rng(seed)
    fit = fit_statsmodels(d)
    r = residualise(d)
    k = d.x.shape[1]
    est = np.asarray(fit.params[:k], dtype=np.float64)
    # the fixed effects' own variances can round below 0; only the effects' are needed
    se = np.sqrt(np.maximum(np.diag(np.asarray(fit.cov_params()))[:k], 0.0))
    g = r.n_clusters
    t = np.abs(est / np.where(se > 0, se, np.nan))
    p_cluster = 2 * stats.t.sf(t, g - 1)
    if g >= MIN_CLUSTERS:
        low, high, p_boot = wild_bootstrap(r, n_boot=n_boot, level=level, rng=rng)
    else:  # too few areas: the bootstrap distribution is a handful of points
        low = high = p_boot = np.full(k, np.nan)
    p_perm, perm_low, perm_high, size, n = permutation(
        r, d.treated, n_perm=n_perm, level=level, rng=rng
    )
    return Inference(
        names=d.names,
        estimate=est,
        se=se,
        low=low,
        high=high,
        p_boot=p_boot,
        p_cluster=p_cluster,
        p_perm=p_perm,
        perm_low=perm_low,
        perm_high=perm_high,
        placebo_size=size,
        n_perm=n,
        n_boot=n_boot,
        n_clusters=g,
        n_treated=int(d.treated.sum()),
    )


def joint_test(d: Design, columns: list[int]) -> tuple[float, float, int]:
    """Cluster-robust Wald F-test that the named columns are all zero (statsmodels).

    Returns the F statistic, its p-value and the number of restrictions.
    """
    fit = fit_statsmodels(d)
    restrictions = np.zeros((len(columns), len(fit.params)))
    restrictions[np.arange(len(columns)), columns] = 1.0
    with warnings.catch_warnings():
        # a rank-deficient covariance (few areas, many years) still gives a valid F on
        # the identified restrictions; statsmodels warns about it
        warnings.simplefilter("ignore", ValueWarning)
        res = fit.f_test(restrictions)
    return float(np.squeeze(res.fvalue)), float(res.pvalue), len(columns)
