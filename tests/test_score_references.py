"""References, weights, missing values and ties, as docs/methods.md states them.

Expected values come from hand computation or peer libraries (statsmodels'
weighted statistics), never from the code under test.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from statsmodels.stats.weightstats import DescrStatsW

from geoloft.delineation import delineate
from geoloft.errors import InputError
from geoloft.indicators import Indicator
from geoloft.score import score_areas


def counts(ident: str, domain: str = "d", **kw: object) -> Indicator:
    return Indicator(ident, ident, ident, numerator=f"{ident}_n", denominator=f"{ident}_d",
                     domain=domain, **kw)  # fmt: skip


def share(ident: str, population: str | None = None, domain: str = "d") -> Indicator:
    return Indicator(ident, ident, ident, value=ident, population=population, unit="percent",
                     domain=domain)  # fmt: skip


# -- population-weighted references ------------------------------------------------------------


def test_a_share_with_a_population_column_has_a_weighted_reference():
    t = pd.DataFrame({"area_id": list("abc"), "x": [10.0, 20.0, 60.0], "p": [800, 100, 100]})
    got = score_areas(t, [share("x", "p")], min_pop=0, shrink=False)
    # (10·800 + 20·100 + 60·100) / 1000 = 16 %, not the plain mean 30 %
    assert got.attrs["reference"]["x"] == pytest.approx(16.0)


def test_a_share_without_its_own_population_is_weighted_by_residents():
    t = pd.DataFrame({"area_id": list("abc"), "x": [10.0, 20.0, 60.0],
                      "pop_tot": [800, 100, 100]})  # fmt: skip
    got = score_areas(t, [share("x")], min_pop=0)
    assert got.attrs["reference"]["x"] == pytest.approx(16.0)
    # without any population every area weighs the same
    alone = score_areas(t.drop(columns="pop_tot"), [share("x")], min_pop=0)
    assert alone.attrs["reference"]["x"] == pytest.approx(30.0)


def test_zscores_are_centred_and_scaled_with_the_same_weights():
    rng = np.random.default_rng(4)
    n = 30
    t = pd.DataFrame({"area_id": [f"{i:02d}" for i in range(n)]})
    cat = []
    for ident in ("a", "b"):
        t[f"{ident}_d"] = rng.integers(100, 5000, n)
        t[f"{ident}_n"] = rng.binomial(t[f"{ident}_d"], rng.uniform(0.05, 0.3, n))
        cat.append(counts(ident, domain=ident))
    got = score_areas(t, cat, method="zscore", shrink=False, min_pop=0)
    for ident in ("a", "b"):
        rate = t[f"{ident}_n"] / t[f"{ident}_d"]
        stats = DescrStatsW(rate, weights=t[f"{ident}_d"], ddof=0)
        expected = (rate - stats.mean) / stats.std
        np.testing.assert_allclose(got[f"{ident}_std"], expected, rtol=1e-9)
        z = DescrStatsW(got[f"{ident}_std"], weights=t[f"{ident}_d"], ddof=0)
        assert z.mean == pytest.approx(0.0, abs=1e-12)
        assert z.std == pytest.approx(1.0)


# -- IMD domain weights --------------------------------------------------------------------------


def test_imd_domain_weights_are_configurable():
    # two domains; IMD domain scores are exponentially transformed domain ranks
    t = pd.DataFrame({"area_id": list("abcd"), "x": [1.0, 2, 3, 4], "y": [4.0, 3, 2, 1]})
    cat = [Indicator(c, c, c, value=c, unit="score", domain=c) for c in "xy"]
    base = score_areas(t, cat, method="imd", min_pop=0)
    heavy = score_areas(t, cat, method="imd", min_pop=0, domain_weights={"x": 3.0, "y": 1.0})
    x, y = heavy["domain_x"], heavy["domain_y"]
    np.testing.assert_allclose(heavy["index"], (3 * x + y) / 4, rtol=1e-12)
    np.testing.assert_allclose(base["index"], (x + y) / 2, rtol=1e-12)
    assert base["rank"].tolist()[::3] == [1, 1]  # a and d mirror each other: a tie
    assert heavy["rank"].tolist()[::3] == [2, 1]  # weighting x breaks it for d
    with pytest.raises(InputError, match=r"missing: y"):
        score_areas(t, cat, method="imd", min_pop=0, domain_weights={"x": 1.0})
    with pytest.raises(InputError, match=r"no meaning for method 'zscore'"):
        score_areas(t, cat, method="zscore", domain_weights={"x": 1.0, "y": 1.0})


# -- the CDC missing-value rule ------------------------------------------------------------------


def test_cdc_rule_excludes_areas_with_a_missing_value_from_the_ranking():
    t = pd.DataFrame({"area_id": list("abcde"), "x": [1.0, 2, 3, 4, 5],
                      "y": [5.0, np.nan, 3, 2, 1], "z": [2.0, 4, 1, 5, 3]})  # fmt: skip
    cat = [Indicator(c, c, c, value=c, unit="score", domain=c) for c in "xyz"]
    available = score_areas(t, cat, method="percentile", min_pop=0).set_index("area_id")
    cdc = score_areas(t, cat, method="percentile", min_pop=0, missing="exclude")
    cdc = cdc.set_index("area_id")
    assert available["rank"].notna().all()
    assert pd.isna(cdc.loc["b", "rank"])
    assert not cdc.loc["b", "qualifies"]
    # the other areas are ranked among themselves: percent ranks over 4 areas
    expected_x = pd.Series([0, 1, 2, 3], index=list("acde")) / 3
    np.testing.assert_allclose(cdc.loc[list("acde"), "x_std"], expected_x)
    assert cdc.attrs["report"].notes["missing"] == "exclude"


# -- min_pop on residents ------------------------------------------------------------------------


def test_min_pop_tests_residents_not_the_largest_denominator():
    t = pd.DataFrame({"area_id": list("abc"), "pop_tot": [40, 500, 600],
                      "x_n": [10, 50, 60], "x_d": [300, 400, 500]})  # fmt: skip
    got = score_areas(t, [counts("x")], min_pop=50).set_index("area_id")
    assert got.loc["a", "status"] == "for få personer"  # 40 residents, 300 at risk
    assert got.attrs["report"].notes["population_source"] == "pop_tot"
    no_residents = score_areas(t.drop(columns="pop_tot"), [counts("x")], min_pop=50)
    assert no_residents.attrs["report"].notes["population_source"] == "largest denominator"


# -- default k -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("m", "method", "k"),
    [(3, "below-average", 2), (4, "below-average", 3), (6, "below-average", 4), (4, "rules", 2)],
)
def test_default_k(m, method, k):
    t = pd.DataFrame({"area_id": [f"{i:02d}" for i in range(6)]})
    cat = []
    for j in range(m):
        t[f"i{j}_n"], t[f"i{j}_d"] = [10 * (i + 1) for i in range(6)], 1000
        cat.append(counts(f"i{j}", domain=f"d{j}"))
    got = score_areas(t, cat, method=method, min_pop=0, qualify_min_pop=0)
    assert got.attrs["report"].notes["k"] == k == math.ceil((2 if method != "rules" else 1.5)
                                                            * m / 3)  # fmt: skip


# -- ties ----------------------------------------------------------------------------------------

# 20 areas; one clearly highest, then three tied, then the rest. Top 10 % of 20 is 2 areas:
# the boundary falls inside the tied group, which is taken whole (4 areas).
TIED = [30.0, 20.0, 20.0, 20.0] + [float(v) for v in range(1, 17)]


def test_ties_share_rank_decile_and_status_in_score():
    t = pd.DataFrame({"area_id": [f"{i:02d}" for i in range(20)],
                      "x": [v / 10 for v in TIED]})  # fmt: skip
    cat = [Indicator("x", "x", "x", value="x", unit="score", domain="d")]
    got = score_areas(t, cat, method="zscore", min_pop=0)
    assert got["rank"].tolist()[:4] == [1, 2, 2, 2]
    assert got["decile"].tolist()[:4] == [10, 10, 10, 10]
    assert got["qualifies"].tolist() == [True] * 4 + [False] * 16
    # the next value down (16) has 4 areas above it: decile 10 - floor(10 · 4 / 20) = 8
    assert got.set_index("area_id").loc["19", "decile"] == 8


def test_ties_share_the_status_in_a_delineation_top_share():
    boxes = [shapely.box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(20)]
    units = gpd.GeoDataFrame({"area_id": [f"{i:02d}" for i in range(20)], "pop_tot": 100.0,
                              "x": TIED}, geometry=boxes, crs=25833)  # fmt: skip
    zones = delineate(units, select=("x", "top", 0.1))
    assert zones["members"].tolist() == ["00,01,02,03"]
    assert len(delineate(units, select="x top 5%")) == 1  # only the highest
