"""The result of an evaluation: tables, notes and what was compared."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from geoloft.evaluation._panel import Programme
from geoloft.report import StageReport

__all__ = ["Evaluation"]


@dataclass
class Evaluation:
    """What :func:`evaluate` found, as tables (one row per figure) and notes.

    Attributes
    ----------
    programme
        Intervention area ids, first and last programme year.
    changes
        One row per area and indicator: ``group`` (``intervention``,
        ``comparison`` or ``other``), the level ``before``, ``during`` and
        ``after`` the programme (rates in per cent: pooled counts over the
        phase's years; values: their mean), the change from before
        (``change_during``, ``change_after``: percentage points, or per cent
        for counts) and the change relative to the comparison group
        (``relative_during``, ``relative_after``), the counts behind the
        levels, and the population and its composition (``pop_before``,
        ``pop_after``, ``pop_change_pct``, ``children_before``/``_after`` and
        ``elderly_before``/``_after`` in per cent) when a population table was
        given.
    series
        Yearly group paths per indicator (``intervention``, ``comparison``),
        for the trend charts, and every area's path (``panel``).
    estimates
        Difference-in-differences per indicator and phase (``during``,
        ``after``) with the wild-cluster-bootstrap interval (``low``,
        ``high``), p-values (bootstrap, cluster-robust t, permutation over
        placebo areas), the permutation interval and the share of placebo
        area sets a cluster-robust test calls significant (``placebo_size``);
        for a synthetic control also Abadie's placebo-in-space test
        (``rmspe_ratio``, ``p_synthetic``).
    event_study
        Yearly effects relative to the last baseline year, with intervals.
    pretrend
        Joint test that the yearly effects before the programme are zero.
    placebo
        Fake programme years inside the baseline period.
    balance
        Pre-period level and trend of both groups and their standardised gap.
    matches
        Matched neighbours (with distances) or synthetic-control weights.
    notes
        What the reader must know (a late baseline, the rules of the inputs),
        as text keys with their fields; :func:`note_lines` words them.
    """

    programme: Programme
    changes: pd.DataFrame
    series: pd.DataFrame
    panel: pd.DataFrame
    estimates: pd.DataFrame
    event_study: pd.DataFrame
    pretrend: pd.DataFrame
    placebo: pd.DataFrame
    balance: pd.DataFrame
    matches: pd.DataFrame
    scales: dict[str, str]
    labels: dict[str, str]
    level: float
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    areas: gpd.GeoDataFrame | None = None
    report: StageReport | None = None
