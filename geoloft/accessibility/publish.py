"""Disclosure control of the access figures: the one place they meet :mod:`geoloft.disclosure`.

Rules, on top of the row rule every geoloft output follows (cells and areas
under the threshold show no figure):

- areas: under the threshold, every figure is withheld; a count of residents
  within reach (or beyond it) that is above 0 but under the threshold is
  withheld together with its share;
- cells: the population under the threshold is withheld (SSB's rule);
  distances and facility counts describe places, not persons, and stay;
- new sites: a count of persons added or served above 0 but under the
  threshold is withheld.

A zero is published: it reveals no person.

Counts of persons (an area's population, persons within reach, persons a new
site adds) are then published rounded to :data:`~geoloft.disclosure.protect.ROUNDING`
persons, as the run's area populations are, and shares and facilities per
1,000 residents are computed from the rounded counts: an area's count minus its
published cells then leaves an interval, not a hidden cell's value.

In a run, the figures then join the run's disclosure model
(:mod:`geoloft.disclosure.access_rows`): each count is a sum of grid cells, and
secondary suppression hides more cells, or withholds an access figure, where the
published ones would still narrow a hidden count.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft import columns as C
from geoloft.accessibility._inputs import (
    MEAN_DIST,
    N_FACILITIES,
    PER_1000,
    POP_UNREACHABLE,
    pop_within,
    share_within,
)
from geoloft.disclosure import DEFAULT_THRESHOLD, suppress
from geoloft.disclosure.protect import ROUNDING

__all__ = ["publish_areas", "publish_cells", "publish_sites", "publish_totals"]

_RULE = "_access_rule"


def _small_counts(
    frame: pd.DataFrame, pairs: Sequence[tuple[str, Sequence[str]]], threshold: int
) -> pd.DataFrame:
    """Withhold each count in 1..threshold-1 together with the columns derived from it."""
    out = frame.copy()
    for count, derived in pairs:
        if count not in out.columns:
            continue
        values = pd.to_numeric(out[count], errors="coerce")
        rule = values.where(values != 0, float(threshold))  # a zero reveals no one
        part = pd.DataFrame({_RULE: rule, count: values}, index=out.index)
        for col in derived:
            part[col] = out[col]
        hidden = suppress(part, columns=[count, *derived], pop=_RULE, threshold=threshold)
        for col in (count, *derived):
            out[col] = hidden[col]
    return out


def publish_areas(
    areas: gpd.GeoDataFrame,
    thresholds: Sequence[int],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    rounding: int = ROUNDING,
) -> gpd.GeoDataFrame:
    """Return the per-area summary as it may leave the tool.

    Parameters
    ----------
    areas
        From :func:`~geoloft.accessibility.access_by_area`.
    thresholds
        The distance thresholds (metres) of its columns.
    threshold
        Disclosure threshold (persons).
    rounding
        Published counts are rounded to this many persons (0: not rounded).

    Returns
    -------
    geopandas.GeoDataFrame
        Areas under ``threshold`` persons keep id, name and geometry only and are
        flagged ``suppressed``; small counts elsewhere are withheld with their share;
        counts are rounded and shares computed from the rounded counts.
    """
    figures = [MEAN_DIST, C.N_CELLS, POP_UNREACHABLE, PER_1000]
    figures += [c for t in thresholds for c in (pop_within(t), share_within(t))]
    present = [c for c in figures if c in areas.columns]
    out = suppress(areas, columns=present, pop=C.POP_TOT, threshold=threshold)
    pairs = [(pop_within(t), [share_within(t)]) for t in thresholds]
    pairs.append((POP_UNREACHABLE, []))
    out = _small_counts(out, pairs, threshold)
    # Residents beyond reach = total - within: withhold the share and count when that is small.
    for t in thresholds:
        beyond = out[C.POP_TOT] - out[pop_within(t)]
        small = (beyond > 0) & (beyond < threshold)
        out.loc[small, [pop_within(t), share_within(t)]] = np.nan
    if rounding:
        counts = [C.POP_TOT, POP_UNREACHABLE, *(pop_within(t) for t in thresholds)]
        for col in (c for c in counts if c in out.columns):
            out[col] = _rounded(out[col], rounding)
        total = out[C.POP_TOT].where(out[C.POP_TOT] > 0)
        for t in thresholds:
            share = 100.0 * out[pop_within(t)] / total
            out[share_within(t)] = share.where(out[share_within(t)].notna())
        if PER_1000 in out.columns and N_FACILITIES in out.columns:
            per_1000 = 1000.0 * pd.to_numeric(out[N_FACILITIES], errors="coerce") / total
            out[PER_1000] = per_1000.where(out[PER_1000].notna())
    return out


def _rounded(values: pd.Series, rounding: int) -> pd.Series:
    """Round counts to the nearest ``rounding`` persons (NaN stays NaN)."""
    return (pd.to_numeric(values, errors="coerce") / rounding).round() * rounding


def publish_cells(
    cells: gpd.GeoDataFrame, *, pop: str = C.POP_TOT, threshold: int = DEFAULT_THRESHOLD
) -> gpd.GeoDataFrame:
    """Return the cells with the population of cells under ``threshold`` withheld."""
    return suppress(cells, columns=[], pop=pop, threshold=threshold)


def publish_sites(
    sites: gpd.GeoDataFrame, *, threshold: int = DEFAULT_THRESHOLD, rounding: int = ROUNDING
) -> gpd.GeoDataFrame:
    """Return the new sites with counts of persons in 1..threshold-1 withheld, others rounded."""
    from geoloft.accessibility.siting import POP_ADDED, POP_SERVED

    out = _small_counts(sites, [(POP_ADDED, []), (POP_SERVED, [])], threshold)
    for col in (POP_ADDED, POP_SERVED):
        if rounding and col in out.columns:
            out[col] = _rounded(out[col], rounding)
    return out


def publish_totals(
    notes: dict[str, float],
    thresholds: Sequence[int],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    rounding: int = ROUNDING,
) -> dict[str, float]:
    """Return the run's totals (``persons``, ``persons within <t> m``) as they may be shown.

    The total and each count within reach follow the area rules: a total under
    ``threshold`` hides everything; a count (or its remainder) in 1..threshold-1 is NaN.
    """
    keys = [f"persons within {t} m" for t in thresholds]
    row = pd.DataFrame({C.POP_TOT: [notes["persons"]], **{k: [notes[k]] for k in keys}})
    renamed = row.rename(columns=dict(zip(keys, (pop_within(t) for t in thresholds), strict=True)))
    for t in thresholds:
        renamed[share_within(t)] = np.nan
    out = publish_areas(renamed, thresholds, threshold=threshold, rounding=rounding)
    result = {"persons": float(out[C.POP_TOT].iloc[0])}
    result.update(
        {k: float(out[pop_within(t)].iloc[0]) for k, t in zip(keys, thresholds, strict=True)}
    )
    return result
