"""The index doctrines, vectorised over areas, indicators and replicates.

Every method turns a rate array of shape ``(B, n, m)`` (B replicates — 1 for
an ordinary run —, n areas, m scored indicators) and reference rates
``(B, m)`` into per-indicator standardised values and flags, domain scores
and an index where higher means more exposed. :func:`evaluate` then ranks,
assigns deciles and applies the method's qualification rule. Missing values
(NaN) count neither way: means are taken over the indicators present.

=================  ===========================================  =====================
method             index                                        qualifies
=================  ===========================================  =====================
``below-average``  weighted share of indicators worse than the  worse on ≥ k of n
                   reference
``rules``          weighted share of criteria met (rate ≥       ≥ k of n criteria and
                   t × reference; ≤ reference / t when higher   population ≥ floor
                   is better)
``ssb-decile``     mean decile score 1–10 (SSB)                 most exposed share
``percentile``     percentile rank of the summed percentile     most exposed share
                   ranks (CDC SVI)
``imd``            weighted sum of exponentially transformed    most exposed share
                   domain ranks, 0–100 (English IMD 2019)
``zscore``         weighted mean of z-scores about the          most exposed share
                   reference
=================  ===========================================  =====================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from geoloft.score import _standardise as st

__all__ = ["METHODS", "Evaluation", "Setup", "evaluate"]


@dataclass(frozen=True)
class Setup:
    """Everything constant across replicates.

    ``weight`` is ``(m,)`` or ``(B, m)`` (one weight vector per replicate, for
    the weight sensitivity report); ``ratio`` is the rules threshold per
    indicator; ``k`` the qualification count of n = m indicators; ``top`` the
    most exposed share that qualifies under index methods.
    """

    method: str
    sign: np.ndarray
    weight: np.ndarray
    onehot: np.ndarray
    active: np.ndarray
    pop: np.ndarray
    ratio: np.ndarray
    k: int
    top: float
    qualify_min_pop: float
    ref_weight: np.ndarray | None = None  # (n, m) weights of the reference and the z-score SD
    domain_weight: np.ndarray | None = None  # (D,) IMD domain weights; None: sums of weights
    z_flag: float = 1.0

    @property
    def w(self) -> np.ndarray:
        """Weights broadcastable against ``(B, n, m)``."""
        return self.weight if self.weight.ndim == 1 else self.weight[:, None, :]


@dataclass(frozen=True)
class Evaluation:
    """Result arrays of :func:`evaluate`; leading axis B (replicates)."""

    std: np.ndarray  # (B, n, m) standardised values, NaN where missing
    flag: np.ndarray  # (B, n, m) 1.0 / 0.0, NaN where missing
    domain: np.ndarray  # (B, n, D) domain scores
    index: np.ndarray  # (B, n) NaN for unscored areas
    rank: np.ndarray  # (B, n) 1 = most exposed
    decile: np.ndarray  # (B, n) 10 = most exposed
    qualifies: np.ndarray  # (B, n) bool
    n_flags: np.ndarray  # (B, n)


Core = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _oriented(rates: np.ndarray, s: Setup) -> np.ndarray:
    return rates * s.sign


def _ratio(rates: np.ndarray, ref: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return rates / ref[:, None, :]


def _flag(cond: np.ndarray, rates: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(rates), np.nan, cond.astype(float))


def _share_method(std: np.ndarray, flag: np.ndarray, s: Setup) -> Core:
    domain = st.domain_means(flag, s.w, s.onehot)
    return std, flag, domain, st.weighted_mean(flag, s.w)


def below_average(rates: np.ndarray, ref: np.ndarray, s: Setup) -> Core:
    """Flag indicators worse than the reference; index = weighted share flagged."""
    worse = np.round((rates - ref[:, None, :]) * s.sign, st.DECIMALS) > 0
    return _share_method(_ratio(rates, ref), _flag(worse, rates), s)


def rules(rates: np.ndarray, ref: np.ndarray, s: Setup) -> Core:
    """Flag rates beyond ``ratio`` × reference (÷ when higher is better)."""
    ratio = _ratio(rates, ref)
    with np.errstate(invalid="ignore"):
        met = np.where(s.sign > 0, ratio >= s.ratio - st.EPS, ratio <= 1.0 / s.ratio + st.EPS)
    return _share_method(ratio, _flag(met, rates), s)


def ssb_decile(rates: np.ndarray, ref: np.ndarray, s: Setup) -> Core:
    """Decile score 1–10 per indicator; index = weighted mean score."""
    del ref  # deciles are relative to the areas, not to a reference
    std = st.deciles(_oriented(rates, s))
    flag = _flag(std >= 10.0, std)
    return std, flag, st.domain_means(std, s.w, s.onehot), st.weighted_mean(std, s.w)


def percentile(rates: np.ndarray, ref: np.ndarray, s: Setup) -> Core:
    """Percentile ranks summed within domains and overall (CDC SVI)."""
    del ref
    std = st.percent_rank(_oriented(rates, s))
    flag = _flag(std >= 0.9 - st.EPS, std)
    domain = st.percent_rank(st.domain_means(std, s.w, s.onehot))
    overall = st.percent_rank(st.weighted_mean(std, s.w)[..., None])[..., 0]
    return std, flag, domain, overall


def imd(rates: np.ndarray, ref: np.ndarray, s: Setup) -> Core:
    """Combine normal scores within domains, transform domain ranks, sum them weighted."""
    del ref
    std = st.normal_scores(_oriented(rates, s))
    flag = _flag(st.position(std) > 0.9 + st.EPS, std)
    domain = st.imd_transform(st.position(st.domain_means(std, s.w, s.onehot)))
    if s.domain_weight is not None:
        dw = s.domain_weight
    else:
        dw = np.broadcast_to(s.w, (*std.shape[:1], 1, *std.shape[2:])) @ s.onehot
    return std, flag, domain, st.weighted_mean(domain, dw)


def zscore(rates: np.ndarray, ref: np.ndarray, s: Setup) -> Core:
    """Signed z-scores about the reference; index = weighted mean.

    The SD is the population-weighted SD of the areas' rates about their
    population-weighted mean (the weights of the reference), so with the
    table's own pooled reference the population-weighted mean of each
    indicator's z-scores is 0 and their weighted SD 1.
    """
    w = np.ones(rates.shape[1:]) if s.ref_weight is None else s.ref_weight
    w = np.where(np.isnan(rates) | np.isnan(w), 0.0, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.sum(w, axis=1, keepdims=True)
        mean = np.sum(w * np.nan_to_num(rates), axis=1, keepdims=True) / total
        sd = np.sqrt(np.sum(w * np.nan_to_num(rates - mean) ** 2, axis=1, keepdims=True) / total)
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.where(sd > 0, (rates - ref[:, None, :]) / sd, 0.0) * s.sign
    std = np.where(np.isnan(rates), np.nan, std)
    flag = _flag(std >= s.z_flag, std)
    return std, flag, st.domain_means(std, s.w, s.onehot), st.weighted_mean(std, s.w)


METHODS: dict[str, Callable[[np.ndarray, np.ndarray, Setup], Core]] = {
    "below-average": below_average,
    "ssb-decile": ssb_decile,
    "percentile": percentile,
    "imd": imd,
    "rules": rules,
    "zscore": zscore,
}
#: Methods whose rule is "k of n" rather than "the most exposed share".
COUNT_METHODS = frozenset({"below-average", "rules"})


def evaluate(rates: np.ndarray, ref: np.ndarray, s: Setup) -> Evaluation:
    """Score, rank and qualify areas for every replicate.

    Parameters
    ----------
    rates
        ``(B, n, m)`` rates (proportions or levels) of the scored indicators.
    ref
        ``(B, m)`` reference rates.
    s
        The method and its constants; rows with ``s.active`` False are not
        scored (index NaN, not ranked, never qualify).

    Returns
    -------
    Evaluation

    Notes
    -----
    Tie rule: an area's rank is 1 + the number of areas strictly more
    exposed, so tied areas share the best rank of their group, and its
    decile (``10 - floor(10 (rank - 1) / n)``) and its top-share status
    (``rank - 1 < share · n``) follow from that rank: ties always get the
    same decile and the same status, and a tied group at the boundary is
    taken whole (more areas than the share may qualify).
    """
    rates = np.where(s.active[None, :, None], rates, np.nan)
    std, flag, domain, index = METHODS[s.method](rates, ref, s)
    index = np.where(s.active, index, np.nan)
    rank = rankdata(-np.round(index, st.DECIMALS), axis=-1, method="min", nan_policy="omit")
    n_scored = np.sum(~np.isnan(index), axis=-1, keepdims=True)
    decile = st.decile_of_rank(rank, n_scored)
    n_avail = np.sum(~np.isnan(flag), axis=-1)
    n_flags = np.where(np.isnan(index), np.nan, np.nansum(flag, axis=-1))
    if s.method in COUNT_METHODS:
        m = rates.shape[-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            qualifies = n_flags / n_avail >= s.k / m - st.EPS
    else:  # ties share a rank, so they share the status
        qualifies = rank - 1.0 < s.top * n_scored - st.EPS
    qualifies &= ~np.isnan(index) & ~(s.pop < s.qualify_min_pop)
    return Evaluation(std, flag, domain, index, rank, decile, qualifies, n_flags)
