"""Score methods treat every bootstrap replicate alone: B replicates at once equal B runs of one.

``geoloft.score.methods.evaluate`` scores an array of replicates ``(B, n, m)``
in one pass (the bootstrap). Each replicate must be scored as if it were the
only one: a sum or a count over the wrong axis, or a lost axis, mixes
replicates, which a single replicate (B = 1) cannot show.
"""

from __future__ import annotations

import numpy as np
import pytest

from geoloft.score.methods import METHODS, Setup, evaluate


def setup(method: str, n: int, m: int, *, ref_weight: bool) -> Setup:
    rng = np.random.default_rng(4)
    return Setup(
        method=method,
        sign=np.array([1.0, -1.0, 1.0])[:m],
        weight=np.array([1.0, 2.0, 1.0])[:m],
        onehot=np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])[:m],
        active=np.r_[np.ones(n - 1, bool), False],  # the last area is not scored
        pop=rng.uniform(50, 5000, n),
        ratio=np.full(m, 1.2),
        k=2,
        top=0.3,
        qualify_min_pop=100.0,
        ref_weight=rng.uniform(100, 2000, (n, m)) if ref_weight else None,
    )


@pytest.mark.parametrize("ref_weight", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("method", sorted(METHODS))
def test_replicates_are_scored_independently(method: str, ref_weight: bool) -> None:
    n, m, b = 23, 3, 4
    rng = np.random.default_rng(9)
    rates = rng.gamma(2.0, 0.05, (b, n, m))
    rates[1, 3, 0] = np.nan  # a missing value in one replicate only
    ref = rates.mean(axis=1) * rng.uniform(0.9, 1.1, (b, m))
    s = setup(method, n, m, ref_weight=ref_weight)
    together = evaluate(rates, ref, s)
    for i in range(b):
        alone = evaluate(rates[i : i + 1], ref[i : i + 1], s)
        for field in ("std", "flag", "domain", "index", "rank", "decile", "qualifies", "n_flags"):
            np.testing.assert_allclose(
                np.asarray(getattr(together, field)[i], dtype=float),
                np.asarray(getattr(alone, field)[0], dtype=float),
                equal_nan=True,
                err_msg=f"{method}: {field} of replicate {i}",
            )
    assert not together.qualifies[:, -1].any()  # the inactive area never qualifies
