"""Measure columns: Norwegian and English names, ids, years, budgets, categories."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoloft._io import parse_numbers
from geoloft._validate import Problems, check_unique
from geoloft.columns import (
    BUDGET,
    CATEGORY,
    END_YEAR,
    MEASURE_ID,
    NAME,
    SOURCE,
    SSB_MISSING_MARKERS,
    START_YEAR,
    STATUS,
)
from geoloft.errors import SchemaError
from geoloft.report import StageReport

#: Column spellings (lower case, spaces as ``_``) recognised for each canonical column.
ALIASES: dict[str, tuple[str, ...]] = {
    MEASURE_ID: (MEASURE_ID, "tiltak_id", "tiltaksid", "tiltaksnr", "tiltak_nr", "id", "nr"),
    NAME: (NAME, "navn", "tiltak", "tiltaksnavn", "tittel", "title"),
    CATEGORY: (CATEGORY, "kategori", "type", "tiltakstype"),
    STATUS: (STATUS,),
    START_YEAR: (
        START_YEAR,
        "startår",
        "start_år",
        "startaar",
        "start_aar",
        "start",
        "fra",
        "fra_år",
        "from",
        "from_year",
    ),
    END_YEAR: (
        END_YEAR,
        "sluttår",
        "slutt_år",
        "sluttaar",
        "slutt_aar",
        "slutt",
        "til",
        "til_år",
        "to",
        "end",
        "to_year",
    ),
    BUDGET: (BUDGET, "budsjett", "kostnad", "kostnader", "cost", "budsjett_nok", "beløp"),
}
#: Known categories (any case, Norwegian or English) -> canonical Norwegian value.
CATEGORIES = {
    "fysisk": "fysisk",
    "physical": "fysisk",
    "sosial": "sosial",
    "social": "sosial",
    "kulturell": "kulturell",
    "cultural": "kulturell",
}
_YEAR = re.compile(r"^(?:(\d{4})(?:[-./]\d{1,2}){0,2}|\d{1,2}\.\d{1,2}\.(\d{4}))$")


#: Keys of ``columns=`` naming a canonical column ("id" is short for measure_id).
COLUMN_KEYS: dict[str, str] = {"id": MEASURE_ID, **{c: c for c in ALIASES}}
#: Keys of ``columns=`` naming coordinate columns (lon/lat: degrees, EPSG:4326 by default).
COORDINATE_KEYS = ("x", "y", "lon", "lat")


@dataclass(frozen=True)
class ColumnMap:
    """A file's column mapping, checked: canonical column -> file column (None: absent)."""

    given: dict[str, str | None] = field(default_factory=dict)
    x: str | None = None
    y: str | None = None
    degrees: bool = False


def column_map(
    columns: Mapping[str, str | None] | None,
    *,
    x: str | None,
    y: str | None,
    id_column: str | None,
    source: Path,
) -> ColumnMap:
    """Check ``columns=`` (and the older ``x``, ``y``, ``id_column``); raise naming bad keys."""
    columns = dict(columns or {})
    allowed = [*COLUMN_KEYS, *COORDINATE_KEYS]
    unknown = [str(k) for k in columns if k not in allowed]
    if unknown:
        raise SchemaError(
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
            "in the column mapping.",
            source=source,
            hint=f"map these keys to the file's columns: {', '.join(allowed)} "
            '(e.g. columns={"name": "navn", "category": "kategori"}; None: the file has none).',
        )
    for key, value in columns.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"columns[{key!r}] must be a column name (str) or None, not {value!r}")
    given = {COLUMN_KEYS[k]: v for k, v in columns.items() if k in COLUMN_KEYS}
    if id_column is not None:
        if given.get(MEASURE_ID, id_column) != id_column:
            raise SchemaError(
                f"two id columns: id_column={id_column!r} and columns['id']={given[MEASURE_ID]!r}.",
                source=source,
                hint="name the id column once.",
            )
        given[MEASURE_ID] = id_column
    lonlat = [columns.get("lon"), columns.get("lat")]
    xy = [columns.get("x", x), columns.get("y", y)]
    if any(lonlat) and any(xy):
        raise SchemaError(
            "both lon/lat and x/y coordinate columns are named.",
            source=source,
            hint="name one pair: lon/lat for degrees, x/y for projected metres (with crs=).",
        )
    if any(lonlat):
        return ColumnMap(given, lonlat[0], lonlat[1], degrees=True)
    return ColumnMap(given, xy[0], xy[1])


def _key(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip().casefold())


def find(columns: pd.Index, names: tuple[str, ...]) -> str | None:
    keys = {_key(c): c for c in columns}
    return next((keys[n] for n in names if n in keys), None)


def named(frame: pd.DataFrame, name: str, what: str, source: Path) -> str:
    hit = name if name in frame.columns else find(frame.columns, (_key(name),))
    if hit is None:
        raise SchemaError(
            f"no column {name!r} (named for {what}); the file has: "
            f"{', '.join(str(c) for c in frame.columns if c != 'geometry')}.",
            source=source,
            hint=f"name one of these columns for {what}.",
        )
    return str(hit)


def rename(
    frame: gpd.GeoDataFrame, *, given: Mapping[str, str | None], source: Path, report: StageReport
) -> gpd.GeoDataFrame:
    """Rename recognised columns to canonical names; add the absent ones as missing.

    ``given`` maps canonical columns to the file's columns (None: the file has
    none, so no column is guessed); the others are found by their usual names.
    """
    mapping: dict[str, str] = {}
    for canonical, column in given.items():
        if column is not None:
            key = "id" if canonical == MEASURE_ID else canonical
            mapping[named(frame, column, repr(key), source)] = canonical
    for canonical, names in ALIASES.items():
        if canonical in mapping.values() or canonical in given:
            continue
        taken = [*mapping, frame.geometry.name, *report.notes.get("coordinate columns", [])]
        free = frame.columns.difference(taken)
        hit = find(free, names)
        if hit is not None:
            mapping[hit] = canonical
    clash = [c for c in frame.columns if (c in ALIASES or c == SOURCE) and c not in mapping]
    frame = frame.rename(columns={c: f"{c}_original" for c in clash}).rename(columns=mapping)
    report.notes["columns"] = {str(k): v for k, v in mapping.items() if str(k) != v}
    absent = [c for c in ALIASES if c not in frame.columns]
    if absent:
        report.notes["columns not in file"] = absent
    for col in absent:
        frame[col] = pd.Series(pd.NA, index=frame.index, dtype="object")
    return frame


def _id_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 12.0 from a GeoPackage float column
    return str(value).strip()


def measure_ids(values: pd.Series, *, source: Path, report: StageReport) -> pd.Series:
    """Ids as text; missing ones made from the row number (M001, …)."""
    text = values.map(_id_text)
    empty = text.eq("").to_numpy()
    if empty.any():
        width = max(3, len(str(len(values))))
        made = [f"M{i + 1:0{width}d}" for i in np.flatnonzero(empty)]
        text = text.where(~empty, pd.Series(made, index=values.index[empty]))
        report.notes["generated ids"] = {"count": len(made), "examples": made[:10]}
    check_unique(text, source=source, column=MEASURE_ID)
    return text.astype(str)


def parse_values(frame: gpd.GeoDataFrame, *, source: Path, report: StageReport) -> gpd.GeoDataFrame:
    """Parse years, budget and category; collect every bad value and raise once."""
    problems = Problems(source=source)
    rows = frame.index.to_numpy() + 1
    frame = frame.copy()
    for col in (START_YEAR, END_YEAR):
        years, bad = _years(frame[col])
        if bad.any():
            problems.add(
                f"not a year ({_shown(frame[col][bad])}).",
                column=col,
                rows=rows[bad].tolist(),
                hint="write years as 2024.",
            )
        frame[col] = years
    late = (frame[START_YEAR] > frame[END_YEAR]).fillna(False).to_numpy(dtype=bool)
    if late.any():
        problems.add(
            "the start year is after the end year.",
            column=START_YEAR,
            rows=rows[late].tolist(),
            hint="swap or correct the years.",
        )
    budget = _text(frame[BUDGET]).str.replace(
        r"(?i)^(nok|kr\.?)\s*|\s*(nok|kr\.?|,-|\.-)$", "", regex=True
    )
    parsed = parse_numbers(budget)
    bad = np.zeros(len(frame), dtype=bool)
    bad[parsed.bad_rows] = True
    bad |= (parsed.values < 0).to_numpy()
    if bad.any():
        problems.add(
            f"not an amount in NOK ({_shown(frame[BUDGET][bad])}).",
            column=BUDGET,
            rows=rows[bad].tolist(),
            hint="write amounts as 1 500 000.",
        )
    problems.raise_if_any()
    frame[BUDGET] = parsed.values.to_numpy()
    category = _text(frame[CATEGORY])
    known = category.str.casefold().map(CATEGORIES)
    unknown = sorted(set(category[known.isna() & category.ne("")]))
    if unknown:
        report.notes["other categories"] = unknown[:20]
    # pandas-stubs reject pd.NA as the replacement value for text; pandas takes it
    frame[CATEGORY] = known.fillna(category).replace("", pd.NA)  # type: ignore[call-overload]
    for col in (MEASURE_ID, NAME, STATUS):
        frame[col] = _text(frame[col]).replace("", pd.NA)
    return frame


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().fillna("").astype(str)


def _shown(values: pd.Series) -> str:
    return ", ".join(repr(v) for v in pd.unique(values.astype(str))[:5])


def _years(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Return years as Int64 and a mask of values that are not years."""
    text = _text(values)
    missing = text.isin(SSB_MISSING_MARKERS | {""}).to_numpy()
    parts = text.str.extract(_YEAR)
    year = pd.to_numeric(parts[0].fillna(parts[1]), errors="coerce")
    numeric = pd.to_numeric(text, errors="coerce")  # 2024.0 from GeoPackage floats
    whole = numeric.where(numeric.mod(1).eq(0))
    year = year.fillna(whole)
    plausible = year.between(1800, 2200)
    bad = ~missing & ~plausible.to_numpy()
    return year.where(plausible).astype("Int64"), bad
