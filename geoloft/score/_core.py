"""One scoring run: options and table in, rates and evaluation out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoloft.report import source_of
from geoloft.score._options import Options, make_setup, status_codes
from geoloft.score._prepare import (
    CatalogueLike,
    Prepared,
    ReferenceLike,
    prepare,
    smooth,
)
from geoloft.score.methods import Evaluation, Setup, evaluate


@dataclass(frozen=True, eq=False)
class Run:
    """Rates (n, m) of every indicator and the evaluation of the scored ones."""

    rates: np.ndarray
    shrunk: np.ndarray
    active: np.ndarray
    status: np.ndarray
    setup: Setup
    ev: Evaluation


def start(
    table: pd.DataFrame,
    catalogue: CatalogueLike = None,
    *,
    method: str = "below-average",
    reference: ReferenceLike = None,
    k: int | None = None,
    threshold: float | Mapping[str, float] | None = None,
    min_pop: float = 50.0,
    qualify_min_pop: float | None = None,
    shrink: bool | None = True,
    min_indicators: int | None = None,
    weights: Mapping[str, float] | None = None,
    domain_weights: Mapping[str, float] | None = None,
    missing: str = "available",
    pop: str | None = None,
    allow_sensitive: bool = False,
    lang: str = "nb",
) -> tuple[Prepared, Options]:
    """Validate the options and the table; the keywords are those of ``score_areas``."""
    opts = Options(
        method=method,
        k=k,
        threshold=threshold,
        min_pop=min_pop,
        qualify_min_pop=qualify_min_pop,
        shrink=shrink,
        min_indicators=min_indicators,
        lang=lang,
        domain_weights=domain_weights,
        missing=missing,
    )
    source = source_of(table, "table") if isinstance(table, pd.DataFrame) else "table"
    prep = prepare(
        table,
        catalogue,
        reference=reference,
        weights=weights,
        pop=pop,
        allow_sensitive=allow_sensitive,
        source=source,
    )
    return prep, opts


def run(prep: Prepared, opts: Options) -> Run:
    """Shrink, standardise, score, rank and qualify."""
    rates, shrunk = smooth(prep.raw, prep.den, prep.is_rate, opts.shrink)
    active, status = status_codes(prep, opts)
    setup = make_setup(prep, opts, active)
    sc = prep.scored
    ev = evaluate(rates[None][..., sc], prep.ref[None, sc], setup)
    return Run(rates, shrunk, active, status, setup, ev)
