"""Estimators of geoloft.evaluate against a peer (statsmodels), hand sums and simulations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from geoloft.evaluation import _estimate as est  # the hand-written bootstrap has no public path
from geoloft.evaluation import evaluate, read_population_by_age

TREATED = ["030109", "030110", "030111", "030112"]


@pytest.fixture(scope="module")
def register(realdata):
    pop = read_population_by_age(
        realdata / "ssb-population-bydel-2001-2020" / "Personerward2001-2020.csv"
    )
    pop = pop[(pop["valid"] == "") & pop["area_id"].str.match(r"^0301(0[1-9]|1[0-5])$")]
    return pop[(pop["year"] >= 2004) & (pop["year"] <= 2019)].reset_index(drop=True)


def _children(register):
    return register.assign(
        indicator="children", numerator=register["pop_0_17"], denominator=register["pop_tot"]
    )[["area_id", "year", "indicator", "numerator", "denominator"]]


def test_did_and_cluster_se_match_statsmodels_formula_on_the_register(register):
    table = _children(register)
    result = evaluate(table, treated=TREATED, start=2007, end=2016, n_boot=99, n_perm=99)
    # peer: statsmodels' formula interface, fitted here from scratch
    peer = table.assign(y=100 * table["numerator"] / table["denominator"])
    peer["during"] = (peer["area_id"].isin(TREATED) & peer["year"].between(2008, 2016)) * 1.0
    peer["after"] = (peer["area_id"].isin(TREATED) & (peer["year"] > 2016)) * 1.0
    fit = smf.ols("y ~ during + after + C(area_id) + C(year)", data=peer).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(peer["area_id"])[0]}
    )
    got = result.estimates.set_index("effect")
    for name in ("during", "after"):
        assert got.loc[name, "estimate"] == pytest.approx(fit.params[name], rel=1e-9)
        assert got.loc[name, "se"] == pytest.approx(fit.bse[name], rel=1e-9)
    assert got["n_areas"].iloc[0] == 15
    assert got["n_treated"].iloc[0] == 4
    # 15 areas, 4 treated: all C(15, 4) - 1 placebo sets fit under n_perm=1999
    full = evaluate(table, treated=TREATED, start=2007, end=2016, n_boot=99, n_perm=1999)
    assert full.estimates["n_perm"].iloc[0] == 1364


def test_hand_written_fwl_cluster_se_equals_statsmodels(register):
    panel = _children(register).assign(w=1.0)
    panel["y"] = 100 * panel["numerator"] / panel["denominator"]
    panel["phase"] = np.where(panel["year"] <= 2007, "before", "during")
    design = est.make_design(panel, pd.Series(True, index=TREATED), "phase", ["during"])
    fit = est.fit_statsmodels(design)
    r = est.residualise(design)
    assert r.beta[0] == pytest.approx(fit.params[0], rel=1e-9)
    assert est.cluster_se(r)[0] == pytest.approx(fit.bse[0], rel=1e-9)


def test_two_by_two_equals_the_difference_of_mean_changes():
    rng = np.random.default_rng(3)
    areas = [f"a{i}" for i in range(8)]
    values = rng.normal(20, 5, size=(8, 2))
    rows = [
        (a, y, "x", values[i, j]) for i, a in enumerate(areas) for j, y in enumerate((2010, 2014))
    ]
    table = pd.DataFrame(rows, columns=["area_id", "year", "indicator", "value"])
    result = evaluate(table, treated=areas[:3], start=2010, end=2016, n_boot=99, n_perm=99)
    change = values[:, 1] - values[:, 0]
    assert result.estimates["estimate"].iloc[0] == pytest.approx(
        change[:3].mean() - change[3:].mean()
    )
    # the per-area table says the same: relative change = own change - comparison's mean
    ch = result.changes.set_index("area_id")
    assert ch.loc["a0", "relative_during"] == pytest.approx(change[0] - change[3:].mean())


def _simulate(rng, effect, n_area=30, n_treated=10, years=6, start=3):
    area_fe = rng.normal(0, 2, n_area)
    year_fe = rng.normal(0, 1, years)
    shock = rng.normal(0, 1, (n_area, 1)) * 0.5  # within-area correlation over time
    y = area_fe[:, None] + year_fe[None, :] + shock + rng.normal(0, 1, (n_area, years))
    treated = np.zeros(n_area, bool)
    treated[rng.choice(n_area, n_treated, replace=False)] = True
    post = np.arange(years) >= start
    y = y + effect * treated[:, None] * post[None, :]
    frame = pd.DataFrame(
        {
            "area_id": np.repeat([f"a{i:02d}" for i in range(n_area)], years),
            "year": np.tile(np.arange(years), n_area),
            "y": y.ravel(),
            "w": 1.0,
        }
    )
    frame["phase"] = np.where(frame["year"] >= start, "during", "before")
    ids = pd.Series(True, index=[f"a{i:02d}" for i in np.flatnonzero(treated)])
    return est.make_design(frame, ids, "phase", ["during"])


def test_simulation_interval_covers_the_true_effect_at_its_nominal_rate():
    rng = np.random.default_rng(20240601)
    n_sim, effect, covered = 120, 1.5, 0
    for k in range(n_sim):
        inf = est.infer(_simulate(rng, effect), n_boot=199, n_perm=99, level=0.95, seed=k)
        covered += inf.low[0] <= effect <= inf.high[0]
    rate = covered / n_sim
    # binomial sd at 0.95 with 120 runs is 0.02: accept 0.88..1.0 (3.5 sd below)
    assert rate >= 0.88, rate
    assert rate < 1.0 or n_sim < 50


def test_simulation_placebo_rejects_at_about_the_nominal_level():
    rng = np.random.default_rng(7)
    n_sim = 150
    p_perm, p_boot = [], []
    for k in range(n_sim):
        inf = est.infer(_simulate(rng, 0.0), n_boot=199, n_perm=199, level=0.95, seed=k)
        p_perm.append(inf.p_perm[0])
        p_boot.append(inf.p_boot[0])
    # with no effect, 5 % tests reject about 5 % of the time (sd 1.8 % with 150 runs)
    assert 0.005 <= np.mean(np.array(p_perm) < 0.05) <= 0.11
    assert 0.005 <= np.mean(np.array(p_boot) < 0.05) <= 0.11
    # and the p-values are roughly uniform: a quarter fall under 0.25
    assert 0.15 <= np.mean(np.array(p_perm) < 0.25) <= 0.35


def test_simulation_detects_a_large_effect():
    rng = np.random.default_rng(11)
    rejected = [
        est.infer(_simulate(rng, 2.0), n_boot=199, n_perm=199, level=0.95, seed=k).p_boot[0] < 0.05
        for k in range(20)
    ]
    assert np.mean(rejected) >= 0.9


def test_event_study_recovers_a_known_path_and_pretrend_passes():
    rng = np.random.default_rng(5)
    path = {2004: 0, 2005: 0, 2006: 0, 2007: 0, 2008: 1.0, 2009: 2.0, 2010: 3.0}
    rows = []
    for i in range(24):
        fe = rng.normal(0, 3)
        for y, eff in path.items():
            rows.append(
                (f"a{i:02d}", y, "x", fe + 0.2 * y + (eff if i < 8 else 0) + rng.normal(0, 0.05))
            )
    table = pd.DataFrame(rows, columns=["area_id", "year", "indicator", "value"])
    result = evaluate(
        table, treated=[f"a{i:02d}" for i in range(8)], start=2007, end=2010, n_boot=199, n_perm=199
    )
    es = result.event_study.set_index("year")["estimate"]
    for y, eff in path.items():
        assert es[y] == pytest.approx(eff, abs=0.1)
    assert result.pretrend["p"].iloc[0] > 0.01
    fake = result.placebo.set_index("fake_start")
    assert set(fake.index) == {2005, 2006, 2007}
    assert (fake["estimate"].abs() < 0.1).all()


def test_population_weighted_did_matches_statsmodels_wls(register):
    table = _children(register)
    result = evaluate(
        table,
        treated=TREATED,
        start=2007,
        end=2016,
        weighting="denominator",
        n_boot=99,
        n_perm=99,
    )
    peer = table.assign(y=100 * table["numerator"] / table["denominator"])
    peer["during"] = (peer["area_id"].isin(TREATED) & peer["year"].between(2008, 2016)) * 1.0
    peer["after"] = (peer["area_id"].isin(TREATED) & (peer["year"] > 2016)) * 1.0
    fit = smf.wls(
        "y ~ during + after + C(area_id) + C(year)", data=peer, weights=peer["denominator"]
    ).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(peer["area_id"])[0]})
    got = result.estimates.set_index("effect")
    assert got.loc["during", "estimate"] == pytest.approx(fit.params["during"], rel=1e-9)
    assert got.loc["during", "se"] == pytest.approx(fit.bse["during"], rel=1e-9)


def test_small_denominators_are_shrunk_like_the_scores(register):
    from geoloft.score import eb_shrink

    table = _children(register)
    small = table["area_id"] == "030101"
    table.loc[small, ["numerator", "denominator"]] = (
        table.loc[small, ["numerator", "denominator"]] / 1000
    ).round()
    result = evaluate(
        table, treated=TREATED, start=2007, end=2016, shrink=100, n_boot=99, n_perm=99
    )
    year = table[table["year"] == 2010]
    expected = 100 * eb_shrink(year["numerator"].to_numpy(), year["denominator"].to_numpy())
    panel = result.panel[result.panel["year"] == 2010].set_index("area_id")["value"]
    got = panel.reindex(year["area_id"]).to_numpy()
    assert got[year["area_id"].eq("030101").to_numpy()] == pytest.approx(
        expected[year["area_id"].eq("030101").to_numpy()]
    )
    # large areas keep their raw rate
    raw = 100 * year["numerator"] / year["denominator"]
    big = ~year["area_id"].eq("030101").to_numpy()
    np.testing.assert_allclose(got[big], raw.to_numpy()[big])


def test_wild_bootstrap_replicates_equal_statsmodels_refits():
    rng = np.random.default_rng(4)
    d = _simulate(rng, 1.0, n_area=12, n_treated=4, years=5, start=2)
    v = est.WEBB[rng.integers(0, 6, size=(12, 5))]
    fit = est.fit_statsmodels(d)
    resid = d.y - fit.fittedvalues
    for b in range(v.shape[1]):
        # peer: rebuild the outcome and refit the whole regression with statsmodels
        star = sm.WLS(fit.fittedvalues + resid * v[d.area, b], fit.model.exog).fit(
            cov_type="cluster", cov_kwds={"groups": d.area}
        )
        expected = abs(star.params[0] - fit.params[0]) / star.bse[0]
        assert est.bootstrap_t(est.residualise(d), v)[0, b] == pytest.approx(expected, rel=1e-8)
