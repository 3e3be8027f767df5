"""``evaluate``: did the intervention areas change differently from comparable areas."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft.columns import AREA_ID, NAME
from geoloft.errors import InputError
from geoloft.evaluation import _estimate as est
from geoloft.evaluation._groups import (
    METHODS,
    Group,
    balance,
    comparison_group,
    synthetic_placebo,
)
from geoloft.evaluation._levels import area_changes, group_paths, population_columns
from geoloft.evaluation._panel import (
    DENOMINATOR,
    INDICATOR,
    NUMERATOR,
    VALUE,
    YEAR,
    Programme,
    check_population,
    check_table,
    outcomes,
    treated_ids,
)
from geoloft.evaluation._result import Evaluation
from geoloft.report import StageReport, source_of

__all__ = ["Evaluation", "evaluate"]


@dataclass(frozen=True)
class _Settings:
    comparison: str | Sequence[str]
    n_matches: int
    n_boot: int
    n_perm: int
    level: float
    seed: int
    weighting: str


def _phase_years(prog: Programme, years: np.ndarray) -> tuple[list[int], bool]:
    """Baseline years; without one the first year serves (flagged)."""
    phases = prog.phase(pd.Series(years))
    base = [int(y) for y, p in zip(years, phases, strict=True) if p == "before"]
    if base:
        return base, False
    return [int(years.min())], True


def _regression_panel(
    part: pd.DataFrame, prog: Programme, group: Group, base: list[int], weighting: str
) -> pd.DataFrame:
    areas = list(prog.treated) + list(group.weights.index)
    panel = part[part[AREA_ID].isin(areas) & part["y"].notna()].copy()
    phase = prog.phase(panel[YEAR])
    phase[panel[YEAR].isin(base)] = "before"
    panel["phase"] = phase.to_numpy()
    n_c = len(group.weights)
    w = group.weights * n_c
    panel["w"] = panel[AREA_ID].map(w).fillna(1.0).to_numpy()
    if weighting == "denominator" and panel[DENOMINATOR].notna().all():
        panel["w"] *= panel[DENOMINATOR] / panel[DENOMINATOR].mean()
    return panel.reset_index(drop=True)


def _estimate_rows(inf: est.Inference, ind: str, extra: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            INDICATOR: ind,
            "effect": name,
            "estimate": inf.estimate[j],
            "se": inf.se[j],
            "low": inf.low[j],
            "high": inf.high[j],
            "p_boot": inf.p_boot[j],
            "p_cluster": inf.p_cluster[j],
            "p_perm": inf.p_perm[j],
            "perm_low": inf.perm_low[j],
            "perm_high": inf.perm_high[j],
            "placebo_size": inf.placebo_size[j],
            "n_perm": inf.n_perm,
            "n_boot": inf.n_boot,
            "n_areas": inf.n_clusters,
            "n_treated": inf.n_treated,
            **extra,
        }
        for j, name in enumerate(inf.names)
    ]


def _placebo_years(
    panel: pd.DataFrame, treated: pd.Series, base: list[int], s: _Settings, ind: str
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    pre = panel[panel[YEAR].isin(base)].copy()
    for fake in base[1:]:
        pre["fake"] = np.where(pre[YEAR] >= fake, "during", "before")
        design = est.make_design(pre, treated, "fake", ["during"])
        inf = est.infer(design, n_boot=s.n_boot, n_perm=s.n_perm, level=s.level, seed=s.seed + fake)
        rows += _estimate_rows(inf, ind, {"fake_start": fake})
    return rows


def _one_indicator(
    part: pd.DataFrame,
    prog: Programme,
    s: _Settings,
    scale: str,
    notes: list[tuple[str, dict[str, Any]]],
) -> dict[str, Any]:
    ind = str(part[INDICATOR].iloc[0])
    years = np.sort(part[YEAR].unique())
    base, late = _phase_years(prog, years)
    if late:
        notes.append(("no_baseline", {"indicator": ind, "start": prog.start, "first": base[0]}))
    wide = part[part[YEAR].isin(base)].pivot(index=AREA_ID, columns=YEAR, values="y")
    wide = wide.dropna()
    missing = [a for a in prog.treated if a not in wide.index]
    if missing:
        raise InputError(
            f"{ind}: intervention areas without a value in the baseline years {base}.",
            source="indicators",
            rows=missing,
            hint="give every intervention area a value in the years before the programme.",
        )
    group = comparison_group(wide, prog.treated, method=s.comparison, n_matches=s.n_matches)
    panel = _regression_panel(part, prog, group, base, s.weighting)
    treated = pd.Series(True, index=list(prog.treated))
    effects = [p for p in ("during", "after") if (panel["phase"] == p).any()]
    if not effects:
        raise InputError(
            f"{ind}: no year after the baseline ({', '.join(map(str, base))}); nothing to compare.",
            source="indicators",
            hint=f"give values for years after {prog.start}.",
        )
    did = est.infer(
        est.make_design(panel, treated, "phase", list(effects)),
        n_boot=s.n_boot,
        n_perm=s.n_perm,
        level=s.level,
        seed=s.seed,
    )
    if did.n_clusters < est.MIN_CLUSTERS:
        notes.append(("too_few_areas", {"indicator": ind, "n": did.n_clusters}))
    ref = base[-1]
    others = [int(y) for y in years if y != ref]
    es_design = est.make_design(panel, treated, YEAR, list(others))
    es = est.infer(es_design, n_boot=s.n_boot, n_perm=s.n_perm, level=s.level, seed=s.seed)
    leads = [j for j, y in enumerate(others) if y in base]
    pretrend: dict[str, Any] = {INDICATOR: ind, "n_pre_years": len(base), "reference": ref}
    if leads:
        f, p, k = est.joint_test(es_design, leads)
        pretrend.update({"F": f, "p": p, "df": k})
    else:
        pretrend.update({"F": np.nan, "p": np.nan, "df": 0})
    extra: dict[str, Any] = {
        "comparison": group.method,
        "scale": scale,
        "baseline": f"{base[0]}–{base[-1]}",
    }
    if group.method == "synthetic" and len(base) >= 2:
        paths = part.pivot(index=AREA_ID, columns=YEAR, values="y").loc[wide.index]
        ratio, p_syn, n_syn = synthetic_placebo(paths, prog.treated, base)
        extra.update(rmspe_ratio=ratio, p_synthetic=p_syn, n_synthetic_placebos=n_syn)
    es_rows = _estimate_rows(es, ind, {"reference": ref})
    for row in es_rows:
        row[YEAR] = int(row.pop("effect"))
    es_rows.append(
        {INDICATOR: ind, YEAR: ref, "estimate": 0.0, "low": 0.0, "high": 0.0, "reference": ref}
    )
    bal = balance(wide, prog.treated, group)
    bal.insert(0, INDICATOR, ind)
    matches = group.matches.copy()
    matches.insert(0, INDICATOR, ind)
    return {
        "estimates": _estimate_rows(did, ind, extra),
        "event_study": es_rows,
        "pretrend": pretrend,
        "placebo": _placebo_years(panel, treated, base, s, ind),
        "balance": bal,
        "matches": matches,
        "group": group,
        "base": base,
    }


def evaluate(
    indicators: pd.DataFrame,
    *,
    treated: Sequence[str],
    start: int,
    end: int,
    areas: gpd.GeoDataFrame | None = None,
    population: pd.DataFrame | None = None,
    comparison: str | Sequence[str] = "rest",
    exclude: Collection[str] = (),
    n_matches: int = 3,
    counts: Collection[str] = (),
    shrink: float | None = None,
    weighting: str = "equal",
    start_is_baseline: bool = True,
    n_boot: int = 999,
    n_perm: int = 999,
    level: float = 0.95,
    seed: int = 0,
    labels: Mapping[str, str] | None = None,
    extra_notes: Sequence[str] = (),
) -> Evaluation:
    """Compare how intervention areas and comparison areas changed over the years.

    For every indicator, each area's level before, during and after the
    programme and its change; a comparison group (the rest of the areas,
    matched neighbours, synthetic-control weights or a list); the
    difference-in-differences of the two groups (two-way fixed effects: area
    and year) and yearly event-study effects, with intervals that treat areas,
    not persons, as the units; a pre-trend test and placebo runs.

    Parameters
    ----------
    indicators
        Long table, one row per area, year and indicator: ``area_id``,
        ``year``, ``indicator`` and either ``numerator`` and ``denominator``
        (counts; analysed as a rate in per cent) or ``value``. Counts come
        first: convert areas with :func:`geoloft.convert_areas` and put grid
        vintages on one footing (:func:`grid_panel`) before this step.
    treated
        Ids of the intervention areas.
    start, end
        First and last programme year.
    areas
        Boundaries (``area_id``, ``name``) for names, the change map and the
        GeoPackage layer; only areas here are analysed when given.
    population
        Long table ``area_id``, ``year``, ``pop_tot`` and optionally
        ``pop_0_17`` and ``pop_67_plus`` (persons): reported beside every rate,
        since people move in and out.
    comparison
        ``"rest"`` (every other area), ``"matched"`` (for each intervention
        area the ``n_matches`` nearest areas on pre-period level and trend,
        standardised Euclidean distance), ``"synthetic"`` (non-negative
        weights summing to 1 that reproduce the intervention areas' mean path
        before the programme), or a list of area ids.
    exclude
        Area ids left out altogether (areas with few residents such as
        Sentrum and Marka, or areas touched by the programme's spill-over).
    n_matches
        Neighbours per intervention area for ``"matched"``.
    counts
        Indicators given as ``value`` that are counts (persons): analysed as
        logarithms, so effects are in log points (about per cent).
    shrink
        Empirical-Bayes shrinkage of rates whose denominator is under this
        number (the scoring stage's small-number rule); ``None`` for none.
    weighting
        ``"equal"``: every area counts once (areas are the units); or
        ``"denominator"``: area-years weighted by their denominator.
    start_is_baseline
        Figures dated 1 January of the first programme year describe the
        situation before it (SSB's register and grid are dated 1 January).
    n_boot, n_perm
        Wild-bootstrap replicates and placebo area sets (all sets are used
        when there are fewer).
    level
        Confidence level of the intervals.
    seed
        Seed of the bootstrap and the placebo sampling.
    labels
        Display names of the indicators (id -> label).
    extra_notes
        Sentences for the report's notes, such as how the inputs were made
        (:func:`grid_panel`'s publication rule, code conversions).

    Returns
    -------
    Evaluation
        Tables of levels, changes, estimates, event-study effects, pre-trend
        and placebo tests, balance and matches; see :class:`Evaluation`.

    Raises
    ------
    SchemaError
        If the long table lacks columns, has duplicate rows or years that are
        not whole numbers.
    InputError
        If an intervention area is missing, the comparison is unknown or
        names intervention areas, or the years are not in order.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = [(a, y, "x", 10.0 + (2.0 if a in "AB" and y > 2010 else 0.0) + i)
    ...         for i, a in enumerate("ABCDEF") for y in (2009, 2010, 2011, 2012)]
    >>> table = pd.DataFrame(rows, columns=["area_id", "year", "indicator", "value"])
    >>> result = evaluate(table, treated=["A", "B"], start=2010, end=2012,
    ...                   n_boot=99, n_perm=99)
    >>> round(float(result.estimates["estimate"].iloc[0]), 6)
    2.0
    """
    if end < start:
        raise InputError(
            f"the programme ends ({end}) before it starts ({start}).",
            source="period",
            hint="give the first and the last programme year.",
        )
    if isinstance(comparison, str) and comparison not in METHODS:
        raise InputError(
            f"unknown comparison {comparison!r}.",
            source="comparison",
            hint="use 'rest', 'matched', 'synthetic' or a list of area ids.",
        )
    if weighting not in ("equal", "denominator"):
        raise InputError(
            f"unknown weighting {weighting!r}.",
            source="weighting",
            hint="use 'equal' or 'denominator'.",
        )
    table = check_table(indicators)
    source = source_of(indicators, "indicators")
    rows_in = len(table)
    if areas is not None:
        table = table[table[AREA_ID].isin(areas[AREA_ID].astype(str))]
    n_outside = rows_in - len(table)
    table = table[~table[AREA_ID].isin([str(e) for e in exclude])]
    prog = Programme(
        treated_ids(treated, pd.Index(table[AREA_ID].unique()), source),
        start,
        end,
        start_is_baseline,
    )
    table, scales = outcomes(table, counts=counts, shrink=shrink)
    settings = _Settings(comparison, n_matches, n_boot, n_perm, level, seed, weighting)
    notes: list[tuple[str, dict[str, Any]]] = [("note", {"text": n}) for n in extra_notes]
    parts: dict[str, list[Any]] = {
        k: []
        for k in (
            "estimates",
            "event_study",
            "pretrend",
            "placebo",
            "balance",
            "matches",
            "changes",
            "series",
        )
    }
    base_years: list[int] = []
    for ind, part in table.groupby(INDICATOR, sort=False):
        result = _one_indicator(part, prog, settings, scales[str(ind)], notes)
        base_years += result["base"]
        for key in ("estimates", "event_study", "placebo"):
            parts[key] += result[key]
        parts["pretrend"].append(result["pretrend"])
        parts["balance"].append(result["balance"])
        parts["matches"].append(result["matches"])
        parts["changes"].append(area_changes(part, prog, result, scales[str(ind)]))
        parts["series"].append(group_paths(part, prog, result["group"], scales[str(ind)]))
    changes = pd.concat(parts["changes"], ignore_index=True)
    pop = check_population(population)
    if pop is not None:
        changes = changes.merge(population_columns(pop, prog, base_years), on=AREA_ID, how="left")
    if areas is not None and NAME in areas:
        names = areas.set_index(areas[AREA_ID].astype(str))[NAME]
        changes.insert(1, NAME, changes[AREA_ID].map(names))
    panel = table[[INDICATOR, AREA_ID, YEAR, "y", NUMERATOR, DENOMINATOR, VALUE]].rename(
        columns={"y": "value", VALUE: "raw_value"}
    )
    report = StageReport(stage="evaluate", source=source, rows_in=rows_in, rows_out=len(changes))
    report.drop("area not among the boundaries", n_outside)
    report.drop("area excluded", rows_in - n_outside - len(table))
    return Evaluation(
        programme=prog,
        changes=changes,
        series=pd.concat(parts["series"], ignore_index=True),
        panel=panel,
        estimates=pd.DataFrame(parts["estimates"]),
        event_study=pd.DataFrame(parts["event_study"]).sort_values([INDICATOR, YEAR]),
        pretrend=pd.DataFrame(parts["pretrend"]),
        placebo=pd.DataFrame(parts["placebo"]),
        balance=pd.concat(parts["balance"], ignore_index=True),
        matches=pd.concat(parts["matches"], ignore_index=True),
        scales=scales,
        labels={str(k): str(v) for k, v in (labels or {}).items()},
        level=level,
        notes=notes,
        areas=areas,
        report=report,
    )
