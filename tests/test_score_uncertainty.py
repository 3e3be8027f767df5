"""Tests of the score bootstrap, dispersion test and weight sensitivity report."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from geoloft.indicators import Indicator
from geoloft.score import (
    bayes_shrink,
    bootstrap_scores,
    resample_rates,
    score_areas,
    tarone_z,
    weight_sensitivity,
)


def one(ident="p", **kw):
    return Indicator(ident, ident, ident, numerator=f"{ident}_n", denominator=f"{ident}_d",
                     domain="d", **kw)  # fmt: skip


def test_binomial_bootstrap_converges_to_the_analytic_interval():
    n, p = 400, 0.1
    r = resample_rates(np.array([n * p]), np.array([n]), n_boot=20_000, seed=7)[:, 0]
    sd = math.sqrt(p * (1 - p) / n)  # 0.015
    assert r.mean() == pytest.approx(p, abs=3 * sd / math.sqrt(20_000) * 2)
    assert r.std() == pytest.approx(sd, rel=0.03)
    lo, hi = np.quantile(r, [0.05, 0.95], method="inverted_cdf")
    assert lo == pytest.approx(stats.binom.ppf(0.05, n, p) / n, abs=1.01 / n)
    assert hi == pytest.approx(stats.binom.ppf(0.95, n, p) / n, abs=1.01 / n)


def test_beta_binomial_draws_follow_the_posterior():
    y = np.array([5.0, 40.0, 90.0, 30.0])
    n = np.array([50.0, 200.0, 300.0, 400.0])
    b = y.sum() / n.sum()
    s2 = np.sum(n * (y / n - b) ** 2) / n.sum()
    a = s2 - b * (1 - b) / n.mean()
    strength = b * (1 - b) / a - 1  # alpha0 + beta0 of the method-of-moments prior
    post = stats.beta(b * strength + y, (1 - b) * strength + n - y)
    r = resample_rates(y, n, n_boot=20_000, seed=3, family="beta-binomial")
    np.testing.assert_allclose(r.mean(axis=0), post.mean(), rtol=0.01)
    np.testing.assert_allclose(r.std(axis=0), post.std(), rtol=0.03)


def test_tarone_statistic_by_hand_and_family_choice():
    y = np.array([10.0, 30.0, 50.0])
    n = np.array([100.0, 100.0, 100.0])
    p = 0.3
    s = np.sum((y - n * p) ** 2) / (p * (1 - p))
    expected = (s - n.sum()) / math.sqrt(2 * np.sum(n * (n - 1)))
    assert float(tarone_z(y, n)) == pytest.approx(expected)
    b = bootstrap_scores(table_of([20, 40, 60, 80], [200, 400, 600, 800]), [one()], n_boot=10)
    assert b.families == {"p": "posterior"}
    levels = pd.DataFrame({"area_id": list("abcd"), "x": [1.0, 2, 3, 4]})
    level = Indicator("x", "x", "x", value="x", unit="NOK", domain="d")
    assert bootstrap_scores(levels, [level], n_boot=5, min_pop=0).families == {"x": "fixed"}


def table_of(y, n):
    return pd.DataFrame({"area_id": [f"{i:02d}" for i in range(len(y))], "p_n": y, "p_d": n})


def test_posterior_draws_centre_on_the_shrunk_rates():
    rng = np.random.default_rng(4)
    n = rng.integers(50, 3000, 30).astype(float)
    y = rng.binomial(n.astype(int), rng.beta(6, 30, 30)).astype(float)
    draws = resample_rates(y, n, n_boot=20_000, seed=1, family="posterior")
    # the draws' mean is the posterior mean; the prior mean's own uncertainty adds noise only
    np.testing.assert_allclose(draws.mean(axis=0), bayes_shrink(y, n), atol=0.002)
    sd = draws.std(axis=0)
    assert sd[np.argmin(n)] > sd[np.argmax(n)]  # small areas are less certain


@pytest.fixture
def table():
    rng = np.random.default_rng(11)
    n = 20
    t = pd.DataFrame({"area_id": [f"{i:02d}" for i in range(n)]})
    for ident in ("p", "q", "r"):
        t[f"{ident}_d"] = rng.integers(100, 2000, n)
        t[f"{ident}_n"] = rng.binomial(t[f"{ident}_d"], rng.uniform(0.05, 0.4, n))
    return t


CAT = [one("p"), one("q"), one("r")]


@pytest.mark.parametrize("method", ["below-average", "imd", "rules"])
def test_bootstrap_is_reproducible_and_consistent(table, method):
    a = bootstrap_scores(table, CAT, n_boot=150, seed=5, method=method)
    b = bootstrap_scores(table, CAT, n_boot=150, seed=5, method=method)
    c = bootstrap_scores(table, CAT, n_boot=150, seed=6, method=method)
    np.testing.assert_array_equal(a.qualify, b.qualify)
    np.testing.assert_array_equal(a.rank, b.rank)
    assert not np.array_equal(a.rank, c.rank)
    assert a.qualify.shape == (20, 150)
    assert a.qualify.dtype == bool
    s = a.summary
    np.testing.assert_allclose(s["p_qualifies"], a.qualify.mean(axis=1))
    np.testing.assert_allclose(s["p_worst_decile"], (a.decile == 10).mean(axis=1))
    assert (s["rank_lo"] <= s["rank_hi"]).all()
    assert a.stability().index.tolist() == table["area_id"].tolist()


def test_clear_cases_are_certain_and_ties_are_a_coin_flip():
    t = pd.DataFrame({"area_id": list("abcdefghij"),
                      "p_n": [900, 100, 110, 120, 130, 140, 150, 160, 170, 180],
                      "p_d": [1000] * 10})  # fmt: skip
    s = score_areas(t, [one()], method="zscore", n_boot=300, seed=1).set_index("area_id")
    assert s.loc["a", "p_qualifies"] == 1.0
    assert (s.loc["a", "rank_lo"], s.loc["a", "rank_hi"]) == (1, 1)
    assert s.attrs["bootstrap"].qualify.shape == (10, 300)
    twins = t.assign(p_n=[500, 500, 100, 110, 120, 130, 140, 150, 160, 170])
    b = bootstrap_scores(twins, [one()], n_boot=400, seed=2, method="zscore")
    first = (b.rank[:2] == 1).mean(axis=1)
    assert 0.35 < first[0] < 0.75
    assert 0.35 < first[1] < 0.75
    assert b.qualify[2:].sum() == 0


def test_small_areas_are_less_certain(table):
    t = table.copy()
    t.loc[0, ["p_d", "q_d", "r_d"]] = 60
    t.loc[0, ["p_n", "q_n", "r_n"]] = 12
    b = bootstrap_scores(t, CAT, n_boot=300, seed=0, method="zscore")
    width = (b.summary["rank_hi"] - b.summary["rank_lo"]).astype(float)
    assert width.iloc[0] >= width.iloc[1:].median()


def test_weight_sensitivity_by_hand():
    # z-scores (SD sqrt(2/3)): x -> [-1.22, 0, 1.22], y -> [1.22, -1.22, 0]
    # equal weights: index [0, -0.61, 0.61] -> ranks a 2, b 3, c 1
    # x x2 or y x0.5: [-0.41, -0.41, 0.82] -> a 2, b 2, c 1
    # x x0.5 or y x2: [0.41, -0.82, 0.41] -> a 1, b 3, c 1
    t = pd.DataFrame({"area_id": list("abc"), "x": [1.0, 2, 3], "y": [3.0, 1, 2]})
    cat = [Indicator(c, c, c, value=c, unit="score", domain=c) for c in "xy"]
    got = weight_sensitivity(t, cat, method="zscore", min_pop=0).set_index("area_id")
    assert got["rank"].tolist() == [2, 3, 1]
    assert got["rank_min"].tolist() == [1, 2, 1]
    assert got["rank_max"].tolist() == [2, 3, 1]
    assert got["rank_range"].tolist() == [1, 1, 0]
    assert got.loc["a", "most_sensitive"] in ("x ×0.5", "y ×2")
    assert pd.isna(got.loc["c", "most_sensitive"])
