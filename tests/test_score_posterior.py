"""The posterior the score bootstrap draws from, checked against numerical integration.

:mod:`geoloft.score.posterior` computes each area's logit-normal-binomial
posterior on a grid, centres the logit-normal prior by quadrature and weighs a
point "no differences" against a spread of the true rates. Each piece is
checked here against an independent computation with ``scipy.integrate.quad``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import betaln, expit

from geoloft.score import posterior as P
from geoloft.score.shrinkage import sd_posterior


def _quad_moments(centre: float, s: float, y: float, n: float) -> tuple[float, float, float]:
    """Mean, SD and skewness of θ under N(centre, s²) prior and a binomial count."""

    def log_density(t: float) -> float:
        return float(stats.norm.logpdf(t, centre, s) + y * t - n * np.logaddexp(0, t))

    grid = np.linspace(centre - 12 * s, centre + 12 * s, 20001)  # only to find the bulk
    logd = np.array([log_density(t) for t in grid[::50]])
    mode = grid[::50][np.argmax(logd)]
    top = log_density(mode)
    keep = grid[::50][logd > top - 60]
    lo, hi = keep.min() - 0.1 * s, keep.max() + 0.1 * s

    def moment(k: int, about: float = 0.0) -> float:
        f = lambda t: (t - about) ** k * np.exp(log_density(t) - top)  # noqa: E731
        return integrate.quad(f, lo, hi, points=[mode], limit=400)[0]

    z = moment(0)
    mean = moment(1) / z
    var = moment(2, mean) / z
    return mean, var**0.5, moment(3, mean) / z / var**1.5


@pytest.mark.parametrize(
    ("centre", "s", "y", "n"),
    [(-2.4, 0.3, 3, 33), (-1.0, 1.0, 0, 20), (-3.0, 0.7, 0, 9), (-3.0, 0.05, 40, 900),
     (-2.0, 0.5, 12, 60), (1.5, 0.8, 29, 30)],
)  # fmt: skip
def test_grid_moments_match_numerical_integration(centre, s, y, n):
    arr = [np.array([[v]], dtype=float) for v in (centre, s, y, n)]
    mean, sd, skew, _ = P._moments(*arr)
    q_mean, q_sd, q_skew = _quad_moments(centre, s, y, n)
    assert float(mean[0, 0]) == pytest.approx(q_mean, abs=0.005 * q_sd)
    assert float(sd[0, 0]) == pytest.approx(q_sd, rel=1e-3)
    assert float(skew[0, 0]) == pytest.approx(q_skew, abs=5e-3)


@pytest.mark.parametrize(("mean", "sd"), [(0.08, 0.002), (0.08, 0.03), (0.3, 0.15), (0.9, 0.05)])
def test_logit_normal_has_the_requested_mean_and_sd(mean, sd):
    tau = P._logit_sd(np.array([sd]), np.array([mean]))
    centre = P._centre_for(np.array([mean]), tau)

    def moment(k: int) -> float:
        f = lambda t: expit(t) ** k * stats.norm.pdf(t, centre[0], tau[0])  # noqa: E731
        return integrate.quad(f, centre[0] - 12 * tau[0], centre[0] + 12 * tau[0])[0]

    assert moment(1) == pytest.approx(mean, rel=1e-6)
    assert np.sqrt(moment(2) - moment(1) ** 2) == pytest.approx(sd, rel=1e-5)


def test_draws_follow_each_areas_posterior():
    """One group, no coupling: the Cornish-Fisher draws have the posterior's mean and SD."""
    y = np.array([[0.0], [3.0], [40.0], [150.0], [2.0], [60.0]])
    n = np.array([[9.0], [33.0], [400.0], [1000.0], [80.0], [200.0]])
    model = P.posterior_model(y / n, n, np.array([y.sum() / n.sum()]))
    q = P.LEVELS - 1
    group = P._group(model, q, 0)
    size = 200_000
    draws = P._draw(np.random.default_rng(2), model, group, size)[..., 0]
    theta = np.log(draws / (1 - draws))
    s = float(model.tau[q, 0])
    assert s > 0.3  # rates of 0 to 30 %: a real spread
    centre = float(P._centre_for(np.array([model.prior[0]]), np.array([s]))[0])
    for i in range(len(y)):
        q_mean, q_sd, _ = _quad_moments(centre, s, y[i, 0], n[i, 0])
        # the prior mean's own uncertainty widens the draws a little, never shifts them
        noise = 4 * np.hypot(q_sd, float(model.se[0])) / np.sqrt(size)
        assert theta[:, i].mean() == pytest.approx(q_mean, abs=0.01 * q_sd + noise)
        assert q_sd * 0.999 <= theta[:, i].std() <= np.hypot(q_sd, float(model.se[0])) * 1.01


def _beta_binomial_loglik(y, n, b, sd):
    strength = b * (1 - b) / sd**2 - 1
    a, c = b * strength, (1 - b) * strength
    return np.sum(betaln(y + a, n - y + c) - betaln(a, c))


@pytest.mark.parametrize("spread", [0.0, 0.02, 0.2, 0.5])
def test_point_probability_is_the_bayes_factor(spread):
    """P(no differences) from the grid equals the Bayes factor integrated by quad."""
    rng = np.random.default_rng(4)
    n = rng.integers(30, 300, 60).astype(float)
    b0 = 0.1
    rates = np.clip(b0 + spread * b0 * rng.standard_normal(60), 0.001, 0.999)
    y = rng.binomial(n.astype(int), rates).astype(float)
    b = y.sum() / n.sum()
    grid, w = sd_posterior(y[:, None], n[:, None], np.array([b]), spike=0.5)
    top = np.sqrt(b * (1 - b)) * 0.999
    floor = float(grid[0, 0])
    ref = _beta_binomial_loglik(y, n, b, floor)
    lik = lambda s: np.exp(_beta_binomial_loglik(y, n, b, s) - ref)  # noqa: E731
    peak = float(grid[1 + np.argmax(w[1:, 0]), 0])
    slab = integrate.quad(lik, floor, top, points=[peak], limit=500)[0] / top
    expected = 1.0 / (1.0 + slab)  # prior odds 1:1
    assert float(w[0, 0]) == pytest.approx(expected, rel=0.02, abs=1e-6)
    assert grid.shape == (49, 1)
    if spread == 0.0:
        assert w[0, 0] > 0.5  # equal areas: "no differences" gains
    if spread == 0.5:
        assert w[0, 0] < 1e-3


def test_borrowing_does_not_move_small_areas():
    """Equal true rates: what other indicators say must not depend on an area's size.

    Logits of small counts are biased (a count of 0 of 9 gives no finite logit),
    and the bias is shared by all indicators of an area, so borrowing on
    observed logits moved the smallest quarter of areas up by 0.17 of the
    between-area SD and the largest quarter down by 0.15. On the rate scale the
    sampling errors are unbiased.
    """
    rng = np.random.default_rng(0)
    base = np.array([0.08, 0.15, 0.25, 0.05])
    pop = np.exp(rng.uniform(np.log(5), np.log(300), 4000)).round()
    den = np.tile(pop[:, None], (1, 4))
    num = rng.binomial(den.astype(int), base).astype(float)
    b = num.sum(axis=0) / den.sum(axis=0)
    sd = 0.25 * b * (1 - b)
    sigma = (0.6 + 0.4 * np.eye(4)) * np.outer(sd, sd)
    shift, factor = P._borrowed(sigma, num / den, b * (1 - b) / den)
    for part in (pop < np.quantile(pop, 0.25), pop > np.quantile(pop, 0.75)):
        assert np.all(np.abs(shift[part].mean(axis=0)) < 0.05 * sd)
    assert np.all((factor > 0) & (factor <= 1))


def test_missing_counts_stay_missing_and_others_are_drawn():
    raw = np.array([[0.1, np.nan], [0.2, 0.3], [0.15, 0.25], [0.12, 0.2], [0.3, 0.4], [0.1, 0.1]])
    den = np.full(raw.shape, 200.0)
    model = P.posterior_model(raw, den, np.nanmean(raw, axis=0))
    draws = P.posterior_draws(np.random.default_rng(1), model, 50)
    assert np.isnan(draws[:, 0, 1]).all()
    assert np.isfinite(draws[:, 1:, :]).all()
    assert np.isfinite(draws[:, 0, 0]).all()
    assert ((draws[:, 1:] > 0) & (draws[:, 1:] < 1)).all()


def _brute_force_flat(p: np.ndarray) -> np.ndarray:
    """P(indicator j flat) by summing all 2^m configurations, π uniform on [0, 1]."""
    import itertools

    bf = p / (1 - p)  # each p is a posterior under prior odds 1
    m = p.size
    total, flat = 0.0, np.zeros(m)
    for c in itertools.product([0, 1], repeat=m):
        c = np.array(c, dtype=bool)
        k = int(c.sum())
        # ∫ π^k (1-π)^(m-k) dπ: the prior of one configuration with k flat indicators
        w = np.exp(betaln(k + 1, m - k + 1)) * np.prod(bf[c])
        total += w
        flat += w * c
    return flat / total


@pytest.mark.parametrize("m", [2, 3, 6])
def test_shared_chance_of_no_differences_matches_enumeration(m):
    p = np.random.default_rng(m).uniform(0.02, 0.98, m)
    slab = np.array([0.2, 0.3, 0.5])
    weight = np.vstack([p, np.outer(slab, 1 - p)])
    out = P._shared_point(np.ones((4, m)), weight)
    assert out[0] == pytest.approx(_brute_force_flat(p), rel=1e-9)
    assert out[1:] == pytest.approx(np.outer(slab, 1 - out[0]), rel=1e-9)  # slab shape kept


def test_indicators_that_clearly_differ_make_a_flat_one_less_likely():
    weight = np.array([[0.8, 0.01, 0.01, 0.01], [0.2, 0.99, 0.99, 0.99]])
    out = P._shared_point(np.ones((2, 4)), weight)
    assert out[0, 0] < 0.6  # alone it would be 0.8
    # four indicators that each lean flat (Bayes factor 3): together more so.
    # Configurations by number flat, k = 0..4, prior k!(4-k)!/5!:
    # 0.2, 0.05*4*3, (1/30)*6*9, 0.05*4*27, 0.2*81 -> 24.2 in all, 21.3 with a given one flat
    equal = P._shared_point(np.ones((2, 4)), np.array([[0.75] * 4, [0.25] * 4]))
    assert equal[0] == pytest.approx(np.full(4, 21.3 / 24.2))
    one = np.array([[0.8], [0.2]])
    assert P._shared_point(np.ones((2, 1)), one) == pytest.approx(one)  # nothing to share


def test_a_flat_indicator_goes_along_like_the_others():
    """Where an indicator does not differ, its correlations are unknowable; dividing a
    noisy covariance by its near-zero SD made them 0.85-0.95. It takes the mean of the
    others instead, turned toward "worse"."""
    pair = np.array(
        [
            [1.0, 0.4, -0.6, 0.95],
            [0.4, 1.0, -0.5, -0.9],
            [-0.6, -0.5, 1.0, 0.9],
            [0.95, -0.9, 0.9, 1.0],
        ]
    )
    orient = np.array([1.0, 1.0, -1.0, 1.0])  # the third indicator: higher is better
    out = P._flat_rows(pair, orient, np.array([False, False, False, True]))
    assert out[3, :3] == pytest.approx([0.5, 0.5, -0.5], abs=1e-9)
    assert out[:3, :3] == pytest.approx(pair[:3, :3], abs=1e-9)
    assert np.all(np.linalg.eigvalsh(out) > 0)


def test_the_pairwise_correlation_is_recovered_from_informative_areas():
    """Large areas, true rates with logit correlations 0.5 and -0.3: the pairwise
    candidate is the same at every level of the spread and finds them."""
    rng = np.random.default_rng(4)
    truth = np.array([[1.0, 0.5, -0.3], [0.5, 1.0, 0.0], [-0.3, 0.0, 1.0]])
    z = rng.multivariate_normal(np.zeros(3), truth, size=600)
    rates = expit(np.log(np.array([0.1, 0.2, 0.3]) / np.array([0.9, 0.8, 0.7])) + 0.3 * z)
    den = rng.integers(2_000, 6_000, (600, 3)).astype(float)
    num = rng.binomial(den.astype(int), rates).astype(float)
    model = P.posterior_model(num / den, den, num.sum(axis=0) / den.sum(axis=0))
    pair = model.corr[:, 0]
    assert np.ptp(pair, axis=0).max() < 1e-12
    assert pair[0] == pytest.approx(truth, abs=0.1)


def test_shared_chance_depends_on_the_bayes_factors_not_on_the_per_indicator_prior(monkeypatch):
    """The same evidence reported under another per-indicator prior gives the same answer."""
    bf = np.array([3.0, 0.2, 8.0])
    slab = np.array([0.5, 0.5])
    at_half = bf / (1 + bf)  # posteriors under prior odds 1
    reference = P._shared_point(np.ones((3, 3)), np.vstack([at_half, np.outer(slab, 1 - at_half)]))
    monkeypatch.setattr(P, "SPIKE", 0.2)
    odds = bf * 0.25  # prior odds 0.2 / 0.8
    at_fifth = odds / (1 + odds)
    got = P._shared_point(np.ones((3, 3)), np.vstack([at_fifth, np.outer(slab, 1 - at_fifth)]))
    assert got == pytest.approx(reference, rel=1e-9)
