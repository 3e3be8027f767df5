"""Score options: defaults per method, validation, and the constant arrays of a run."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from geoloft.errors import InputError
from geoloft.score._prepare import Prepared
from geoloft.score.methods import COUNT_METHODS, METHODS, Setup

#: Default ratio to the reference for the rules method (higher is worse: ≥ 1.25×;
#: higher is better: ≤ 1/1.25 = 0.8×).
RULE_RATIO = 1.25
#: Default share of areas that qualify under index methods (the most exposed decile).
TOP_SHARE = 0.1
#: Default population floor of the rules method (the Danish list: 1,000 residents).
RULE_MIN_POP = 1000.0

STATUS = {
    "nb": {"ok": "ok", "pop": "for få personer", "ind": "for få indikatorer"},
    "en": {"ok": "ok", "pop": "too few people", "ind": "too few indicators"},
}


#: Ways to treat a missing indicator value (``missing=``).
MISSING = {
    "available": "means over the indicators an area has",
    "exclude": "an area with any missing indicator is not scored (CDC SVI rule)",
}


@dataclass(frozen=True)
class Options:
    """Validated keyword options of :func:`geoloft.score.score_areas`."""

    method: str = "below-average"
    k: int | None = None
    threshold: float | Mapping[str, float] | None = None
    min_pop: float = 50.0
    qualify_min_pop: float | None = None
    shrink: bool | None = True
    min_indicators: int | None = None
    lang: str = "nb"
    domain_weights: Mapping[str, float] | None = None
    missing: str = "available"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            near = difflib.get_close_matches(str(self.method), list(METHODS), n=1)
            raise InputError(
                f"unknown method {self.method!r}"
                + (f"; did you mean '{near[0]}'?" if near else "."),
                source="method",
                hint=f"use one of {', '.join(METHODS)}.",
            )
        if self.lang not in STATUS:
            raise InputError(
                f"unknown language {self.lang!r}.", source="lang", hint="use 'nb' (bokmål) or 'en'."
            )
        for name in ("min_pop", "qualify_min_pop"):
            value = getattr(self, name)
            if value is not None and (math.isnan(value) or value < 0):
                raise InputError(
                    f"{name} is {value!r}.", source=name, hint="give a number of persons >= 0."
                )
        if self.shrink is not None and not isinstance(self.shrink, bool):
            raise InputError(
                f"shrink is {self.shrink!r}; it is on (True) or off (False).",
                source="shrink",
                hint="shrinkage has no cut-off: how far a rate moves follows from its "
                "denominator and the spread between areas.",
            )
        if self.missing not in MISSING:
            raise InputError(
                f"missing is {self.missing!r}.",
                source="missing",
                hint="use " + "; ".join(f"'{k}' ({v})" for k, v in MISSING.items()) + ".",
            )
        if self.domain_weights is not None and self.method != "imd":
            raise InputError(
                f"domain_weights has no meaning for method '{self.method}'.",
                source="domain_weights",
                hint="use it with method='imd', or set indicator weights (weights=).",
            )
        if self.threshold is not None and self.method == "below-average":
            raise InputError(
                "threshold has no meaning for method 'below-average'.",
                source="threshold",
                hint="use k (worse on at least k of n).",
            )

    def counts(self, m: int) -> tuple[int, int]:
        """Return ``k`` and the minimum number of indicators for ``m`` scored ones."""
        half = math.ceil(m / 2)
        k = default_k(m, self.method) if self.k is None else int(self.k)
        if not 1 <= k <= m:
            raise InputError(
                f"k = {k} is outside 1..{m} (the number of scored indicators).",
                source="k",
                hint=f"give k between 1 and {m}.",
            )
        need = half if self.min_indicators is None else int(self.min_indicators)
        if self.missing == "exclude":
            need = m
        if not 1 <= need <= m:
            raise InputError(
                f"min_indicators = {need} is outside 1..{m}.",
                source="min_indicators",
                hint=f"give a number between 1 and {m}.",
            )
        return k, need

    def top(self) -> float:
        """Most exposed share that qualifies (index methods)."""
        if self.method in COUNT_METHODS or self.threshold is None:
            return TOP_SHARE
        t = self.threshold
        if isinstance(t, Mapping) or not 0 < float(t) <= 1:
            raise InputError(
                f"threshold {t!r} must be a share in (0, 1] for method "
                f"'{self.method}' (0.1 = the most exposed tenth).",
                source="threshold",
                hint="for example threshold=0.1.",
            )
        return float(t)

    def ratios(self, ids: tuple[str, ...]) -> np.ndarray:
        """Rules thresholds per scored indicator (ratio to the reference, > 0)."""
        t = self.threshold if self.method == "rules" and self.threshold is not None else RULE_RATIO
        per = dict(t) if isinstance(t, Mapping) else {}
        unknown = [k for k in per if k not in ids]
        if unknown:
            raise InputError(
                f"threshold names unknown indicators: {', '.join(unknown)}.",
                source="threshold",
                hint=f"use ids among {', '.join(ids)}.",
            )
        default = RULE_RATIO if isinstance(t, Mapping) else float(t)
        out = np.array([float(per.get(i, default)) for i in ids])
        if not np.all(np.isfinite(out) & (out > 0)):
            raise InputError(
                "rule thresholds must be ratios > 0.",
                source="threshold",
                hint="for example 1.25 (25 % above the reference).",
            )
        return out

    def floor(self) -> float:
        """Return the population an area needs to qualify."""
        if self.qualify_min_pop is not None:
            return float(self.qualify_min_pop)
        return RULE_MIN_POP if self.method == "rules" else 0.0


def status_codes(prep: Prepared, opts: Options) -> tuple[np.ndarray, np.ndarray]:
    """Per area: whether it is scored, and its status text."""
    _, need = opts.counts(int(prep.scored.sum()))
    n_avail = np.sum(~np.isnan(prep.raw[:, prep.scored]), axis=1)
    small = prep.pop < opts.min_pop
    few = n_avail < need
    words = STATUS[opts.lang]
    status = np.where(small, words["pop"], np.where(few, words["ind"], words["ok"]))
    return ~small & ~few, status.astype(object)


def default_k(m: int, method: str) -> int:
    """Default k of n = ``m`` indicators (see docs/methods.md).

    ``rules``: half of n rounded up, the Danish list's "2 of 4 criteria"
    (almenboligloven § 61 a). ``below-average``: two thirds of n rounded up;
    no published programme rule fixes k, and half of n made 44–59 % of areas
    qualify in an audit of real city data.
    """
    if method == "rules":
        return math.ceil(m / 2)
    return math.ceil(2 * m / 3)


def _domain_weights(opts: Options, domains: list[str], weight: np.ndarray) -> np.ndarray | None:
    """Domain weights of the IMD, in domain order; ``None``: sums of indicator weights."""
    if opts.domain_weights is None:
        return None
    given = dict(opts.domain_weights)
    unknown = sorted(set(given) - set(domains))
    missing = [d for d in domains if d not in given]
    values = [given.get(d, np.nan) for d in domains]
    if unknown or missing or not all(np.isfinite(values)) or min(values, default=1) <= 0:
        raise InputError(
            "domain_weights must give a weight > 0 to every domain scored"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + ".",
            source="domain_weights",
            hint=f"name each of {', '.join(domains)}, e.g. the IMD 2019 shares "
            "(income 0.225, employment 0.225, education 0.135, …).",
        )
    return np.array(values, dtype=float) * float(weight.sum()) / float(np.sum(values))


def make_setup(prep: Prepared, opts: Options, active: np.ndarray) -> Setup:
    """Constant arrays of a run for the scored indicators."""
    cat = prep.scored_catalogue
    domains = sorted({i.domain for i in cat})
    onehot = np.array([[float(i.domain == d) for d in domains] for i in cat])
    k, _ = opts.counts(len(cat))
    weight = np.array([float(i.weight) for i in cat])
    return Setup(
        method=opts.method,
        sign=np.array([float(i.sign) for i in cat]),
        weight=weight,
        onehot=onehot,
        active=active,
        pop=prep.pop,
        ratio=opts.ratios(cat.ids),
        k=k,
        top=opts.top(),
        qualify_min_pop=opts.floor(),
        ref_weight=prep.weight[:, prep.scored],
        domain_weight=_domain_weights(opts, domains, weight),
    )


def domains_of(prep: Prepared) -> list[str]:
    """Domain names in the order of :func:`make_setup`."""
    return sorted({i.domain for i in prep.scored_catalogue})
