"""Validate an indicator table against a catalogue and turn it into arrays.

Counts, then rates: rates are computed here from the numerator and
denominator columns (or a value and its population), the reference rate is
pooled over the table (``Σ numerator / Σ denominator``) unless given, and
small denominators are shrunk toward it.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoloft._io import parse_numbers
from geoloft._validate import Problems, check_unique
from geoloft.columns import AREA_ID, NAME, POP_TOT
from geoloft.errors import InputError, SchemaError
from geoloft.indicators.catalogue import Catalogue, Indicator, default_catalogue, load_catalogue
from geoloft.score.shrinkage import bayes_shrink
from geoloft.sensitive import check_criteria

CatalogueLike = Catalogue | Sequence[Indicator] | str | os.PathLike[str] | None
ReferenceLike = Mapping[str, float] | pd.Series | None


@dataclass(frozen=True, eq=False)
class Prepared:
    """A validated table as arrays; indicator axis follows ``catalogue`` (m)."""

    index: pd.Index
    area_id: np.ndarray  # (n,) str
    name: np.ndarray | None  # (n,) str, when the table has a name column
    catalogue: Catalogue  # indicators present in the table, context ones included
    scored: np.ndarray  # (m,) bool: part of the index
    raw: np.ndarray  # (n, m) proportions (rates) or levels, before shrinkage
    den: np.ndarray  # (n, m) persons behind each value, NaN when unknown
    is_rate: np.ndarray  # (m,) bool: shares of a population
    ref: np.ndarray  # (m,) reference, internal units
    ref_given: np.ndarray  # (m,) bool
    pop: np.ndarray  # (n,) area population (NaN unknown)
    weight: np.ndarray  # (n, m) weights of the reference: persons behind a value, else residents
    pop_source: str  # where pop comes from: a column name, or "largest denominator"
    source: str
    skipped: tuple[str, ...]  # default-catalogue indicators without columns

    @property
    def scale(self) -> np.ndarray:
        """Factor from internal units to each indicator's unit."""
        return np.array([i.scale for i in self.catalogue])

    @property
    def scored_catalogue(self) -> Catalogue:
        """The indicators that enter the index."""
        return Catalogue(tuple(i for i in self.catalogue if not i.context_only))


def resolve_catalogue(catalogue: CatalogueLike) -> tuple[Catalogue, bool]:
    """Return the catalogue and whether indicators without columns may be skipped."""
    if catalogue is None:
        return default_catalogue(), True
    if isinstance(catalogue, Catalogue):
        return catalogue, False
    if isinstance(catalogue, str | os.PathLike):
        return load_catalogue(catalogue), False
    if isinstance(catalogue, Sequence):
        # mypy 2.4 puts str (handled above) back in when narrowing to Sequence; other
        # mypy versions may not, hence unused-ignore
        return Catalogue(tuple(catalogue)), False  # type: ignore[arg-type, unused-ignore]
    raise TypeError(
        "catalogue must be a Catalogue, a sequence of Indicator, a TOML path or None, "
        f"not {type(catalogue).__name__}"
    )


def prepare(
    table: pd.DataFrame,
    catalogue: CatalogueLike,
    *,
    reference: ReferenceLike = None,
    weights: Mapping[str, float] | None = None,
    pop: str | None = None,
    allow_sensitive: bool = False,
    source: str = "table",
) -> Prepared:
    """Validate ``table`` against ``catalogue`` and return :class:`Prepared` arrays."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a pandas DataFrame, not {type(table).__name__}")
    cat, lenient = resolve_catalogue(catalogue)
    _refuse_sensitive(cat, weights, allow_sensitive)
    if weights is not None:
        cat = cat.with_weights(weights)
    if AREA_ID not in table.columns:
        raise SchemaError(
            f"no '{AREA_ID}' column; the table has: {', '.join(map(str, table.columns))}.",
            source=source,
            hint=f"rename the id column to '{AREA_ID}' (CLI: --key COLUMN).",
        )
    blank = table[AREA_ID].isna().to_numpy() | (table[AREA_ID].astype(str).str.strip() == "")
    if blank.any():
        raise SchemaError(
            "empty area ids.",
            source=source,
            column=AREA_ID,
            rows=list(np.flatnonzero(blank) + 1),
            n_rows=int(blank.sum()),
            hint="give every row an id, or drop rows that belong to no area.",
        )
    ids = table[AREA_ID].astype(str)
    check_unique(ids, source=source, column=AREA_ID)
    cat, skipped = _present(cat, table, lenient, source)
    values = _numbers(table, cat, ids, source)
    raw, den = _arrays(cat, values)
    area_pop, pop_source = _population(table, pop, den, source)
    weight = reference_weights(den, area_pop)
    ref, ref_given = _reference(cat, raw, weight, reference)
    return Prepared(
        index=table.index,
        area_id=ids.to_numpy(dtype=object),
        name=table[NAME].astype(str).to_numpy(dtype=object) if NAME in table else None,
        catalogue=cat,
        scored=np.array([not i.context_only for i in cat]),
        raw=raw,
        den=den,
        is_rate=np.array([i.is_rate for i in cat]),
        ref=ref,
        ref_given=ref_given,
        pop=area_pop,
        weight=weight,
        pop_source=pop_source,
        source=source,
        skipped=skipped,
    )


def _refuse_sensitive(cat: Catalogue, weights: Mapping[str, float] | None, allow: bool) -> None:
    """Refuse sensitive indicators as criteria (scored, or given a weight) unless allowed."""
    criteria = [i for i in cat if not i.context_only or (weights and i.id in weights)]
    marked = {i.id: str(i.sensitive_theme) for i in criteria if i.is_sensitive}
    check_criteria(
        list(marked),
        allow=allow,
        source="catalogue" if not weights else "catalogue, weights",
        marked=marked,
        hint="set context_only = true to show them as context only (and give them no "
        "weight); if a legal basis and an assessment exist, pass allow_sensitive=True "
        "(CLI: --allow-sensitive; project file: [score] allow_sensitive = true), which is "
        "recorded in the run report.",
    )


def _present(
    cat: Catalogue, table: pd.DataFrame, lenient: bool, source: str
) -> tuple[Catalogue, tuple[str, ...]]:
    problems = Problems(source=source, error=SchemaError)
    keep, skipped = [], []
    cols = [str(c) for c in table.columns]
    for ind in cat:
        missing = [c for c in ind.columns if c not in table.columns]
        if not missing:
            keep.append(ind)
        elif lenient and len(missing) == len(ind.columns):
            skipped.append(ind.id)
        else:
            near = [difflib.get_close_matches(c, cols, n=1) for c in missing]
            means = "; ".join(
                f"'{c}' -> '{n[0]}'?" for c, n in zip(missing, near, strict=True) if n
            )
            problems.add(
                f"indicator '{ind.id}' needs column(s) {', '.join(missing)}, not in the table"
                + (f" (did you mean {means})" if means else ""),
                hint="rename the columns or edit the catalogue.",
            )
    problems.raise_if_any()
    if not keep:
        raise SchemaError(
            "none of the catalogue's indicators has its columns in the table.",
            source=source,
            hint=f"the default catalogue reads {', '.join(cat.columns)}; pass a catalogue "
            "that names your columns (CLI: --catalogue FILE).",
        )
    if not any(not i.context_only for i in keep):
        raise InputError(
            "every indicator present is context_only; nothing to score.",
            source=source,
            hint="mark at least one indicator as scored.",
        )
    return Catalogue(tuple(keep), source=cat.source), tuple(skipped)


def _numbers(
    table: pd.DataFrame, cat: Catalogue, ids: pd.Series, source: str
) -> dict[str, np.ndarray]:
    problems = Problems(source=source, error=SchemaError)
    out = {}
    for col in cat.columns:
        parsed = parse_numbers(table[col])
        if len(parsed.bad_rows):
            problems.add(
                "values that are not numbers",
                column=col,
                rows=list(ids.iloc[parsed.bad_rows]),
                n_rows=len(parsed.bad_rows),
                hint="fix or blank them (empty cells and SSB markers are missing).",
            )
        out[col] = parsed.values.to_numpy(dtype=float)
    for ind in cat:
        _check_ranges(ind, out, ids, problems)
    problems.raise_if_any()
    return out


def _check_ranges(
    ind: Indicator, values: dict[str, np.ndarray], ids: pd.Series, problems: Problems
) -> None:
    def bad(mask: np.ndarray, column: str, what: str, hint: str) -> None:
        if mask.any():
            rows = list(ids.iloc[np.flatnonzero(mask)])
            problems.add(what, column=column, rows=rows, n_rows=len(rows), hint=hint)

    for col in (ind.numerator, ind.denominator, ind.population):
        if col:
            bad(values[col] < 0, col, "negative counts.", "counts must be >= 0.")
    if ind.from_counts:
        assert ind.numerator is not None
        assert ind.denominator is not None
        bad(
            values[ind.numerator] > values[ind.denominator],
            ind.numerator,
            f"numerator larger than the denominator '{ind.denominator}'.",
            "check that the columns are the right way round.",
        )
    elif ind.is_rate and ind.value:
        v = values[ind.value]
        bad(
            (v < 0) | (v > ind.scale),
            ind.value,
            f"values outside 0–{ind.scale:g} {ind.unit}.",
            "check the unit of the indicator in the catalogue.",
        )


def _arrays(cat: Catalogue, values: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    raw, den = [], []
    for ind in cat:
        if ind.from_counts:
            assert ind.numerator is not None
            assert ind.denominator is not None
            d = values[ind.denominator]
            with np.errstate(invalid="ignore", divide="ignore"):
                raw.append(np.where(d > 0, values[ind.numerator] / d, np.nan))
            den.append(np.where(d > 0, d, np.nan))
        else:
            assert ind.value
            v = values[ind.value] / (ind.scale if ind.is_rate else 1.0)
            p = values[ind.population] if ind.population else np.full(len(v), np.nan)
            raw.append(np.where(p == 0, np.nan, v))
            den.append(np.where(p > 0, p, np.nan))
    return np.column_stack(raw), np.column_stack(den)


def reference_weights(den: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """Weights of each area in an indicator's reference: population-weighted wherever known.

    The persons behind the value (denominator, or the indicator's population
    column); for a value without its own population, the area's residents;
    equal weights only when neither is known for any area.
    """
    no_den = np.all(np.isnan(den), axis=0)
    residents = np.where(pop > 0, pop, np.nan)
    w = np.where(no_den, residents[:, None], den)
    return np.where(np.all(np.isnan(w), axis=0), 1.0, w)


def pooled(raw: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Population-weighted mean over axis -2 (``Σ num / Σ den``); equal weights without den."""
    no_pop = np.all(np.isnan(den), axis=-2, keepdims=True)
    w = np.where(no_pop, 1.0, den)
    ok = ~np.isnan(raw) & ~np.isnan(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(np.where(ok, raw * w, 0.0), axis=-2) / np.sum(np.where(ok, w, 0.0), axis=-2)


def _reference(
    cat: Catalogue, raw: np.ndarray, weight: np.ndarray, reference: ReferenceLike
) -> tuple[np.ndarray, np.ndarray]:
    ref = pooled(raw, weight)
    given = np.zeros(len(cat), dtype=bool)
    if reference is None:
        return ref, given
    mapping = dict(reference.items())
    unknown = [k for k in mapping if k not in cat]
    if unknown:
        near = {k: difflib.get_close_matches(str(k), cat.ids, n=1) for k in unknown}
        raise InputError(
            f"reference names unknown indicators: {', '.join(map(str, unknown))}"
            + "".join(f" ('{k}': did you mean '{n[0]}'?)" for k, n in near.items() if n)
            + ".",
            source="reference",
            hint=f"use indicator ids present in the table: {', '.join(cat.ids)}.",
        )
    for j, ind in enumerate(cat):
        if ind.id in mapping:
            value = float(mapping[ind.id])
            if not np.isfinite(value) or value < 0:
                raise InputError(
                    f"reference for '{ind.id}' is {value!r}.",
                    source="reference",
                    hint=f"give a rate >= 0 in {ind.unit}.",
                )
            ref[j], given[j] = value / ind.scale, True
    return ref, given


def _population(
    table: pd.DataFrame, pop: str | None, den: np.ndarray, source: str
) -> tuple[np.ndarray, str]:
    """Residents per area and where they come from (a column, else the largest denominator)."""
    column = pop if pop is not None else (POP_TOT if POP_TOT in table.columns else None)
    if column is None:
        largest = np.fmax.reduce(den, axis=1) if den.shape[1] else np.full(len(den), np.nan)
        return largest, LARGEST_DENOMINATOR
    if column not in table.columns:
        raise SchemaError(
            f"population column '{column}' is not in the table.",
            source=source,
            column=column,
            hint="name an existing column with pop=.",
        )
    parsed = parse_numbers(table[column])
    if len(parsed.bad_rows):
        raise SchemaError(
            "values that are not numbers.",
            source=source,
            column=column,
            rows=list(table[AREA_ID].astype(str).iloc[parsed.bad_rows]),
            hint="fix or blank them.",
        )
    return parsed.values.to_numpy(dtype=float), column


#: ``Prepared.pop_source`` when the table has no residents column.
LARGEST_DENOMINATOR = "largest denominator"


def smooth(
    raw: np.ndarray, den: np.ndarray, is_rate: np.ndarray, shrink: bool | None
) -> tuple[np.ndarray, np.ndarray]:
    """Shrink every rate with a known denominator toward its table's pooled rate.

    Uses :func:`~geoloft.score.shrinkage.bayes_shrink`: smooth in the
    denominator (no cut-off), the between-area spread integrated over its
    posterior. The prior mean is the pooled rate of the table's areas, never
    a reference supplied for comparison. Returns the rates and a boolean
    array of the values that were shrunk.
    """
    cols = is_rate & ~np.all(np.isnan(den), axis=0)
    if not shrink or not cols.any():
        return raw, np.zeros(raw.shape, dtype=bool)
    out = raw.copy()
    out[:, cols] = bayes_shrink(raw[:, cols] * den[:, cols], den[:, cols])
    mask = np.zeros(raw.shape, dtype=bool)
    mask[:, cols] = ~np.isnan(raw[:, cols]) & ~np.isnan(den[:, cols])
    return out, mask
