"""Long tables of indicators by area and year: checks, phases and outcomes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geoloft.columns import AREA_ID
from geoloft.errors import InputError, SchemaError
from geoloft.report import source_of
from geoloft.score import eb_shrink

YEAR: Final = "year"
INDICATOR: Final = "indicator"
NUMERATOR: Final = "numerator"
DENOMINATOR: Final = "denominator"
VALUE: Final = "value"
#: Population columns of the optional population table (persons).
POP_TOT: Final = "pop_tot"
POP_CHILDREN: Final = "pop_0_17"
POP_ELDERLY: Final = "pop_67_plus"

PHASES: Final = ("before", "during", "after")


@dataclass(frozen=True)
class Programme:
    """The intervention areas and the years the programme ran (first and last, inclusive)."""

    treated: tuple[str, ...]
    start: int
    end: int
    start_is_baseline: bool = True

    def phase(self, years: pd.Series) -> pd.Series:
        """Return ``before``/``during``/``after`` for each year."""
        first_during = self.start + 1 if self.start_is_baseline else self.start
        out = np.where(
            years < first_during, "before", np.where(years <= self.end, "during", "after")
        )
        return pd.Series(out, index=years.index)


def check_table(table: pd.DataFrame) -> pd.DataFrame:
    """Validate a long indicator table and return a clean copy (one row per key)."""
    source = source_of(table, "indicators")
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"indicators must be a DataFrame, got {type(table).__name__}.")
    missing = [c for c in (AREA_ID, YEAR, INDICATOR) if c not in table.columns]
    has_rate = NUMERATOR in table.columns and DENOMINATOR in table.columns
    if missing or not (has_rate or VALUE in table.columns):
        need = missing or ["numerator and denominator, or value"]
        raise SchemaError(
            f"the long table lacks {', '.join(need)}; it has {', '.join(map(str, table.columns))}.",
            source=source,
            hint="give one row per area, year and indicator: area_id, year, indicator, "
            "numerator + denominator (counts) or value.",
        )
    out = table.copy()
    out[AREA_ID] = out[AREA_ID].astype(str)
    out[INDICATOR] = out[INDICATOR].astype(str)
    years = pd.to_numeric(out[YEAR], errors="coerce")
    bad = years.isna() | (years != years.round())
    if bad.any():
        raise SchemaError(
            "years that are not whole numbers.",
            source=source,
            column=YEAR,
            rows=[str(v) for v in out.loc[bad, YEAR][:5]],
            n_rows=int(bad.sum()),
            hint="write years as 2007, 2008, ...",
        )
    out[YEAR] = years.astype(np.int64)
    for col in (NUMERATOR, DENOMINATOR, VALUE):
        if col not in out:
            out[col] = np.nan
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(np.float64)
    dup = out.duplicated([AREA_ID, YEAR, INDICATOR], keep=False)
    if dup.any():
        rows = out.loc[dup, [AREA_ID, YEAR, INDICATOR]].astype(str).agg("/".join, axis=1)
        raise SchemaError(
            "more than one row for the same area, year and indicator.",
            source=source,
            rows=list(dict.fromkeys(rows))[:5],
            n_rows=int(dup.sum()),
            hint="sum the rows per area, year and indicator first.",
        )
    negative = (out[[NUMERATOR, DENOMINATOR]] < 0).any(axis=1)
    if negative.any():
        raise InputError(
            "negative counts.",
            source=source,
            column=NUMERATOR,
            rows=[str(i) for i in out.index[negative][:5]],
            n_rows=int(negative.sum()),
            hint="numerator and denominator are counts of persons or households.",
        )
    return out


def outcomes(
    table: pd.DataFrame, *, counts: Collection[str], shrink: float | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Add the analysed outcome ``y`` and return the scale of each indicator.

    Rates are ``100 * numerator / denominator`` (per cent); indicators listed in
    ``counts`` are analysed as ``log(value)`` (effects in log points, about per
    cent); other values as they are. With ``shrink``, rates of area-years with
    a denominator under it are pulled toward the year's rate over all areas by
    empirical Bayes (:func:`geoloft.score.eb_shrink`, the scoring stage's
    small-number rule).
    """
    out = table.copy()
    scales: dict[str, str] = {}
    y = np.full(len(out), np.nan)
    for ind, rows in out.groupby(INDICATOR, sort=False).groups.items():
        part = out.loc[rows]
        pos = out.index.get_indexer(rows)
        if part[DENOMINATOR].notna().any():
            num = part[NUMERATOR].to_numpy(np.float64)
            den = part[DENOMINATOR].to_numpy(np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                rate = np.where(den > 0, num / den, np.nan)
            if shrink is not None:
                rate = _shrink(rate, num, den, part[YEAR].to_numpy(), shrink)
            y[pos] = 100.0 * rate
            scales[str(ind)] = "percent"
        elif str(ind) in counts:
            v = part[VALUE].to_numpy(np.float64)
            with np.errstate(invalid="ignore", divide="ignore"):
                y[pos] = np.where(v > 0, np.log(v), np.nan)
            scales[str(ind)] = "log"
        else:
            y[pos] = part[VALUE].to_numpy(np.float64)
            scales[str(ind)] = "value"
    out["y"] = y
    return out, scales


def _shrink(
    rate: np.ndarray, num: np.ndarray, den: np.ndarray, years: np.ndarray, limit: float
) -> np.ndarray:
    out = rate.copy()
    for year in np.unique(years):
        sel = years == year
        eb = eb_shrink(num[sel], den[sel])
        small = sel & (den < limit) & ~np.isnan(rate)
        out[small] = eb[small[sel]]
    return out


def level(frame: pd.DataFrame, scale: str) -> float:
    """Level of a group of area-years: pooled counts for rates, mean otherwise."""
    if scale == "percent":
        den = frame[DENOMINATOR].sum(min_count=1)
        return float(100.0 * frame[NUMERATOR].sum(min_count=1) / den) if den > 0 else np.nan
    if scale == "log":
        return float(frame[VALUE].mean())
    return float(frame[VALUE].mean())


def check_population(population: pd.DataFrame | None) -> pd.DataFrame | None:
    """Validate the optional population table (``area_id``, ``year``, ``pop_tot`` ...)."""
    if population is None:
        return None
    missing = [c for c in (AREA_ID, YEAR, POP_TOT) if c not in population.columns]
    if missing:
        raise SchemaError(
            f"the population table lacks {', '.join(missing)}.",
            source=source_of(population, "population"),
            hint="give area_id, year, pop_tot and, for the composition, pop_0_17 and "
            "pop_67_plus (persons).",
        )
    out = population.copy()
    out[AREA_ID] = out[AREA_ID].astype(str)
    out[YEAR] = pd.to_numeric(out[YEAR]).astype(np.int64)
    for col in (POP_TOT, POP_CHILDREN, POP_ELDERLY):
        if col in out:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype(np.float64)
    return out


def treated_ids(ids: Sequence[str], known: pd.Index, source: str) -> tuple[str, ...]:
    """Check the intervention area ids against the table's ids."""
    treated = tuple(dict.fromkeys(str(i) for i in ids))
    unknown = [i for i in treated if i not in known]
    if not treated or unknown:
        raise InputError(
            "intervention areas not found in the indicator table."
            if unknown
            else "no intervention areas given.",
            source=source,
            column=AREA_ID,
            rows=unknown,
            hint=f"use ids from the table, such as {', '.join(map(str, known[:4]))}.",
        )
    return treated
