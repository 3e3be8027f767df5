"""``score_areas`` and ``compare_methods``: the public entry points of the score stage."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from geoloft.columns import AREA_ID, DECILE, INDEX, N_INDICATORS, NAME, QUALIFIES, RANK
from geoloft.report import StageReport, attach_report
from geoloft.score._core import Run, run, start
from geoloft.score._options import STATUS, Options, domains_of
from geoloft.score._prepare import CatalogueLike, Prepared, ReferenceLike
from geoloft.score.bootstrap import BootstrapResult, bootstrap_from
from geoloft.score.explain import GIVEN_LABEL, driver_texts
from geoloft.score.methods import METHODS
from geoloft.sensitive import SENSITIVE_COLUMNS

STATUS_COL = "status"
N_FLAGS = "n_flags"
EXPLANATION = "explanation"


def score_areas(
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
    n_boot: int = 0,
    seed: int = 0,
    allow_sensitive: bool = False,
    lang: str = "nb",
) -> pd.DataFrame:
    """Score areas on living-condition indicators by one of six doctrines.

    Rates are computed from counts, small denominators are shrunk toward the
    reference (empirical Bayes), indicators are standardised before they are
    weighted, and missing values count neither way: every mean runs over the
    indicators an area has, and ``n_indicators`` says how many that is.

    Parameters
    ----------
    table
        One row per area: ``area_id`` plus the columns the catalogue names
        (counts, or values and populations). Text columns with Norwegian
        numbers or SSB missing markers are parsed; not modified.
    catalogue
        A :class:`~geoloft.indicators.Catalogue`, a sequence of
        :class:`~geoloft.indicators.Indicator`, or a TOML path. ``None`` uses
        the default Norwegian catalogue and skips (and reports) its indicators
        whose columns the table lacks.
    method
        ``"below-average"``, ``"ssb-decile"``, ``"percentile"``, ``"imd"``,
        ``"rules"`` or ``"zscore"`` (see :mod:`geoloft.score.methods`).
    reference
        Reference rates (indicator id -> rate in the indicator's unit), such
        as the city's, the region's or the country's: what "worse than the
        reference" and ratios compare against. ``None``, and indicators not
        named, use the table's population-weighted rate (``Σ numerator / Σ
        denominator``; for values, weighted by their population column, else
        by the areas' residents). A given reference never becomes the prior of
        the shrinkage. See docs/methods.md.
    k
        Worse on at least k of the n scored indicators (``below-average`` and
        ``rules`` only); ``None`` is two thirds of n rounded up for
        ``below-average`` and half of n rounded up for ``rules`` (the Danish
        list's 2 of 4). With missing values the share k/n applies to the
        indicators present.
    threshold
        ``rules``: ratio to the reference that meets a criterion (``None``:
        1.25, that is ≥ 1.25× or, when higher is better, ≤ 0.8×), or a mapping
        id -> ratio. ``ssb-decile``, ``percentile``, ``imd``, ``zscore``: the
        most exposed share of areas that qualifies (``None``: 0.1, the worst
        decile); tied areas share a rank and qualify together. Not used by
        ``below-average``.
    min_pop
        Areas with fewer residents get no score and the status ``"for få
        personer"`` (``"too few people"``). Residents come from ``pop``.
    qualify_min_pop
        Residents an area needs to qualify; ``None`` is 1,000 for ``rules``
        (the Danish list) and 0 otherwise. Areas of unknown population are
        not held back.
    shrink
        Shrink rates toward the table's pooled rate
        (:func:`~geoloft.score.shrinkage.bayes_shrink`; smooth in the
        denominator, no cut-off); ``False`` or ``None`` turns it off.
    min_indicators
        Indicators an area needs to be scored (status ``"for få
        indikatorer"``); ``None`` is half of n rounded up.
    weights
        Indicator id -> weight, replacing the catalogue's. Only ratios matter.
    domain_weights
        ``imd`` only: domain -> weight of each domain in the index (every
        scored domain named; only ratios matter), such as the IMD 2019 shares.
        ``None``: the sum of the domain's indicator weights.
    missing
        ``"available"``: an area's means run over the indicators it has.
        ``"exclude"``: an area missing any scored indicator is not scored and
        not ranked (the CDC SVI rule).
    pop
        Column with each area's residents; ``None`` uses ``pop_tot`` when
        present, else the largest denominator of the area (reported as
        ``population_source``).
    n_boot
        Bootstrap replicates (0: none). Adds ``rank_lo``, ``rank_hi`` (90 %
        rank interval), ``p_worst_decile`` and ``p_qualifies``, and puts the
        :class:`~geoloft.score.bootstrap.BootstrapResult` in
        ``attrs["bootstrap"]`` (its ``qualify`` is the areas × replicates
        matrix of qualification).
    seed
        Seed of the bootstrap.
    allow_sensitive
        Allow indicators of country of origin or ethnicity as criteria.
    lang
        Language of ``status`` and ``explanation``: ``"nb"`` or ``"en"``.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``table``, the same columns for every method: ``area_id``,
        ``name`` (if the table has one), ``status``, ``index`` (higher = more
        exposed), ``rank`` (1 = most exposed; ties share the best rank),
        ``decile`` (10 = most exposed tenth), ``qualifies``, ``n_indicators``,
        ``n_flags``, ``domain_<domain>`` scores, the bootstrap columns,
        ``explanation``, and per indicator ``<id>_rate`` (in its unit, after
        shrinkage), ``<id>_std`` (standardised value of the method) and
        ``<id>_flag``. ``attrs`` hold ``reference`` (id -> rate in the unit),
        ``method`` and the stage ``report``.

    Raises
    ------
    InputError
        Missing columns (with the closest names), non-numeric values,
        negative counts, numerators above denominators, duplicate ids, unknown
        methods or options, and sensitive indicators used as criteria.

    Examples
    --------
    >>> from geoloft.indicators import Indicator
    >>> cat = [Indicator("li", "Lavinntekt", "Low income", numerator="li_n",
    ...                  denominator="li_d", domain="income")]
    >>> t = pd.DataFrame({"area_id": ["a", "b", "c"], "li_n": [300, 100, 100],
    ...                   "li_d": [1000, 1000, 1000]})
    >>> s = score_areas(t, cat)
    >>> s[["area_id", "rank", "qualifies", "explanation"]].to_numpy().tolist()[0]
    ['a', 1, True, 'lavinntekt 1,8× byens snitt']
    """
    prep, opts = start(
        table,
        catalogue,
        method=method,
        reference=reference,
        k=k,
        threshold=threshold,
        min_pop=min_pop,
        qualify_min_pop=qualify_min_pop,
        shrink=shrink,
        min_indicators=min_indicators,
        weights=weights,
        domain_weights=domain_weights,
        missing=missing,
        pop=pop,
        allow_sensitive=allow_sensitive,
        lang=lang,
    )
    r = run(prep, opts)
    boot = bootstrap_from(prep, opts, r, n_boot=n_boot, seed=seed) if n_boot else None
    frame = _frame(prep, opts, r, boot)
    frame.attrs["reference"] = _reference(prep)
    frame.attrs["method"] = opts.method
    frame.attrs[SENSITIVE_COLUMNS] = {
        f"{i.id}{suffix}": str(i.sensitive_theme)
        for i in prep.catalogue
        if i.is_sensitive
        for suffix in ("_rate", "_std", "_flag")
    }
    if boot is not None:
        frame.attrs["bootstrap"] = boot
    return attach_report(frame, _report(prep, opts, r, boot))


def _reference(prep: Prepared) -> dict[str, float]:
    """Return indicator id -> reference rate, in the indicator's unit."""
    return {i.id: float(v * i.scale) for i, v in zip(prep.catalogue, prep.ref, strict=True)}


def _int(values: np.ndarray) -> pd.arrays.IntegerArray:
    # astype("Int64") gives an IntegerArray; pandas-stubs type it as any array
    return cast(pd.arrays.IntegerArray, pd.array(values, dtype="Float64").astype("Int64"))


def _frame(prep: Prepared, opts: Options, r: Run, boot: BootstrapResult | None) -> pd.DataFrame:
    ev, sc = r.ev, prep.scored
    cols: dict[str, Any] = {AREA_ID: prep.area_id}
    if prep.name is not None:
        cols[NAME] = prep.name
    cols[STATUS_COL] = r.status
    cols[INDEX] = ev.index[0]
    cols[RANK] = _int(ev.rank[0])
    cols[DECILE] = _int(ev.decile[0])
    cols[QUALIFIES] = ev.qualifies[0]
    cols[N_INDICATORS] = np.sum(~np.isnan(prep.raw[:, sc]), axis=1)
    cols[N_FLAGS] = _int(ev.n_flags[0])
    for d, name in enumerate(domains_of(prep)):
        cols["domain_" + re.sub(r"\W+", "_", name.lower())] = ev.domain[0][:, d]
    if boot is not None:
        cols.update({c: boot.summary[c].to_numpy() for c in boot.summary.columns})
    cols[EXPLANATION] = _explanations(prep, opts, r)
    std = np.full(prep.raw.shape, np.nan)
    flag = np.full(prep.raw.shape, np.nan)
    std[:, sc], flag[:, sc] = ev.std[0], ev.flag[0]
    for j, ind in enumerate(prep.catalogue):
        cols[f"{ind.id}_rate"] = r.rates[:, j] * ind.scale
        cols[f"{ind.id}_std"] = std[:, j]
        cols[f"{ind.id}_flag"] = pd.array(flag[:, j], dtype="Float64").astype("boolean")
    return pd.DataFrame(cols, index=prep.index)


def _explanations(prep: Prepared, opts: Options, r: Run) -> np.ndarray:
    sc = prep.scored
    cat = prep.scored_catalogue
    given = bool(prep.ref_given[sc].all())
    texts = driver_texts(
        r.rates[:, sc],
        prep.ref[sc],
        r.ev.flag[0],
        labels=[i.label(opts.lang) for i in cat],
        signs=r.setup.sign,
        weights=r.setup.weight,
        lang=opts.lang,
        reference_label=GIVEN_LABEL[opts.lang] if given else None,
    )
    return np.where(r.active, np.array(texts, dtype=object), r.status)


def _report(prep: Prepared, opts: Options, r: Run, boot: BootstrapResult | None) -> StageReport:
    words = STATUS[opts.lang]
    notes: dict[str, Any] = {
        "method": opts.method,
        "indicators": list(prep.scored_catalogue.ids),
        "context_indicators": [i.id for i in prep.catalogue if i.context_only],
        "skipped_indicators": list(prep.skipped),
        "sensitive_criteria": [i.id for i in prep.scored_catalogue if i.is_sensitive],
        "reference": _reference(prep),
        "reference_given": [i.id for i, g in zip(prep.catalogue, prep.ref_given, strict=True) if g],
        "missing_values": {
            i.id: int(np.isnan(prep.raw[:, j]).sum()) for j, i in enumerate(prep.catalogue)
        },
        "shrunk_rates": {i.id: int(r.shrunk[:, j].sum()) for j, i in enumerate(prep.catalogue)},
        "too_few_people": int((r.status == words["pop"]).sum()),
        "too_few_indicators": int((r.status == words["ind"]).sum()),
        "qualifying": int(r.ev.qualifies[0].sum()),
        "k": r.setup.k,
        "missing": opts.missing,
        "population_source": prep.pop_source,
        "shrinkage": "bayes_shrink" if opts.shrink else "off",
    }
    if boot is not None:
        notes.update(n_boot=boot.n_boot, seed=boot.seed, bootstrap_families=boot.families)
    n = len(prep.area_id)
    return StageReport("score_areas", prep.source, rows_in=n, rows_out=n, notes=notes)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Several methods on the same table.

    Attributes
    ----------
    table
        Per area: ``area_id``, ``status`` and, per method (``-`` written
        ``_``), ``<method>_index``, ``_rank``, ``_decile``, ``_qualifies``.
    spearman
        Spearman rank correlation of the methods' indices (areas scored by
        both), methods × methods.
    overlap
        Jaccard index of the sets of qualifying areas, methods × methods.
    scores
        The full output of :func:`score_areas` per method.
    """

    table: pd.DataFrame
    spearman: pd.DataFrame
    overlap: pd.DataFrame
    scores: dict[str, pd.DataFrame]


def compare_methods(
    table: pd.DataFrame,
    catalogue: CatalogueLike = None,
    *,
    methods: Sequence[str] | None = None,
    per_method: Mapping[str, Mapping[str, Any]] | None = None,
    **kwargs: Any,
) -> Comparison:
    """Score a table by several methods and show how far they agree.

    Parameters
    ----------
    table, catalogue
        As for :func:`score_areas`.
    methods
        Methods to compare; ``None`` is all six.
    per_method
        Method -> keyword options for that method only (``threshold`` means
        different things to different methods, so pass it here).
    **kwargs
        Keyword options of :func:`score_areas` shared by every method.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> from geoloft.indicators import Indicator
    >>> cat = [Indicator(c, c, c, value=c, unit="score", domain=c) for c in "xy"]
    >>> t = pd.DataFrame({"area_id": list("abcd"), "x": [1.0, 2, 3, 4], "y": [1.0, 3, 2, 4]})
    >>> c = compare_methods(t, cat, methods=["zscore", "ssb-decile"])
    >>> float(c.spearman.loc["zscore", "ssb-decile"])
    1.0
    """
    chosen = list(METHODS) if methods is None else list(methods)
    extra = dict(per_method or {})
    scores = {
        m: score_areas(table, catalogue, method=m, **{**kwargs, **extra.get(m, {})}) for m in chosen
    }
    first = scores[chosen[0]]
    side = first[[c for c in (AREA_ID, NAME, STATUS_COL) if c in first.columns]].copy()
    for m, s in scores.items():
        p = m.replace("-", "_")
        for c in (INDEX, RANK, DECILE, QUALIFIES):
            side[f"{p}_{c}"] = s[c]
    idx = pd.DataFrame({m: s[INDEX] for m, s in scores.items()})
    rho = idx.corr(method="spearman")
    q = {m: s[QUALIFIES].to_numpy(dtype=bool) for m, s in scores.items()}
    jac = pd.DataFrame(
        [[_jaccard(q[a], q[b]) for b in chosen] for a in chosen], index=chosen, columns=chosen
    )
    return Comparison(side, rho, jac, scores)


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = int((a | b).sum())
    return float((a & b).sum() / union) if union else float("nan")
