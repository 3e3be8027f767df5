"""Check by simulation that geoloft's rank intervals and probabilities are honest.

Areas get *known* true rates, counts are drawn from them, and
:func:`geoloft.score_areas` (with its bootstrap) sees only the counts. The
truth is scored the same way from the true rates (population-weighted
reference, no shrinkage). Then:

* **coverage**: how often the 90 % rank interval (``rank_lo``–``rank_hi``)
  holds the true rank, overall and by tercile of area size;
* **calibration**: areas binned by ``p_qualifies`` (and ``p_worst_decile``);
  in each bin the mean prediction against the share that truly qualifies
  (is truly in the worst decile).

Regimes cross the spread of the true rates (``homogeneous``: SD of the logit
0.02, areas differ by a few tenths of a percentage point; ``moderate``: 0.25;
``unequal``: 0.7) with area sizes (``small``: 30–300 persons, ``mixed``:
50–10,000, ``large``: 1,000–20,000, log-uniform). Four indicators with base
rates of 5–25 % share a latent deprivation factor (correlation 0.6, or
``--correlation``). True rates are logit-normal, as in the bootstrap's model,
but the model knows neither the spread nor the correlation: it has to learn
them from the counts of one city.

Targets: coverage >= 0.88 in every regime and tercile; calibration within
±0.05 in every bin with enough areas, that is where the gap is known to ±0.02
(``--max-se``): a gap of 0.05 is then 2.5 standard errors, not noise. The
standard error of a bin's gap is the larger of the binomial one (areas as
independent trials) and the cluster-robust one with each simulated city as a
cluster: the areas of one city share its estimated spread and correlation, so
their predictions err together. Bins are checked per regime and over all
regimes of a method pooled.

Fewer cities than the default 100 are for quick looks only: for the earlier
beta model, the largest gap of ``below-average`` homogeneous / small was 0.052
with 30 cities per regime and 0.112 with 100.

Usage::

    python scripts/calibrate_uncertainty.py [--datasets 100] [--areas 100] [--boot 200]
        [--methods below-average,zscore] [--seed 1] [--max-se 0.02] [--correlation 0.6]

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from geoloft.indicators import Indicator
from geoloft.score import score_areas

SPREADS = {"homogeneous": 0.02, "moderate": 0.25, "unequal": 0.7}
SIZES = {"small": (30, 300), "mixed": (50, 10_000), "large": (1_000, 20_000)}
BASE = np.array([0.08, 0.15, 0.25, 0.05])
AT_RISK = np.array([1.0, 0.6, 0.8, 0.3])  # share of residents in each denominator
CORRELATION = 0.6
LEVEL = 0.9
COVERAGE_TARGET = 0.88
CALIBRATION_TOLERANCE = 0.05
BINS = np.linspace(0.0, 1.0, 11)
CATALOGUE = [
    Indicator(f"i{j}", f"I{j}", f"I{j}", numerator=f"i{j}_n", denominator=f"i{j}_d", domain=f"d{j}")
    for j in range(len(BASE))
]


@dataclass(frozen=True)
class Outcome:
    """Per simulated area: its size, interval, probabilities and the truth."""

    frame: pd.DataFrame  # columns size, covered, p_qualifies, qualifies, p_worst, worst


def simulate_table(
    rng: np.random.Generator,
    n_areas: int,
    spread: float,
    sizes: tuple[int, int],
    correlation: float = CORRELATION,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One city: the observed count table and the table of true rates (as huge counts)."""
    pop = np.exp(rng.uniform(np.log(sizes[0]), np.log(sizes[1]), n_areas)).round()
    latent = rng.standard_normal(n_areas)[:, None]
    own = rng.standard_normal((n_areas, len(BASE)))
    z = np.sqrt(correlation) * latent + np.sqrt(1 - correlation) * own  # corr = correlation
    truth = expit(logit(BASE) + spread * z)  # (areas, indicators)
    den = np.maximum(np.round(pop[:, None] * AT_RISK), 1.0)
    num = rng.binomial(den.astype(np.int64), truth).astype(float)
    ids = [f"{i:04d}" for i in range(n_areas)]
    observed = pd.DataFrame({"area_id": ids, "pop_tot": pop})
    exact = observed.copy()
    for j in range(len(BASE)):
        observed[f"i{j}_n"], observed[f"i{j}_d"] = num[:, j], den[:, j]
        # the truth as counts on a million times the persons: rate = truth, same weights
        exact[f"i{j}_d"] = den[:, j] * 1e6
        exact[f"i{j}_n"] = truth[:, j] * exact[f"i{j}_d"]
    return observed, exact


def run_one(
    rng: np.random.Generator, method: str, n_areas: int, spread: float, sizes: tuple[int, int],
    n_boot: int, correlation: float = CORRELATION,
) -> pd.DataFrame:  # fmt: skip
    """Simulate one city, score it with the bootstrap and compare with the truth."""
    observed, exact = simulate_table(rng, n_areas, spread, sizes, correlation)
    seed = int(rng.integers(2**31))
    options = {"method": method, "min_pop": 0}
    got = score_areas(observed, CATALOGUE, n_boot=n_boot, seed=seed, **options)
    true = score_areas(exact, CATALOGUE, shrink=False, **options)
    rank = true["rank"].astype(float).to_numpy()
    return pd.DataFrame(
        {
            "size": observed["pop_tot"].to_numpy(),
            "covered": (got["rank_lo"].astype(float) <= rank)
            & (rank <= got["rank_hi"].astype(float)),
            "width": (got["rank_hi"] - got["rank_lo"]).astype(float) / n_areas,
            "p_qualifies": got["p_qualifies"].to_numpy(),
            "qualifies": true["qualifies"].to_numpy(dtype=bool),
            "p_worst": got["p_worst_decile"].to_numpy(),
            "worst": (true["decile"] == 10).to_numpy(dtype=bool),
        }
    )


def simulate(
    method: str,
    spread: str,
    size: str,
    *,
    datasets: int = 100,
    areas: int = 100,
    n_boot: int = 200,
    seed: int = 1,
    correlation: float = CORRELATION,
) -> pd.DataFrame:
    """All areas of ``datasets`` simulated cities of one regime, with a size tercile column."""
    rng = np.random.default_rng([seed, list(SPREADS).index(spread), list(SIZES).index(size)])
    frames = [
        run_one(rng, method, areas, SPREADS[spread], SIZES[size], n_boot, correlation).assign(
            city=k
        )
        for k in range(datasets)
    ]
    out = pd.concat(frames, ignore_index=True)
    out["tercile"] = pd.qcut(out["size"].rank(method="first"), 3, labels=["1", "2", "3"])
    return out


def coverage(frame: pd.DataFrame) -> dict[str, float]:
    """Coverage of the rank interval overall and per size tercile (1 = smallest)."""
    per = frame.groupby("tercile", observed=True)["covered"].mean()
    return {"all": float(frame["covered"].mean()), **{f"t{k}": float(v) for k, v in per.items()}}


def calibration(frame: pd.DataFrame, predicted: str, observed: str) -> pd.DataFrame:
    """Mean prediction, observed share, count and standard error of the gap per bin.

    ``se`` is the larger of two standard errors of the bin's gap: the binomial
    one (areas as independent trials) and the cluster-robust one with the
    areas of one city as a cluster (the sandwich estimator of a mean, with the
    small-sample factor ``G / (G - 1)`` for ``G`` cities; infinite for one).
    A city's predictions share its estimated spread and correlation and err
    together, so its areas are not independent trials.
    """
    bins = pd.cut(frame[predicted], BINS, include_lowest=True)
    table = frame.groupby(bins, observed=True).agg(
        predicted=(predicted, "mean"),
        observed=(observed, "mean"),
        areas=(observed, "size"),
        cities=("city", "nunique"),
    )
    table["gap"] = table["observed"] - table["predicted"]
    resid = frame[observed].astype(float) - frame[predicted] - bins.map(table["gap"]).astype(float)
    per_city = resid.groupby([bins, frame["city"]], observed=True).sum()
    squares = (per_city**2).groupby(level=0, observed=True).sum().reindex(table.index)
    g = table["cities"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cluster = np.where(g > 1, np.sqrt(squares.to_numpy() * g / (g - 1)), np.inf)
    p = table["predicted"].clip(0.01, 0.99)
    binomial = np.sqrt(p * (1 - p) / table["areas"])
    table["se"] = np.maximum(binomial, cluster / table["areas"])
    return table.drop(columns="cities")


def worst_gap(table: pd.DataFrame, max_se: float) -> float:
    """Largest absolute gap over bins whose gap is known to ``max_se`` (see :func:`calibration`)."""
    big = table[table["se"] <= max_se]
    return float(big["gap"].abs().max()) if len(big) else 0.0


def main(argv: list[str] | None = None) -> int:
    """Run every regime, print the tables and return 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--areas", type=int, default=100)
    parser.add_argument("--boot", type=int, default=200)
    parser.add_argument("--methods", default="below-average,zscore")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-se", type=float, default=0.02)
    parser.add_argument("--correlation", type=float, default=CORRELATION)
    args = parser.parse_args(argv)
    failures = []
    rows = []
    for method in args.methods.split(","):
        print(f"\n== {method}: coverage of the {LEVEL:.0%} rank interval ==")
        pooled = []
        for spread, size in itertools.product(SPREADS, SIZES):
            frame = simulate(
                method, spread, size, datasets=args.datasets, areas=args.areas,
                n_boot=args.boot, seed=args.seed, correlation=args.correlation,
            )  # fmt: skip
            pooled.append(frame)
            cov = coverage(frame)
            gq = worst_gap(calibration(frame, "p_qualifies", "qualifies"), args.max_se)
            gw = worst_gap(calibration(frame, "p_worst", "worst"), args.max_se)
            rows.append(
                {"method": method, "spread": spread, "size": size, **cov,
                 "width": frame["width"].mean(), "gap_qualifies": gq, "gap_worst": gw}
            )  # fmt: skip
            if min(cov.values()) < COVERAGE_TARGET:
                failures.append(f"{method} {spread}/{size}: coverage {min(cov.values()):.3f}")
            if max(gq, gw) > CALIBRATION_TOLERANCE:
                failures.append(f"{method} {spread}/{size}: calibration gap {max(gq, gw):.3f}")
        table = pd.DataFrame([r for r in rows if r["method"] == method]).drop(columns="method")
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        everything = pd.concat(pooled, ignore_index=True)
        for predicted, observed, name in (
            ("p_qualifies", "qualifies", "P(qualifies)"),
            ("p_worst", "worst", "P(worst decile)"),
        ):
            print(f"\n{method}: calibration of {name}, all regimes")
            cal = calibration(everything, predicted, observed)
            print(cal.to_string(float_format=lambda v: f"{v:.3f}"))
            if worst_gap(cal, args.max_se) > CALIBRATION_TOLERANCE:
                failures.append(
                    f"{method} all regimes: {name} gap {worst_gap(cal, args.max_se):.3f}"
                )
    print()
    if failures:
        print("targets missed:\n  " + "\n  ".join(failures))
        return 1
    print(
        f"all targets met: coverage >= {COVERAGE_TARGET} in every regime and tercile; "
        f"calibration within ±{CALIBRATION_TOLERANCE} in bins known to ±{args.max_se}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
