"""Uncertainty of scores: posterior draws of the true rates, and weight sensitivity.

Each replicate draws every area's *true* rate from its posterior under the
model of :mod:`geoloft.score.posterior` (all areas and indicators at once as
arrays; a loop runs only over groups and chunks of replicates),
then scores the draw exactly as the observed data: reference, method, ranks
and the qualification rule. The rank interval is then an interval for the
area's true rank, and ``p_qualifies`` the probability that the area
qualifies on its true rates. Per indicator:

* **posterior** for shares of a population: the uncertainty of the prior is
  kept — each replicate first draws a level of the between-area standard
  deviation from its posterior (:func:`~geoloft.score.shrinkage.sd_posterior`)
  and a correlation between the indicators, then the areas' rates from their
  logit-normal-binomial posteriors;
* **fixed** for levels without a population (mean income): not resampled.

``scripts/calibrate_uncertainty.py`` checks the coverage of the intervals and
the calibration of the probabilities by simulation with known true rates.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from geoloft.columns import AREA_ID, QUALIFIES, RANK
from geoloft.score._core import Run, run, start
from geoloft.score._options import Options
from geoloft.score._prepare import CatalogueLike, Prepared, pooled
from geoloft.score.methods import evaluate
from geoloft.score.posterior import iter_draws, posterior_draws, posterior_model
from geoloft.score.shrinkage import eb_variance

__all__ = ["BootstrapResult", "bootstrap_scores", "resample_rates", "weight_sensitivity"]

_CELLS_PER_CHUNK = 4_000_000


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Replicates of a score run, for stability and uncertainty.

    Attributes
    ----------
    area_id
        Area ids, in the row order of the scored table.
    rank, decile
        ``(areas, replicates)`` float arrays; NaN for areas not scored.
    qualify
        ``(areas, replicates)`` bool: whether the area qualifies in each
        replicate. ``qualify.mean(axis=1)`` is the stability the delineation
        stage reports.
    summary
        Per area (aligned to the table): ``rank_lo`` and ``rank_hi`` (the
        ``level`` rank interval), ``p_worst_decile`` and ``p_qualifies``.
    families
        Indicator id -> ``"posterior"`` (true rates drawn from their posterior)
        or ``"fixed"`` (levels without a population, not resampled).
    seed, level
        The seed of :func:`numpy.random.default_rng` and the interval level.
    """

    area_id: np.ndarray
    rank: np.ndarray
    decile: np.ndarray
    qualify: np.ndarray
    summary: pd.DataFrame
    families: dict[str, str]
    seed: int
    level: float

    @property
    def n_boot(self) -> int:
        """Number of replicates."""
        return int(self.qualify.shape[1])

    def stability(self) -> pd.Series:
        """Share of replicates in which each area qualifies, indexed by area id."""
        return pd.Series(
            self.qualify.mean(axis=1), index=pd.Index(self.area_id, name=AREA_ID), name="stability"
        )


def resample_rates(
    numerator: np.ndarray,
    denominator: np.ndarray,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    family: str = "binomial",
    prior: float | None = None,
) -> np.ndarray:
    """Draw bootstrap replicates of rates from counts.

    Parameters
    ----------
    numerator, denominator
        Counts per area (1-D); denominators are rounded to whole persons.
    n_boot
        Number of replicates.
    seed
        Seed of :func:`numpy.random.default_rng`.
    family
        ``"binomial"`` (``y* ~ Bin(n, y/n)``: new data given the estimates),
        ``"beta-binomial"`` (posterior ``Beta(α + y, β + n - y)`` of the
        method-of-moments beta prior) or ``"posterior"`` (true rates drawn as
        the score bootstrap does: prior spread and mean uncertain).
    prior
        Prior mean of the beta-binomial models; ``None`` is the pooled rate.

    Returns
    -------
    numpy.ndarray
        ``(n_boot, areas)`` replicate rates (proportions); NaN where a count is missing.

    Examples
    --------
    >>> r = resample_rates(np.array([40.0]), np.array([400.0]), n_boot=20000)
    >>> round(float(r.std()), 3)  # sqrt(0.1 * 0.9 / 400) = 0.015
    0.015
    """
    num = np.asarray(numerator, dtype=float)[:, None]
    den = np.asarray(denominator, dtype=float)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(den > 0, num / den, np.nan)
    ref = pooled(raw, den) if prior is None else np.array([float(prior)])
    rng = np.random.default_rng(seed)
    if family == "posterior":
        return posterior_draws(rng, posterior_model(raw, den, ref), n_boot)[..., 0]
    beta = np.array([family == "beta-binomial"])
    out = _draw(rng, raw, den, ref, beta, n_boot)
    return out[..., 0]


def _draw(
    rng: np.random.Generator,
    raw: np.ndarray,
    den: np.ndarray,
    ref: np.ndarray,
    beta: np.ndarray,
    size: int,
) -> np.ndarray:
    """``(size, n, m)`` replicate rates of rate columns; binomial or posterior beta."""
    missing = np.isnan(raw) | np.isnan(den)
    n_int = np.where(missing, 0, np.rint(np.nan_to_num(den))).astype(np.int64)
    p = np.clip(np.where(missing, 0.0, raw), 0.0, 1.0)
    out = np.empty((size, *raw.shape))
    bi, be = np.flatnonzero(~beta), np.flatnonzero(beta)
    if bi.size:
        draws = rng.binomial(n_int[:, bi], p[:, bi], size=(size, raw.shape[0], bi.size))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[..., bi] = draws / n_int[:, bi]
    if be.size:
        y, n = p * n_int, n_int.astype(float)
        a = eb_variance(y[:, be], n[:, be], ref[be])
        b = ref[be]
        with np.errstate(invalid="ignore", divide="ignore"):
            strength = np.where(a > 0, b * (1 - b) / a - 1.0, 1e12)
        strength = np.clip(np.nan_to_num(strength, nan=1e12), 1e-6, 1e12)
        alpha = np.where(missing[:, be], 1.0, b * strength + y[:, be])
        bet = np.where(missing[:, be], 1.0, (1 - b) * strength + n[:, be] - y[:, be])
        out[..., be] = rng.beta(
            np.maximum(alpha, 1e-9), np.maximum(bet, 1e-9), size=(size, raw.shape[0], be.size)
        )
    return np.where(missing, np.nan, out)


def _families(prep: Prepared) -> dict[str, str]:
    has_den = ~np.all(np.isnan(prep.den), axis=0)
    return {
        ind.id: "posterior" if prep.is_rate[j] and has_den[j] else "fixed"
        for j, ind in enumerate(prep.catalogue)
    }


def replicate(
    prep: Prepared, opts: Options, r: Run, n_boot: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, str]]:
    """Ranks, deciles and qualification ``(B, n)`` of ``n_boot`` replicates."""
    del opts  # the replicates are draws of the true rates: no shrinkage, same setup
    fam = _families(prep)
    sc = prep.scored
    cols = np.array([fam[i.id] == "posterior" for i in prep.catalogue]) & sc
    raw, den = prep.raw[:, cols], prep.den[:, cols]
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = ~np.isnan(raw) & ~np.isnan(den)
        prior = np.sum(np.where(ok, raw * den, 0), axis=0) / np.sum(np.where(ok, den, 0), axis=0)
    rng = np.random.default_rng(seed)
    n, ms = prep.raw.shape[0], int(sc.sum())
    chunk = max(1, min(n_boot, _CELLS_PER_CHUNK // max(1, n * ms)))
    redo = ~prep.ref_given & cols
    sign = np.array([float(i.sign) for i in prep.catalogue])[cols]
    model = posterior_model(raw, den, prior, sign) if cols.any() else None
    rank = np.full((n_boot, n), np.nan)
    decile, qual = rank.copy(), np.zeros((n_boot, n), dtype=bool)
    draws: Iterator[tuple[np.ndarray, np.ndarray | None]]
    if model is None:
        starts = range(0, n_boot, chunk)
        draws = ((np.arange(a, min(a + chunk, n_boot)), None) for a in starts)
    else:
        draws = iter_draws(rng, model, n_boot, chunk)
    for rows, drawn in draws:
        rates = np.broadcast_to(r.rates, (rows.size, *r.rates.shape)).copy()
        if drawn is not None:
            rates[..., cols] = drawn
        ref = np.broadcast_to(prep.ref, (rows.size, prep.ref.size)).copy()
        ref[:, redo] = pooled(rates[..., redo], prep.weight[:, redo])
        ev = evaluate(rates[..., sc], ref[:, sc], r.setup)
        rank[rows], decile[rows], qual[rows] = ev.rank, ev.decile, ev.qualifies
    return rank, decile, qual, fam


def bootstrap_from(
    prep: Prepared, opts: Options, r: Run, *, n_boot: int, seed: int, level: float = 0.9
) -> BootstrapResult:
    """Bootstrap a prepared run (see :func:`bootstrap_scores`)."""
    if n_boot < 1 or not 0 < level < 1:
        raise ValueError(f"need n_boot >= 1 and 0 < level < 1, got {n_boot}, {level}")
    rank, decile, qual, fam = replicate(prep, opts, r, n_boot, seed)
    rank, decile, qual = rank.T, decile.T, qual.T
    act = r.active
    lo = np.full(rank.shape[0], np.nan)
    hi = lo.copy()
    tail = (1.0 - level) / 2.0
    if act.any():
        lo[act] = np.nanquantile(rank[act], tail, axis=1, method="inverted_cdf")
        hi[act] = np.nanquantile(rank[act], 1 - tail, axis=1, method="inverted_cdf")
    summary = pd.DataFrame(
        {
            "rank_lo": pd.array(lo).astype("Int64") if act.any() else lo,
            "rank_hi": pd.array(hi).astype("Int64") if act.any() else hi,
            "p_worst_decile": np.where(act, (decile >= 10).mean(axis=1), np.nan),
            "p_qualifies": np.where(act, qual.mean(axis=1), np.nan),
        },
        index=prep.index,
    )
    return BootstrapResult(prep.area_id, rank, decile, qual, summary, fam, seed, level)


def bootstrap_scores(
    table: pd.DataFrame,
    catalogue: CatalogueLike = None,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.9,
    **kwargs: Any,
) -> BootstrapResult:
    """Parametric bootstrap of a score run.

    Parameters
    ----------
    table, catalogue
        As for :func:`geoloft.score.score_areas`.
    n_boot
        Number of replicates.
    seed
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same result.
    level
        Level of the rank interval (0.9: from the 5th to the 95th percentile).
    **kwargs
        The keyword options of :func:`geoloft.score.score_areas` (``method``,
        ``reference``, ``k``, ``threshold``, …).

    Returns
    -------
    BootstrapResult
        ``.qualify`` is the ``(areas, replicates)`` boolean matrix of
        qualification; ``.summary`` the per-area interval and probabilities.

    Examples
    --------
    >>> t = pd.DataFrame({"area_id": ["a", "b"], "x_n": [10, 50], "x_d": [100, 100]})
    >>> from geoloft.indicators import Indicator
    >>> cat = [Indicator("x", "X", "X", numerator="x_n", denominator="x_d", domain="d")]
    >>> b = bootstrap_scores(t, cat, n_boot=200, seed=1, method="zscore", threshold=0.5)
    >>> b.qualify.shape, b.stability().round(2).tolist()
    ((2, 200), [0.0, 1.0])
    """
    prep, opts = start(table, catalogue, **kwargs)
    return bootstrap_from(prep, opts, run(prep, opts), n_boot=n_boot, seed=seed, level=level)


def weight_sensitivity(
    table: pd.DataFrame,
    catalogue: CatalogueLike = None,
    *,
    factors: Sequence[float] = (0.5, 2.0),
    **kwargs: Any,
) -> pd.DataFrame:
    """How much each area's rank moves when one weight at a time is changed.

    Every scored indicator's weight is multiplied by each of ``factors`` (the
    others kept), all variants scored at once.

    Parameters
    ----------
    table, catalogue
        As for :func:`geoloft.score.score_areas`.
    factors
        Multipliers applied to one weight at a time.
    **kwargs
        The keyword options of :func:`geoloft.score.score_areas`.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``table``: ``area_id``, ``rank`` (with the catalogue's
        weights), ``rank_min``, ``rank_max``, ``rank_range``, ``qualifies``,
        ``qualifies_changes`` (variants in which qualification flips) and
        ``most_sensitive`` (the change that moves the rank most, such as
        ``"lavinntekt ×2"``).

    Examples
    --------
    >>> t = pd.DataFrame({"area_id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0],
    ...                   "y": [3.0, 1.0, 2.0]})
    >>> from geoloft.indicators import Indicator
    >>> cat = [Indicator(c, c, c, value=c, unit="score", domain=c) for c in "xy"]
    >>> weight_sensitivity(t, cat, method="zscore")["rank_range"].tolist()
    [1, 1, 0]
    """
    prep, opts = start(table, catalogue, **kwargs)
    r = run(prep, opts)
    base = r.setup.weight
    ids = prep.scored_catalogue.ids
    variants = [(j, f) for j in range(base.size) for f in factors]
    w = np.array([base * np.where(np.arange(base.size) == j, f, 1.0) for j, f in variants])
    sc = prep.scored
    size = len(variants)
    ev = evaluate(
        np.broadcast_to(r.rates[:, sc], (size, *r.rates[:, sc].shape)),
        np.broadcast_to(prep.ref[sc], (size, int(sc.sum()))),
        replace(r.setup, weight=w),
    )
    rank0, ranks = r.ev.rank[0], ev.rank
    act = r.active
    both = np.vstack([rank0[None], ranks])
    lo, hi = np.full(rank0.shape, np.nan), np.full(rank0.shape, np.nan)
    lo[act], hi[act] = both[:, act].min(axis=0), both[:, act].max(axis=0)
    moved = np.abs(np.nan_to_num(ranks - rank0))
    worst = moved.argmax(axis=0)
    label = np.array([f"{ids[j]} ×{f:g}" for j, f in variants], dtype=object)
    out = pd.DataFrame(
        {
            AREA_ID: prep.area_id,
            RANK: pd.array(rank0).astype("Int64"),
            "rank_min": pd.array(lo).astype("Int64"),
            "rank_max": pd.array(hi).astype("Int64"),
            "rank_range": pd.array(hi - lo).astype("Int64"),
            QUALIFIES: r.ev.qualifies[0],
            "qualifies_changes": (ev.qualifies != r.ev.qualifies[0]).sum(axis=0),
            "most_sensitive": np.where(moved.max(axis=0) > 0, label[worst], None),
        },
        index=prep.index,
    )
    return out
