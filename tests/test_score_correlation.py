"""How strongly an area's indicators go together: learnt where the data tell, averaged where not.

The posterior draws of the score bootstrap couple an area's indicators by a
prior correlation. :func:`geoloft.score.posterior.posterior_model` weighs
candidate correlations (the pairwise estimate, and a common correlation of the
indicators oriented toward "worse") by their likelihood, at each level of the
between-area spread. Data are made here with a known correlation, so the
weights can be checked against it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, logit

from geoloft.score.posterior import RHO_GRID, posterior_model

BASE = np.array([0.08, 0.15, 0.25, 0.05])


def _counts(rho: float, spread: float, size: tuple[int, int], areas: int, seed: int = 0):
    """Observed rates and denominators of areas whose true logits have correlation ``rho``."""
    rng = np.random.default_rng(seed)
    pop = np.exp(rng.uniform(np.log(size[0]), np.log(size[1]), areas)).round()
    z = np.sqrt(rho) * rng.standard_normal((areas, 1)) + np.sqrt(1 - rho) * rng.standard_normal(
        (areas, BASE.size)
    )
    truth = expit(logit(BASE) + spread * z)
    den = np.tile(pop[:, None], (1, BASE.size))
    num = rng.binomial(den.astype(np.int64), truth).astype(float)
    prior = num.sum(axis=0) / den.sum(axis=0)
    return num / den, den, prior


def _mean_correlation(model) -> np.ndarray:
    """``(Q, K)`` mean off-diagonal correlation of each candidate at each level."""
    m = model.corr.shape[-1]
    off = ~np.eye(m, dtype=bool)
    return model.corr[..., off].mean(axis=-1)


@pytest.mark.parametrize("rho", [0.0, 0.8])
def test_informative_data_put_the_weight_on_the_true_correlation(rho):
    """Very unequal areas of thousands of persons: the correlation is plain to see."""
    raw, den, prior = _counts(rho, spread=0.7, size=(2_000, 20_000), areas=300)
    model = posterior_model(raw, den, prior)
    assert model.mix.sum() == pytest.approx(1.0)
    near = np.abs(_mean_correlation(model) - rho) <= 0.15
    assert model.mix[near].sum() > 0.9, (_mean_correlation(model), model.mix)


def test_uninformative_data_keep_the_correlation_open():
    """Areas that differ by tenths of a point, 30-300 persons: no correlation can be told.

    The draws must then mix weak and strong coupling instead of settling on one
    (the earlier estimate shrank to 0, and the rank intervals of the largest of
    these areas covered the true rank only 0.85 of the time).
    """
    raw, den, prior = _counts(0.6, spread=0.02, size=(30, 300), areas=100)
    model = posterior_model(raw, den, prior)
    rho = _mean_correlation(model)
    common = model.mix[:, 1:].sum(axis=0) / model.mix[:, 1:].sum()  # over levels
    ratio = common * RHO_GRID.size
    assert np.all((ratio > 0.5) & (ratio < 2.0)), ratio  # the data hardly move the prior
    assert model.mix[rho >= 0.45].sum() > 0.25, (rho, model.mix)
    assert model.mix[rho <= 0.45].sum() > 0.25, (rho, model.mix)
    assert model.mix.shape[1] == RHO_GRID.size + 1
    assert np.all(model.mix[:, 1:] > 0)  # none ruled out


def test_the_common_correlation_follows_each_indicators_direction():
    """An indicator where higher is better goes against the others in raw rates."""
    raw, den, prior = _counts(0.8, spread=0.7, size=(2_000, 20_000), areas=300)
    flipped = raw.copy()
    flipped[:, 1] = 1.0 - raw[:, 1]  # a share "without" the trait: higher is better
    sign = np.array([1.0, -1.0, 1.0, 1.0])
    model = posterior_model(flipped, den, np.where(sign < 0, 1.0 - prior, prior), sign)
    weighted = np.einsum("qk,qkij->ij", model.mix, model.corr)
    assert weighted[0, 1] < -0.6  # against the others
    assert weighted[1, 2] < -0.6
    assert weighted[0, 2] > 0.6  # the others together
