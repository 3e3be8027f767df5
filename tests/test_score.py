"""Tests of geoloft.score: the six methods against answers worked out in the test.

Expected values come from the hand-made table below, by hand or by a few lines
of independent pandas/scipy code, never from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import betaln
from scipy.stats import norm

from geoloft.errors import InputError, SchemaError
from geoloft.indicators import Indicator
from geoloft.score import (
    bayes_shrink,
    compare_methods,
    eb_shrink,
    explain,
    format_number,
    score_areas,
)
from geoloft.score._standardise import imd_transform

METHODS = ["below-average", "ssb-decile", "percentile", "imd", "rules", "zscore"]
IDS = list("abcdefghij")
# 10 areas x 4 indicators, every denominator 1000: rates are numerator / 1000.
COUNTS = {
    "li": [50, 80, 120, 200, 90, 60, 150, 110, 70, 170],  # low income, higher is worse
    "edu": [100, 300, 250, 400, 150, 120, 350, 200, 180, 280],  # low education
    "emp": [800, 700, 650, 500, 750, 820, 600, 720, 780, 560],  # employed: higher is better
    "crowd": [40, 90, 60, 150, 30, 50, 120, 100, 20, 80],  # crowding
}
SIGN = {"li": 1, "edu": 1, "emp": -1, "crowd": 1}
DOMAIN = {"li": "economy", "edu": "education", "emp": "economy", "crowd": "housing"}
POP = [2000] * 9 + [800]  # area j is under the rules' 1,000-resident floor


def indicator(i, **kw):
    direction = "higher_is_worse" if SIGN[i] > 0 else "higher_is_better"
    return Indicator(i, i.upper(), i.upper(), numerator=f"{i}_n", denominator=f"{i}_d",
                     domain=DOMAIN[i], direction=direction, **kw)  # fmt: skip


CAT = [indicator(i) for i in COUNTS]


@pytest.fixture
def table():
    t = pd.DataFrame({"area_id": IDS, "pop_tot": POP})
    for i, n in COUNTS.items():
        t[f"{i}_n"] = n
        t[f"{i}_d"] = 1000
    return t


def rates():
    return pd.DataFrame({i: np.array(n) / 1000 for i, n in COUNTS.items()}, index=IDS)


def run(t, method, **kw):
    return score_areas(t, CAT, method=method, shrink=None, min_pop=0, **kw).set_index("area_id")


# -- expected results by independent pandas code ------------------------------------------------


def expected_index(method):
    r = rates()
    ref = r.mean()  # equal denominators: the pooled rate is the plain mean
    sign = pd.Series(SIGN)
    oriented = r * sign
    rank = oriented.rank(method="average")
    if method in ("below-average", "rules"):
        if method == "below-average":
            flags = (r - ref) * sign > 0
        else:
            ratio = r / ref
            flags = ((ratio >= 1.25) & (sign > 0)) | ((ratio <= 0.8) & (sign < 0))
        return flags.mean(axis=1), flags.sum(axis=1)
    if method == "ssb-decile":  # 10 - floor(10 x areas strictly higher / n)
        dec = 10 - np.floor(10 * (oriented.rank(ascending=False, method="min") - 1) / 10)
        return dec.mean(axis=1), (dec == 10).sum(axis=1)
    if method == "percentile":
        pct = (rank - 1) / 9
        overall = pct.mean(axis=1).round(12)  # areas b and c tie: rank sums 25 and 25
        return ((overall.rank() - 1) / 9), (pct >= 0.9).sum(axis=1)
    if method == "zscore":
        z = (r - ref) / r.std(ddof=0) * sign
        return z.mean(axis=1), (z >= 1).sum(axis=1)
    z = pd.DataFrame(norm.ppf((rank - 0.5) / 10), index=IDS, columns=r.columns)  # imd
    dom = pd.DataFrame({"economy": (z.li + z.emp) / 2, "education": z.edu, "housing": z.crowd})
    x = -23 * np.log(1 - dom.rank() / 10 * (1 - math.exp(-100 / 23)))
    return (2 * x.economy + x.education + x.housing) / 4, (rank > 9).sum(axis=1)


@pytest.mark.parametrize("method", METHODS)
def test_known_answer(table, method):
    got = run(table, method)
    index, n_flags = expected_index(method)
    np.testing.assert_allclose(got["index"], index.loc[got.index], rtol=1e-12)
    assert got["n_flags"].tolist() == n_flags.loc[got.index].tolist()
    rank = (-index.round(12)).rank(method="min")
    assert got["rank"].tolist() == rank.astype(int).tolist()
    # tie rule: decile from the number of areas strictly more exposed (rank - 1)
    dec = (10 - np.floor(10 * (rank - 1) / 10 + 1e-9)).astype(int)
    assert got["decile"].tolist() == dec.tolist()
    if method == "below-average":  # worse on at least 3 of 4 (two thirds, rounded up)
        assert got["qualifies"].tolist() == (n_flags >= 3).tolist()
    elif method == "rules":  # 2 of 4 criteria and at least 1,000 residents
        assert got["qualifies"].tolist() == ((n_flags >= 2) & (np.array(POP) >= 1000)).tolist()
    else:  # the most exposed tenth: one of ten areas
        assert got["qualifies"].tolist() == (dec == 10).tolist()
    assert (got["n_indicators"] == 4).all()
    assert (got["status"] == "ok").all()
    for i in COUNTS:
        np.testing.assert_allclose(got[f"{i}_rate"], np.array(COUNTS[i]) / 10)


def test_by_hand_four_areas_one_indicator():
    t = pd.DataFrame({"area_id": list("wxyz"), "p_n": [10, 20, 30, 40], "p_d": [100] * 4})
    cat = [Indicator("p", "P", "P", numerator="p_n", denominator="p_d", domain="d")]
    below = score_areas(t, cat, shrink=None, min_pop=0)  # reference 25 %
    assert below["p_flag"].tolist() == [False, False, True, True]
    assert below["index"].tolist() == [0.0, 0.0, 1.0, 1.0]
    assert below["rank"].tolist() == [3, 3, 1, 1]
    assert below["qualifies"].tolist() == [False, False, True, True]
    assert below["p_std"].tolist() == [0.4, 0.8, 1.2, 1.6]  # ratio to the reference
    dec = score_areas(t, cat, method="ssb-decile", shrink=None, min_pop=0)
    assert dec["p_std"].tolist() == [3, 5, 8, 10]  # ceil(10 * rank / 4)
    assert dec["decile"].tolist() == [3, 5, 8, 10]
    rules = score_areas(t, cat, method="rules", shrink=None, min_pop=0, qualify_min_pop=0)
    assert rules["p_flag"].tolist() == [False, False, False, True]  # 40 >= 1.25 x 25 = 31.25
    assert score_areas(t, cat, reference={"p": 35.0}, shrink=None, min_pop=0)[
        "p_flag"
    ].tolist() == [False, False, False, True]


def test_imd_transform_against_formula():
    r = np.array([0.01, 0.1, 0.5, 0.9, 0.99, 1.0])
    expected = [-23 * math.log(1 - x * (1 - math.exp(-100 / 23))) for x in r]
    np.testing.assert_allclose(imd_transform(r), expected, rtol=1e-12)
    assert imd_transform(np.array([1.0]))[0] == pytest.approx(100.0)
    assert np.all(np.diff(imd_transform(np.linspace(0.01, 1, 50))) > 0)


def test_rules_per_indicator_thresholds(table):
    got = run(table, "rules", threshold={"li": 1.5})
    ratio = rates() / rates().mean()
    assert got["li_flag"].tolist() == (ratio.li >= 1.5).tolist()
    assert got["edu_flag"].tolist() == (ratio.edu >= 1.25).tolist()
    assert got["emp_flag"].tolist() == (ratio.emp <= 0.8).tolist()


# -- invariants ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("factor", [0.1, 7.0])
def test_weights_scaled_by_a_constant_give_the_same_result(table, method, factor):
    w = {"li": 2.0, "edu": 1.0, "emp": 0.5, "crowd": 3.0}
    base = run(table, method, weights=w)
    scaled = run(table, method, weights={i: v * factor for i, v in w.items()})
    np.testing.assert_allclose(scaled["index"], base["index"], rtol=1e-12)
    assert scaled["rank"].tolist() == base["rank"].tolist()
    assert scaled["qualifies"].tolist() == base["qualifies"].tolist()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 14), data=st.data())
def test_row_order_does_not_change_any_area_result(seed, n, data):
    rng = np.random.default_rng(seed)
    t = pd.DataFrame({"area_id": [f"{i:02d}" for i in range(n)]})
    for i in ("li", "edu", "emp"):
        t[f"{i}_d"] = rng.integers(30, 3000, n)
        t[f"{i}_n"] = rng.binomial(t[f"{i}_d"], rng.uniform(0.05, 0.6))
    order = data.draw(st.permutations(range(n)))
    shuffled = t.iloc[list(order)].reset_index(drop=True)
    cat = CAT[:3]
    for method in METHODS:
        a = score_areas(t, cat, method=method).set_index("area_id")
        b = score_areas(shuffled, cat, method=method).set_index("area_id").loc[a.index]
        np.testing.assert_allclose(a["index"], b["index"], rtol=1e-9, atol=1e-12)
        for col in ("rank", "decile", "qualifies", "n_flags", "li_flag"):
            assert a[col].tolist() == b[col].tolist(), (method, col)


def test_output_is_aligned_to_the_input_index_and_input_untouched(table):
    t = table.set_axis([f"r{i}" for i in range(10)])
    before = t.copy()
    got = score_areas(t, CAT, method="imd")
    assert got.index.equals(t.index)
    pd.testing.assert_frame_equal(t, before)
    columns = [list(score_areas(t, CAT, method=m).columns) for m in METHODS]
    assert all(c == columns[0] for c in columns)


# -- missing values, small numbers ----------------------------------------------------------------


def test_missing_values_count_neither_way(table):
    t = table.astype({"li_n": float, "edu_n": float, "crowd_n": float})
    t.loc[3, "li_n"] = np.nan  # area d: one value missing
    t.loc[5, ["li_n", "edu_n", "crowd_n"]] = np.nan  # area f: only emp left
    got = run(t, "below-average")
    assert got["n_indicators"].tolist() == [4, 4, 4, 3, 4, 1, 4, 4, 4, 4]
    assert pd.isna(got.loc["d", "li_flag"])
    assert got.loc["f", "status"] == "for få indikatorer"
    assert np.isnan(got.loc["f", "index"])
    assert pd.isna(got.loc["f", "rank"])
    assert not got.loc["f", "qualifies"]
    # reference of li over the areas that have it: (1100 - 200 - 60) / 8000
    ref_li = (1100 - 200 - 60) / 8000
    assert got.attrs["reference"]["li"] == pytest.approx(100 * ref_li)
    # area d: flags on edu, emp, crowd only; share over the three present
    r = rates().loc["d"]
    flags = [r.edu > 0.233, r.emp < 0.690, r.crowd > 0.074]
    assert got.loc["d", "index"] == pytest.approx(sum(flags) / 3)
    assert got.loc["d", "n_flags"] == sum(flags)


def test_too_few_people_get_a_code_but_count_in_the_reference(table):
    t = table.copy()
    t.loc[0, "pop_tot"] = 30
    got = score_areas(t, CAT, min_pop=50, shrink=None, lang="en").set_index("area_id")
    assert got.loc["a", "status"] == "too few people"
    assert got.loc["a", "explanation"] == "too few people"
    assert np.isnan(got.loc["a", "index"])
    assert got.attrs["reference"]["li"] == pytest.approx(11.0)  # 1100 / 10000, area a included
    assert got["rank"].notna().sum() == 9
    assert pd.isna(got.loc["a", "rank"])


def test_empirical_bayes_against_hand_computation():
    y = np.array([2.0, 30.0, 12.0, 1.0])
    n = np.array([10.0, 100.0, 80.0, 5.0])
    b = y.sum() / n.sum()  # 45 / 195
    r = y / n
    s2 = np.sum(n * (r - b) ** 2) / n.sum()
    a = max(s2 - b * (1 - b) / n.mean(), 0.0)
    expected = b + a / (a + b * (1 - b) / n) * (r - b)
    np.testing.assert_allclose(eb_shrink(y, n), expected, rtol=1e-12)
    # shrinks small areas most, and never past the prior mean
    assert np.all(np.abs(eb_shrink(y, n) - b) <= np.abs(r - b))


def _posterior_mean_by_quadrature(y, n):
    """Posterior means of beta-binomial rates, the SD integrated by scipy.integrate.quad."""
    b = y.sum() / n.sum()
    top = math.sqrt(b * (1 - b)) * 0.9999

    def loglik(sd):
        s = b * (1 - b) / sd**2 - 1
        return np.sum(betaln(y + b * s, n - y + (1 - b) * s) - betaln(b * s, (1 - b) * s))

    peak = max(loglik(sd) for sd in np.geomspace(1e-6 * top, top, 400))

    def post(sd):
        return math.exp(loglik(sd) - peak)

    def mean(sd, i):
        s = b * (1 - b) / sd**2 - 1
        return post(sd) * (b * s + y[i]) / (s + n[i])

    breaks = [top * 1e-3, top * 1e-2, top * 0.1]
    z = quad(post, 0, top, limit=400, points=breaks)[0]
    return np.array([quad(mean, 0, top, args=(i,), limit=400, points=breaks)[0] / z
                     for i in range(len(y))])  # fmt: skip


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")
@pytest.mark.parametrize("spread", ["unequal", "homogeneous"])
def test_bayes_shrinkage_is_the_posterior_mean_by_quadrature(spread):
    rng = np.random.default_rng(5)
    n = rng.integers(20, 3000, 25).astype(float)
    p = rng.beta(8, 40, 25) if spread == "unequal" else np.full(25, 0.1)
    y = rng.binomial(n.astype(int), p).astype(float)
    np.testing.assert_allclose(bayes_shrink(y, n), _posterior_mean_by_quadrature(y, n),
                               rtol=1e-4)  # fmt: skip


def test_shrinkage_is_smooth_in_the_denominator_and_never_past_the_mean():
    rng = np.random.default_rng(2)
    n = np.concatenate([rng.integers(200, 5000, 30), [999, 1001]]).astype(float)
    y = rng.binomial(n.astype(int), rng.beta(10, 40, 32)).astype(float)
    y[-2:] = [0.3 * 999, 0.3 * 1001]  # two areas at 30 %, denominators 999 and 1,001
    b = y.sum() / n.sum()
    got = bayes_shrink(y, n)
    pull = (y / n - got) / (y / n - b)  # share of the way to the mean
    assert 0 < pull[-1] < pull[-2] < 1
    assert pull[-2] - pull[-1] < 0.01 * pull[-2]  # no step at 1,000 persons
    assert np.all(np.abs(got - b) <= np.abs(y / n - b) + 1e-15)


def test_no_collapse_when_the_moment_estimate_of_the_spread_is_zero():
    # 40 areas, rates 9-11 % on 150-400 persons: differences inside binomial noise
    rng = np.random.default_rng(8)
    n = rng.integers(150, 400, 40).astype(float)
    y = np.round(n * rng.uniform(0.09, 0.11, 40))
    b = y.sum() / n.sum()
    from geoloft.score.shrinkage import eb_variance

    assert eb_variance(y[:, None], n[:, None], np.array([b]))[0] == 0.0
    np.testing.assert_allclose(eb_shrink(y, n), b)  # the plug-in estimator collapses
    got = bayes_shrink(y, n)
    assert np.unique(np.round(got, 12)).size > 30
    assert np.all(np.sign(np.round(got - b, 12)) == np.sign(np.round(y / n - b, 12)))
    # below-average flags against the pooled rate are kept, not erased
    t = pd.DataFrame({"area_id": [f"{i:02d}" for i in range(40)], "p_n": y, "p_d": n})
    cat = [Indicator("p", "P", "P", numerator="p_n", denominator="p_d", domain="d")]
    shrunk = score_areas(t, cat, min_pop=0)
    raw = score_areas(t, cat, min_pop=0, shrink=False)
    assert shrunk["p_flag"].tolist() == raw["p_flag"].tolist()
    assert shrunk["qualifies"].sum() == raw["qualifies"].sum() > 10
    assert shrunk.attrs["report"].notes["shrunk_rates"] == {"p": 40}


def test_a_supplied_reference_is_not_the_prior_of_the_shrinkage():
    t = pd.DataFrame({"area_id": list("abcdefgh"), "p_n": [3, 40, 12, 90, 5, 60, 20, 33],
                      "p_d": [20, 300, 100, 400, 30, 500, 90, 200]})  # fmt: skip
    cat = [Indicator("p", "P", "P", numerator="p_n", denominator="p_d", domain="d")]
    own = score_areas(t, cat, min_pop=0)
    national = score_areas(t, cat, min_pop=0, reference={"p": 5.0})
    np.testing.assert_allclose(national["p_rate"], own["p_rate"], rtol=1e-12)
    np.testing.assert_allclose(own["p_rate"] / 100, bayes_shrink(t.p_n.to_numpy(float),
                               t.p_d.to_numpy(float)))  # fmt: skip
    assert national.attrs["reference"]["p"] == 5.0


def test_poisson_eb_matches_esda():
    esda_smoothing = pytest.importorskip("esda.smoothing")
    rng = np.random.default_rng(3)
    n = rng.integers(50, 5000, 40).astype(float)
    y = rng.poisson(n * rng.gamma(20, 0.001, 40)).astype(float)
    peer = esda_smoothing.Empirical_Bayes(y[:, None], n[:, None]).r[:, 0]
    np.testing.assert_allclose(eb_shrink(y, n, family="poisson"), peer, rtol=1e-10)


# -- sensitive indicators ------------------------------------------------------------------------


def test_country_of_origin_is_refused_as_a_criterion(table):
    t = table.assign(inv_n=[300] * 10, inv_d=[1000] * 10)
    origin = Indicator("innvandrere", "Innvandrere", "Immigrants", numerator="inv_n",
                       denominator="inv_d", domain="origin")  # fmt: skip
    with pytest.raises(InputError, match=r"'innvandrere' \(domain 'origin'\) describes "
                       r"country of origin.*Fix: set context_only = true"):  # fmt: skip
        score_areas(t, [*CAT, origin])
    context = Indicator("innvandrere", "Innvandrere", "Immigrants", numerator="inv_n",
                        denominator="inv_d", domain="origin", context_only=True)  # fmt: skip
    got = score_areas(t, [*CAT, context], shrink=None, min_pop=0).set_index("area_id")
    base = run(table, "below-average")
    np.testing.assert_allclose(got["index"], base["index"])
    assert (got["innvandrere_rate"] == 30.0).all()
    assert got["innvandrere_std"].isna().all()
    assert "innvandrere" not in got.attrs["report"].notes["indicators"]
    allowed = score_areas(t, [*CAT, origin], allow_sensitive=True, shrink=None, min_pop=0)
    assert (allowed["n_indicators"] == 5).all()


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "kw", "error", "message"),
    [
        (lambda t: t.rename(columns={"li_n": "li_num"}), {}, SchemaError,
         r"indicator 'li' needs column\(s\) li_n.*did you mean 'li_n' -> 'li_num'"),
        (lambda t: t.astype({"edu_n": object}).assign(edu_n=["7", "abc"] + ["1"] * 8), {},
         SchemaError, r"column 'edu_n', 1 row: b: values that are not numbers"),
        (lambda t: t.assign(li_n=[5000] + [1] * 9), {}, SchemaError,
         r"column 'li_n', 1 row: a: numerator larger than the denominator 'li_d'"),
        (lambda t: t.assign(crowd_d=[-1] + [1] * 9), {}, SchemaError,
         r"column 'crowd_d', 1 row: a: negative counts"),
        (lambda t: t.assign(area_id=["a"] * 10), {}, SchemaError, r"column 'area_id'.*duplicate"),
        (lambda t: t.drop(columns="area_id"), {}, SchemaError, r"no 'area_id' column.*--key"),
        (lambda t: t.assign(area_id=["a", None, *IDS[2:]]), {}, SchemaError,
         r"column 'area_id': 1 row: 2: empty area ids"),
        (lambda t: t, {"method": "imdd"}, InputError, r"unknown method 'imdd'; did you mean 'imd'"),
        (lambda t: t, {"threshold": 0.2}, InputError, r"no meaning for method 'below-average'"),
        (lambda t: t, {"k": 5}, InputError, r"k = 5 is outside 1..4"),
        (lambda t: t, {"method": "imd", "threshold": 2.0}, InputError, r"share in \(0, 1\]"),
        (lambda t: t, {"reference": {"lii": 3.0}}, InputError, r"'lii': did you mean 'li'"),
        (lambda t: t, {"pop": "folk"}, SchemaError, r"population column 'folk'"),
    ],
    ids=["missing-column", "not-a-number", "num-over-den", "negative", "duplicate-ids", "no-id",
         "empty-id", "unknown-method", "threshold-below-average", "k-too-big", "imd-threshold",
         "unknown-reference", "unknown-pop"],
)  # fmt: skip
def test_bad_input(table, change, kw, error, message):
    with pytest.raises(error, match=message):
        score_areas(change(table), CAT, **kw)


def test_text_numbers_and_ssb_markers_are_parsed(table):
    t = table.astype({"li_n": object, "li_d": object})
    t["li_n"] = ["50", "80", "1 20", ".", "90", "60", "150", "110", "70", "170"]
    t["li_d"] = ["1 000"] * 10
    got = run(t, "zscore")
    assert got["li_rate"].iloc[:3].tolist() == [5.0, 8.0, 12.0]
    assert np.isnan(got.loc["d", "li_rate"])
    assert got.loc["d", "n_indicators"] == 3


def test_default_catalogue_skips_indicators_without_columns():
    t = pd.DataFrame({"area_id": ["1", "2", "3"], "frafall_n": [5, 10, 20],
                      "frafall_d": [100, 100, 100]})  # fmt: skip
    got = score_areas(t, shrink=None)
    assert got.attrs["report"].notes["indicators"] == ["frafall"]
    assert len(got.attrs["report"].notes["skipped_indicators"]) == 9
    with pytest.raises(SchemaError, match="none of the catalogue's indicators"):
        score_areas(t.drop(columns=["frafall_n", "frafall_d"]))


# -- explanation --------------------------------------------------------------------------------


def test_explanations_in_bokmal_and_english():
    t = pd.DataFrame({"area_id": ["x", "y"], "li_n": [210, 0], "li_d": [1000, 1000],
                      "emp_n": [500, 900], "emp_d": [1000, 1000]})  # fmt: skip
    cat = [
        Indicator("li", "Lavinntekt (EU60)", "Low income", numerator="li_n", denominator="li_d",
                  domain="income"),
        Indicator("emp", "Sysselsatte", "Employed", numerator="emp_n", denominator="emp_d",
                  domain="work", direction="higher_is_better"),
    ]  # fmt: skip
    nb = score_areas(t, cat, shrink=None, reference={"li": 10.0, "emp": 70.0})
    # 21 % / 10 % = 2.1; 50 % / 70 % = 0.714…
    assert (
        nb["explanation"].iloc[0]
        == "lavinntekt (EU60) 2,1× referansen; sysselsatte 0,7× referansen"
    )
    assert nb["explanation"].iloc[1] == "ingen indikator verre enn snittet"
    en = explain(nb, cat, lang="en", reference_label="the national rate")
    assert en.iloc[0] == "low income 2.1× the national rate; employed 0.7× the national rate"


def test_norwegian_number_format():
    assert format_number(1234567.891, 2) == "1\u00a0234\u00a0567,89"
    assert format_number(0.5, 0, lang="en") == "0"
    assert format_number(float("nan")) == "–"


# -- comparison ----------------------------------------------------------------------------------


def test_compare_methods_spearman_matches_scipy(table):
    from scipy.stats import spearmanr

    comp = compare_methods(table, CAT, shrink=None, min_pop=0)
    assert list(comp.spearman.index) == METHODS
    for a in METHODS:
        for b in METHODS:
            rho = spearmanr(comp.scores[a]["index"], comp.scores[b]["index"]).statistic
            assert comp.spearman.loc[a, b] == pytest.approx(rho)
    assert {"imd_rank", "below_average_qualifies", "ssb_decile_decile"} <= set(comp.table.columns)
    q = comp.table.set_index("area_id")
    both = (q["imd_qualifies"] & q["zscore_qualifies"]).sum()
    either = (q["imd_qualifies"] | q["zscore_qualifies"]).sum()
    assert comp.overlap.loc["imd", "zscore"] == pytest.approx(both / either)


# -- command line ---------------------------------------------------------------------------------

CAT_TOML = "\n".join(
    f'[[indicator]]\nid = "{i}"\nlabel_nb = "{i}"\nlabel_en = "{i}"\nnumerator = "{i}_n"\n'
    f'denominator = "{i}_d"\ndomain = "{DOMAIN[i]}"\n'
    f'direction = "{"higher_is_worse" if SIGN[i] > 0 else "higher_is_better"}"\n'
    for i in COUNTS
)


def test_cli_score_and_compare(tmp_path, table, capsys):
    from geoloft.cli import main

    src = tmp_path / "tabell.csv"
    table.assign(area_id=[f"03{i:02d}" for i in range(10)]).to_csv(src, index=False, sep=";")
    cat = tmp_path / "cat.toml"
    cat.write_text(CAT_TOML, encoding="utf-8")
    out = tmp_path / "scores.csv"
    args = ["score", str(src), "-c", str(cat), "--method", "imd", "--min-pop", "0", "-o", str(out)]
    assert main(args) == 0
    got = pd.read_csv(out, dtype={"area_id": str})
    assert got["area_id"].tolist()[:2] == ["0300", "0301"]
    index, _ = expected_index("imd")  # shrinkage keeps the order: every denominator is 1,000
    assert got["rank"].tolist() == (-index).rank(method="min").astype(int).tolist()
    assert main(args) == 1  # refuses to overwrite
    assert "exists" in capsys.readouterr().err
    both = tmp_path / "compare.csv"
    assert main(["score", str(src), "-c", str(cat), "--compare", "-o", str(both)]) == 0
    assert "Spearman" in capsys.readouterr().out
    assert {"imd_rank", "rules_qualifies"} <= set(pd.read_csv(both).columns)
    assert main(["score", str(src), "-c", str(cat), "--method", "imdd", "-o", str(both)]) == 1
    assert "did you mean 'imd'" in capsys.readouterr().err
    gap = tmp_path / "gap.csv"
    table.assign(area_id=[f"03{i:02d}" for i in range(10)], li_n=[None, *COUNTS["li"][1:]]).to_csv(
        gap, index=False, sep=";"
    )
    cdc = tmp_path / "cdc.csv"
    base = ["score", str(gap), "-c", str(cat), "--method", "percentile", "--min-pop", "0"]
    assert main([*base, "--missing", "exclude", "-o", str(cdc)]) == 0
    assert pd.read_csv(cdc, dtype={"area_id": str})["rank"].isna().tolist() == [True] + [False] * 9


def test_cli_compare_counts_qualifying_areas_per_method(tmp_path, table, capsys):
    from geoloft.cli import main

    src = tmp_path / "tabell.csv"
    table.assign(area_id=[f"03{i:02d}" for i in range(10)]).to_csv(src, index=False, sep=";")
    cat = tmp_path / "cat.toml"
    cat.write_text(CAT_TOML, encoding="utf-8")
    both = tmp_path / "compare.csv"
    assert main(["score", str(src), "-c", str(cat), "--compare", "-o", str(both)]) == 0
    written = pd.read_csv(both)
    counts = {
        m.replace("-", "_"): int(written[f"{m.replace('-', '_')}_qualifies"].sum())
        for m in ("below-average", "ssb-decile", "percentile", "imd", "rules", "zscore")
    }
    assert len(set(counts.values())) > 1  # the methods disagree here, so one count will not do
    listing = ", ".join(f"{m} {n}" for m, n in counts.items())
    printed = " ".join(capsys.readouterr().out.split())
    assert f"10 areas scored by every method; qualify: {listing}." in printed


# -- real data: Oslo delbydeler 2017 -------------------------------------------------------------

OSLO_CAT = [
    # share of renters; population: households in the delbydel (Oslo kommune, 1.1.2017)
    Indicator("leie", "Leier bolig", "Renting", value="leier_alle", population="husholdninger",
              domain="housing"),
    # single-parent households of households with children 0-17
    Indicator("enslige_forsorgere", "Enslige forsørgere", "Single parents",
              numerator="enslige_n", denominator="enslige_d", domain="family"),
    Indicator("inntekt", "Snittinntekt", "Mean income", value="inntekt",
              population="husholdninger", unit="NOK", domain="income",
              direction="higher_is_better"),
]  # fmt: skip


def oslo_2017(base):
    """Tenure shares, household counts and mean income per delbydel, joined by id and name."""
    e = pd.read_csv(base / "eieform_delbydel_2015-2017.csv", sep=";", dtype=str)
    e = e[(e["aar"] == "2017") & e["delbydel_id"].notna()]
    h = pd.read_csv(base / "husholdninger_med_barn_delbydel_2008-2018.csv", sep=";", dtype=str)
    h = h[(h["År"] == "2017") & h["delbydelid"].notna()]
    kind = h["Husholdningstype"]
    n = pd.to_numeric(h["Antall husholdninger"])
    g = pd.DataFrame({"area_id": h["delbydelid"].str[-4:], "husholdninger": n,
                      "enslige_d": n.where(kind.str.contains("små barn|store barn"), 0),
                      "enslige_n": n.where(kind.str.startswith("Mor/far"), 0)})  # fmt: skip
    hh = g.groupby("area_id").sum()
    inc = pd.read_csv(base / "snittinntekt_delbydel.csv", sep=";")
    inc = inc.rename(columns={"Delbydel": "name", "Snittinntekt": "inntekt"})
    t = pd.DataFrame({"area_id": e["delbydel_id"], "name": e["delbydel_navn"],
                      "leier_alle": e["leier_alle"].astype(float)})  # fmt: skip
    t = t.merge(hh, left_on="area_id", right_index=True, how="left")
    return t.merge(inc, on="name", how="left").reset_index(drop=True)


@pytest.fixture(scope="module")
def oslo(realdata):
    return oslo_2017(realdata / "oslo-indicators")


def test_real_oslo_every_method(oslo):
    comp = compare_methods(oslo, OSLO_CAT, shrink=None)
    for method, s in comp.scores.items():
        assert len(s) == 98, method
        assert (s["status"] == "ok").all()
        by_name = s.set_index("name")
        assert by_name.loc[["Sentrum", "Marka"], "n_indicators"].tolist() == [2, 2]  # no income
    below = comp.scores["below-average"]
    hh = oslo["husholdninger"]
    ref_leie = (oslo["leier_alle"] * hh).sum() / hh.sum()
    assert below["leie_flag"].tolist() == (oslo["leier_alle"] > ref_leie).tolist()
    ref_single = oslo["enslige_n"].sum() / oslo["enslige_d"].sum()
    assert below.attrs["reference"]["enslige_forsorgere"] == pytest.approx(100 * ref_single)
    has = oslo["inntekt"].notna()
    ref_inc = (oslo["inntekt"] * hh)[has].sum() / hh[has].sum()
    assert below["inntekt_flag"][has].tolist() == (oslo["inntekt"][has] < ref_inc).tolist()
    rho = comp.spearman
    assert rho.loc["ssb-decile", "percentile"] > 0.9  # both rank the mean indicator rank
    assert (rho.to_numpy() > 0).all()


def test_real_oslo_table_read_with_read_indicators(realdata):
    from geoloft.indicators import read_indicators

    path = realdata / "oslo-indicators" / "eieform_delbydel_2015-2017.csv"
    with pytest.warns(UserWarning, match="empty key"):
        t = read_indicators(path, where={"aar": "2017"})
    cat = [Indicator("leie", "Leier bolig", "Renting", value="leier_alle", domain="housing")]
    got = score_areas(t, cat, method="below-average")  # no population: every area weighs the same
    assert len(got) == 98
    assert got["leie_flag"].tolist() == (t["leier_alle"] > t["leier_alle"].mean()).tolist()
    np.testing.assert_allclose(got["leie_rate"], t["leier_alle"])  # levels are never shrunk


# -- demo city ------------------------------------------------------------------------------------


def test_demo_city(repo):
    from geoloft.indicators import read_indicators

    path = repo / "data" / "indicators" / "demoby_levekar_delbydel.csv"
    t = read_indicators(path)
    comp = compare_methods(t)  # the default catalogue: its six demo indicators
    imd = comp.scores["imd"].set_index("area_id")
    # data/README.md: Containerhavna (0103) has fewer than 50 residents; living conditions
    # are worst in Østdalen (04), Søndre Strand (06) and Indre Øst (05), best in Vestre Åsen (02)
    assert imd.loc["0103", "status"] == "for få personer"
    assert imd["rank"].notna().sum() == 32
    top = imd.sort_values("rank").index[:6]
    assert all(a[:2] in ("04", "05", "06") for a in top)
    assert (imd.loc[imd.index.str[:2] == "02", "rank"] > 16).all()
    below = comp.scores["below-average"].set_index("area_id")
    big = t.set_index("area_id")["lavinntekt_d"] >= 1000  # not shrunk
    rate = t.set_index("area_id")["lavinntekt_n"] / t.set_index("area_id")["lavinntekt_d"]
    ref = t["lavinntekt_n"].sum() / t["lavinntekt_d"].sum()
    assert below.loc[big, "lavinntekt_flag"].tolist() == (rate[big] > ref).tolist()
    assert comp.spearman.loc["imd", "zscore"] > 0.9
