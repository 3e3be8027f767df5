"""Protect a set of layers as one publication: primary, then secondary suppression.

:func:`protect_layers` is what every command that writes statistics calls (through
:func:`geoloft.pipeline.publish.published` for runs): it builds the linear model of
everything in the layers, applies the primary rule of :mod:`geoloft.disclosure.rules`,
chooses secondary suppression and withholds the chosen figures in copies of the layers.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft import columns as C
from geoloft.disclosure.access_rows import hold_means, release_means, withhold_access
from geoloft.disclosure.model import GRID_COUNTS, Rate, System, build_system
from geoloft.disclosure.rules import (
    MIN_THRESHOLD,
    WARN_THRESHOLD,
    primary_counts,
    primary_numerators,
    protection_width,
)
from geoloft.disclosure.secondary import protect_system
from geoloft.errors import InputError

if TYPE_CHECKING:
    from geoloft.disclosure.joint import Publication

__all__ = ["ROUNDING", "Protection", "check_threshold", "protect_layers"]

#: Area and zone populations are published rounded to this many persons.
ROUNDING = 10


@dataclass
class Protection:
    """The protected layers and what was hidden."""

    layers: dict[str, gpd.GeoDataFrame]
    notes: dict[str, Any] = field(default_factory=dict)
    system: System | None = None


def check_threshold(threshold: int, *, allow_tiny: bool = False, stacklevel: int = 2) -> None:
    """Warn below 10 persons; refuse below 3 unless ``allow_tiny``.

    Raises
    ------
    InputError
        If ``threshold < 3`` and ``allow_tiny`` is false, or ``threshold < 1``.
    """
    if threshold < 1 or (threshold < MIN_THRESHOLD and not allow_tiny):
        raise InputError(
            f"a disclosure threshold of {threshold} person(s) publishes counts of "
            f"{max(threshold, 1)}-9 persons.",
            source="disclosure_threshold",
            hint="use 10 (SSB's limit); a threshold of 1 or 2 also needs "
            "allow_tiny_threshold = true (CLI: --allow-tiny-threshold)."
            if threshold >= 1
            else "use 10 (SSB's limit).",
        )
    if threshold < WARN_THRESHOLD:
        warnings.warn(
            f"disclosure threshold {threshold} is below SSB's 10 persons: counts of "
            f"{threshold}-9 persons will be published.",
            UserWarning,
            stacklevel=stacklevel,
        )


def _primary(
    system: System,
    layers: Mapping[str, gpd.GeoDataFrame],
    threshold: int,
    area_pop: np.ndarray | None,
    rates: list[Rate],
    zone_pop: np.ndarray | None = None,
) -> np.ndarray:
    """Set the primary hidden variables and figures; return the hidden areas (bool).

    ``area_pop`` and ``zone_pop`` are the populations before rounding: a zone of 6-9
    persons is small even though it is published rounded to 10.
    """
    x = system.x
    grid = layers.get("grid")
    g = system.layer == "grid"
    if grid is not None and g.any():
        tot = g & (system.column == C.POP_TOT)
        small_cell = np.zeros(len(grid), dtype=bool)
        small_cell[system.row[tot]] = primary_counts(x[tot], threshold)
        for col in GRID_COUNTS:
            sel = g & (system.column == col)
            system.hidden[sel] = primary_counts(x[sel], threshold) | small_cell[system.row[sel]]
    areas = layers.get("areas")
    hidden_areas = np.zeros(0 if areas is None else len(areas), dtype=bool)
    if areas is not None:
        if area_pop is not None:
            hidden_areas = primary_counts(np.asarray(area_pop, dtype=np.float64), threshold)
        a = system.layer == "areas"
        for rel in rates:
            n = a & (system.column == rel.numerator)
            d = a & (system.column == rel.denominator)
            if not n.any() or not d.any():
                continue
            hide_n, hide_d = primary_numerators(x[n], x[d], threshold)
            system.hidden[np.flatnonzero(n)] |= hide_n | hidden_areas[system.row[n]]
            system.hidden[np.flatnonzero(d)] |= hide_d | hidden_areas[system.row[d]]
        system.hidden &= ~np.isnan(x)
        fa = (system.fig_layer == "areas") & (system.fig_row >= 0)
        system.fig_hidden[fa] |= hidden_areas[system.fig_row[fa]]
    if zone_pop is not None:
        small = primary_counts(np.asarray(zone_pop, dtype=np.float64), threshold)
        fz = (system.fig_layer == "intervention_areas") & (system.fig_row >= 0)
        system.fig_hidden[fz] |= small[system.fig_row[fz]]
    return hidden_areas


def _hidden_rates(system: System, rates: list[Rate]) -> None:
    """Hide every rate figure in which a count is hidden."""
    is_rate = system.fig_kind == "rate"
    touches = (abs(system.A) @ system.hidden.astype(np.float64)) > 0
    system.fig_hidden[is_rate & (system.fig_layer != "") & touches] = True
    del rates


def _blank(frame: gpd.GeoDataFrame, rows: np.ndarray, columns: Iterable[str]) -> None:
    cols = [c for c in columns if c in frame.columns]
    if not cols or not rows.size:
        return
    index = frame.index[rows]
    for col in cols:
        if pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col]):
            frame[col] = frame[col].astype("float64")
        else:
            frame[col] = frame[col].astype(object)
        frame.loc[index, col] = np.nan


def _write_back(system: System, layers: dict[str, gpd.GeoDataFrame], rates: list[Rate]) -> None:
    """Withhold every hidden variable and figure in the layers (copies)."""
    areas = layers.get("areas")
    if areas is not None:
        for rel in rates:
            sel = (system.layer == "areas") & system.hidden
            sel &= np.isin(system.column, [rel.numerator, rel.denominator])
            _blank(areas, np.unique(system.row[sel]), [f"{rel.id}_rate", f"{rel.id}_std"])
    for name in ("grid", "areas"):
        frame = layers.get(name)
        if frame is None:
            continue
        sel = (system.layer == name) & system.hidden
        for col in np.unique(system.column[sel]):
            rows = system.row[sel & (system.column == col)]
            _blank(frame, rows, [col])
        if name == "grid" and C.POP_TOT in frame.columns:
            _blank(frame, np.flatnonzero(frame[C.POP_TOT].isna().to_numpy()), [C.POP_AVE])
    for name in ("areas", "intervention_areas"):
        frame = layers.get(name)
        if frame is None:
            continue
        sel = (system.fig_layer == name) & system.fig_hidden & (system.fig_row >= 0)
        for col in np.unique(system.fig_column[sel]):
            rows = np.unique(system.fig_row[sel & (system.fig_column == col)])
            extra = [col, col.replace("_rate", "_std")] if col.endswith("_rate") else [col]
            _blank(frame, rows, extra)


def protect_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    threshold: int,
    rates: Iterable[Rate] = (),
    totals: Mapping[str, Any] | None = None,
    references: Mapping[str, float] | None = None,
    area_pop: np.ndarray | None = None,
    rounding: int = ROUNDING,
    join_method: str = "area",
    published_with: Sequence[Publication] = (),
    access: Mapping[str, Any] | None = None,
) -> Protection:
    """Return copies of ``layers`` with primary and secondary suppression applied.

    Parameters
    ----------
    layers
        ``areas``, ``grid``, ``intervention_areas`` with their true values.
    threshold
        Persons; see :mod:`geoloft.disclosure.rules`.
    rates
        The indicators whose counts the areas carry.
    totals, references
        Study-area totals and reference rates that the run also publishes.
    area_pop
        Persons per area for the area rule (default: the areas' ``pop_tot``).
    rounding
        Area and zone populations (estimates from exact area shares of grid cells) are
        published rounded to this many persons; 0 publishes them unrounded.
    join_method
        How the areas' populations were summed from cells (``"area"``, ``"centroid"``).
    published_with
        Earlier runs published alongside (:func:`geoloft.disclosure.joint.read_publications`):
        protection is chosen on the joint model, hiding only this run's figures.
    access
        The run record's access notes (thresholds, totals): with the ``access_*``
        layers (after their row rule and rounding) the access figures join the model
        and may be withheld (:mod:`geoloft.disclosure.access_rows`).

    Returns
    -------
    Protection
        The layers with hidden figures set to missing, and notes (counts, persons
        hidden, seconds) for the run record.
    """
    start = time.perf_counter()
    rates = list(rates)
    out = {k: v.copy() for k, v in layers.items() if v is not None}
    areas = out.get("areas")
    if area_pop is None and areas is not None and C.POP_TOT in areas.columns:
        area_pop = pd.to_numeric(areas[C.POP_TOT], errors="coerce").to_numpy()
    zones = out.get("intervention_areas")
    zone_pop = None
    if zones is not None and C.POP in zones.columns:
        zone_pop = pd.to_numeric(zones[C.POP], errors="coerce").to_numpy()
    for name, col in (("areas", C.POP_TOT), ("intervention_areas", C.POP)):
        frame = out.get(name)
        if frame is not None and col in frame.columns and rounding:
            values = pd.to_numeric(frame[col], errors="coerce")
            frame[col] = (values / rounding).round() * rounding
    system = build_system(
        out,
        rates=rates,
        totals=totals,
        references=references,
        known=True,
        blocks=True,
        threshold=threshold,
        rounding=float(rounding),
        join_method=join_method,
        access=access,
    )
    hidden_areas = _primary(system, out, threshold, area_pop, rates, zone_pop)
    primary = system.hidden.copy()
    figs_before = system.fig_hidden.copy()
    width = protection_width(threshold)
    held = hold_means(system)
    if published_with:
        from geoloft.disclosure.joint import protect_jointly

        stats = protect_jointly(system, published_with, threshold=threshold, width=width)
    else:  # jointly, the access means stay withheld: the joint audit has run without them
        stats = protect_system(system, threshold=threshold, width=width)
        release_means(system, held, threshold=threshold, width=width, audit=bool(stats["audited"]))
    _hidden_rates(system, rates)
    _write_back(system, out, rates)
    access_withheld = withhold_access(system, out)
    x = np.nan_to_num(system.x)
    secondary = system.hidden & ~primary
    notes = {
        "threshold": int(threshold),
        "protection_width": width,
        "population_rounding": int(rounding),
        "counts": int(system.n_vars),
        "figures": int(system.A.shape[0]),
        "primary_hidden": int(primary.sum()),
        "primary_areas": int(hidden_areas.sum()),
        "secondary_hidden": int(secondary.sum()),
        "persons_hidden_primary": float(round(x[primary].sum(), 1)),
        "persons_hidden_secondary": float(round(x[secondary].sum(), 1)),
        "figures_withheld": int((system.fig_hidden & ~figs_before).sum()),
        "audited_in_protection": bool(stats["audited"]),
        "rates": {r.id: [r.numerator, r.denominator, r.scale] for r in rates},
        **({"published_with": stats["published_with"]} if published_with else {}),
        **({"access_totals_withheld": access_withheld} if access_withheld else {}),
        "seconds": round(time.perf_counter() - start, 3),
    }
    return Protection(layers=out, notes=notes, system=system)
