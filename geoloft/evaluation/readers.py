"""Readers of tables over time: long (or wide) indicator tables, SSB population by age."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from geoloft._io import (
    existing_file,
    is_workbook,
    parse_numbers,
    read_text_table,
    read_workbook,
    utf8_or_latin1,
)
from geoloft.columns import AREA_ID, POP_TOT
from geoloft.errors import InputError, SchemaError
from geoloft.evaluation._panel import DENOMINATOR, INDICATOR, NUMERATOR, VALUE, YEAR
from geoloft.report import StageReport, attach_report

__all__ = ["read_long_table", "read_population_by_age"]


def read_long_table(
    path: str | os.PathLike[str],
    *,
    columns: Mapping[str, str] | None = None,
    indicator: str | None = None,
    sheet: str | int | None = None,
    wide: bool = False,
) -> pd.DataFrame:
    r"""Read a long table of indicators by area and year (CSV, XLSX or XLS).

    Parameters
    ----------
    path
        Delimited text (any separator geoloft detects; UTF-8 or Latin-1) or a
        workbook.
    columns
        Map from the file's column names to ``area_id``, ``year``,
        ``indicator``, ``label`` (the indicator's display name), ``numerator``,
        ``denominator`` or ``value``; columns already named so need no entry.
    indicator
        Indicator id for every row, when the file has no ``indicator`` column.
    sheet
        Sheet of a workbook.
    wide
        The file has one column per year (``2007``, ``Persons 2007``,
        ``pop_2007`` ...: the first four-digit year in the name): they become
        ``year`` and ``value`` rows.

    Returns
    -------
    pandas.DataFrame
        ``area_id`` (text, leading zeros kept), ``year`` (int), ``indicator``
        and the count or value columns as float64; SSB's missing markers are
        NaN (counted in the report in ``attrs["report"]``).

    Raises
    ------
    SchemaError
        If a needed column is missing (the file's columns are listed).
    InputError
        If a value is neither a number nor a missing marker.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("bydel;aar;antall\n0301;2007;1 234\n")
    >>> read_long_table(folder / "t.csv", columns={"bydel": "area_id", "aar": "year",
    ...                 "antall": "value"}, indicator="pop")
      area_id  year   value indicator
    0    0301  2007  1234.0       pop
    """
    src = existing_file(path, what="long table")
    raw = read_workbook(src, sheet=sheet) if is_workbook(src) else read_text_table(src)
    frame = raw.rename(columns=dict(columns or {}))
    if wide:
        frame = _melt_years(frame, src)
    has_counts = NUMERATOR in frame and DENOMINATOR in frame
    need = [c for c in (AREA_ID, YEAR) if c not in frame]
    if not has_counts and VALUE not in frame:
        need.append("numerator + denominator or value")
    if INDICATOR not in frame and indicator is None:
        need.append("indicator (or pass indicator=)")
    if need:
        raise SchemaError(
            f"the table lacks {', '.join(need)}; it has {', '.join(map(str, raw.columns))}.",
            source=src,
            hint="name them with columns={'file column': 'area_id', ...}.",
        )
    report = StageReport(stage="read_long_table", source=str(src), rows_in=len(frame))
    keep = [
        c for c in (AREA_ID, YEAR, INDICATOR, "label", NUMERATOR, DENOMINATOR, VALUE) if c in frame
    ]
    out = frame[keep].copy()
    out[AREA_ID] = out[AREA_ID].astype(str).str.strip()
    for col in [c for c in (YEAR, NUMERATOR, DENOMINATOR, VALUE) if c in out]:
        parsed = parse_numbers(out[col])
        if len(parsed.bad_rows):
            raise InputError(
                "values that are neither numbers nor missing markers.",
                source=src,
                column=col,
                rows=[str(out[col].iloc[i]) for i in parsed.bad_rows[:5]],
                n_rows=len(parsed.bad_rows),
                hint="use numbers, or SSB's '.' / ':' for missing.",
            )
        out[col] = parsed.values
        report.notes.setdefault("missing", {})[col] = int(parsed.suppressed.sum())
    out = out[out[YEAR].notna()]
    out[YEAR] = out[YEAR].astype(np.int64)
    if indicator is not None and INDICATOR not in out:
        out[INDICATOR] = indicator
    report.rows_out = len(out)
    report.drop("no year", len(frame) - len(out))
    return attach_report(out.reset_index(drop=True), report)


def _melt_years(frame: pd.DataFrame, src: Path) -> pd.DataFrame:
    """Turn one column per year into ``year`` and ``value`` rows."""
    years = frame.columns.astype(str).str.extract(r"((?:19|20)\d\d)")[0]
    year_cols = [c for c, y in zip(frame.columns, years, strict=True) if isinstance(y, str)]
    if not year_cols:
        raise SchemaError(
            f"no column names a year; the table has {', '.join(map(str, frame.columns))}.",
            source=src,
            hint="name the year columns with the year (2007, 'Persons 2007', ...).",
        )
    names = dict(zip(frame.columns, years, strict=True))
    long = frame.melt(
        id_vars=[c for c in frame.columns if c not in year_cols],
        value_vars=year_cols,
        var_name=YEAR,
        value_name=VALUE,
    )
    long[YEAR] = long[YEAR].map(names)
    return long


def read_population_by_age(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read SSB's population by region, single year of age and year (table 10826 layout).

    The file has title lines, then ``region;age;Persons 2001;…``; regions are
    ``"<code><letters> <name> (<years valid>)"`` such as ``"030112a Alna"`` or
    ``"030101 Bygdøy-Frogner (1988-2003)"``; ages ``"0 years"`` …
    ``"105 years or older"``; years outside a code's validity hold 0.

    Parameters
    ----------
    path
        The CSV (UTF-8 or Latin-1, ``;``-separated).

    Returns
    -------
    pandas.DataFrame
        Long table ``area_id`` (the digits of the code), ``name``, ``valid``
        (the years in brackets, ``""`` for codes in use), ``year``,
        ``pop_tot``, ``pop_0_17`` and ``pop_67_plus`` (persons). Region-years
        with no persons (outside the code's validity) are left out. Codes
        reused after a boundary reform (Oslo's 1988–2003 bydeler) keep their
        ``valid`` label: never pool them with the codes in use.

    Raises
    ------
    SchemaError
        If no ``region``/``age`` header or ``Persons <year>`` columns are found.
    """
    src = existing_file(path, what="population table")
    raw = src.read_bytes()
    lines = raw.decode(utf8_or_latin1(raw)).lstrip("\ufeff").splitlines()
    start = next((i for i, line in enumerate(lines) if line.lower().startswith('"region"')), None)
    if start is None:
        raise SchemaError(
            'no header line starting with "region".',
            source=src,
            hint="export SSB table 10826 (or alike) as CSV with region and age.",
        )
    frame = pd.read_csv(io.StringIO("\n".join(lines[start:])), sep=";", dtype={"region": str})
    years = {c: int(c.split()[-1]) for c in frame.columns if str(c).lower().startswith("persons")}
    if not years:
        raise SchemaError("no 'Persons <year>' columns.", source=src, hint="check the export.")
    parts = frame["region"].str.extract(r"^(\d+)[a-z]*\s+(.*?)\s*(?:\((\d{4}-\d{0,4})\))?$")
    frame["area_id"], frame["name"], frame["valid"] = parts[0], parts[1], parts[2].fillna("")
    frame["age_years"] = frame["age"].str.extract(r"^(\d+)")[0].astype(float)
    long = frame.melt(
        id_vars=["area_id", "name", "valid", "age_years"],
        value_vars=list(years),
        var_name=YEAR,
        value_name="persons",
    )
    long[YEAR] = long[YEAR].map(years)
    long["persons"] = pd.to_numeric(long["persons"], errors="coerce")
    long["child"] = long["persons"].where(long["age_years"] <= 17, 0.0)
    long["old"] = long["persons"].where(long["age_years"] >= 67, 0.0)
    keys = [AREA_ID, "name", "valid", YEAR]
    out = long.groupby(keys, sort=True)[["persons", "child", "old"]].sum().reset_index()
    out = out.rename(columns={"persons": POP_TOT, "child": "pop_0_17", "old": "pop_67_plus"})
    out = out[out[POP_TOT] > 0].reset_index(drop=True)
    return out
