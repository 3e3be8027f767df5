"""Read indicator tables per area (delbydel, bydel, grunnkrets, kommune).

An indicator table holds one row per area and numeric columns: counts
(numerators and denominators), rates or means. Tables come as CSV (any
separator, UTF-8 with or without BOM or Latin-1) or as Excel workbooks (.xlsx,
.xls) from SSB's statistikkbank, Oslo kommune's statistikkbank and similar.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path

import pandas as pd

from geoloft._io import (
    TABLE_SUFFIXES,
    existing_file,
    is_workbook,
    parse_numbers,
    read_text_table,
    read_workbook,
)
from geoloft._validate import Problems, clean_text
from geoloft._where import describe, row_mask
from geoloft.columns import AREA_ID, NAME, SSB_MISSING_MARKERS
from geoloft.errors import InputError, SchemaError
from geoloft.indicators._keys import (
    ID_KEYS,
    attach_areas,
    check_areas,
    check_duplicates,
    key_column,
    match_mode,
    name_column,
    warn_dropped,
)
from geoloft.report import StageReport, attach_report

__all__ = ["read_indicators"]

#: Other identifier-like columns, dropped rather than parsed as numbers.
_ID_LIKE = re.compile(r"(^|_)(id|nr|nummer|kode|code)$", re.IGNORECASE)


def read_indicators(
    path: str | os.PathLike[str],
    *,
    key: str | None = None,
    areas: pd.DataFrame | None = None,
    sheet: str | int | None = None,
    columns: Collection[str] | None = None,
    name_key: bool = False,
    where: Mapping[str, object] | str | None = None,
) -> pd.DataFrame:
    r"""Read a table of indicators per area from CSV, XLSX or XLS.

    Parameters
    ----------
    path
        CSV or text table (any of ``;`` ``,`` tab ``|`` or whitespace as
        separator; UTF-8, UTF-8 with BOM or Latin-1), ``.xlsx`` or ``.xls``. In
        workbooks the first row of the sheet names the columns.
    key
        Column holding the area key. ``None`` detects one of ``area_id``,
        ``delbydel_id``, ``delbydelid``, ``delbydel``, ``grunnkretsnummer``,
        ``bydel_id``, ``kommunenummer``, … (case-insensitive; finest level
        first). Ids stay text with leading zeros (``"0301"``); Oslo kommune's
        10-digit delbydel ids (``"0301010101"``) are kept as they are: take
        the last four digits to match the 4-digit ``DELBYDEL`` codes.
    areas
        Areas (``area_id`` and, to match names, ``name``) the table belongs to.
        When given, rows whose key matches no area are dropped, and they and
        the areas without a row are listed in the report and a warning. Keys
        match either ids or names (case and whitespace ignored), whichever
        matches more rows. Digit keys shorter than the areas' fixed-width ids
        are zero-padded (Excel drops leading zeros).
    sheet
        Sheet name or 0-based index in a workbook; ``None`` is the first.
    columns
        Value columns to read; ``None`` reads every numeric column. Text
        columns and other identifier columns are dropped (listed in the
        report).
    name_key
        Match the key column to ``areas`` by name rather than by id. Needs
        ``areas``.
    where
        Select rows before checking keys, such as ``{"aar": 2017}`` for one
        year of a table holding several; a value may be a list of allowed
        values. Numbers compare as numbers, text as stripped text; column names
        match case-insensitively. A string is a pandas query expression
        (``"aar == 2017 and kjoenn == 'Begge kjønn'"``). The same filter is
        ``--where aar=2017`` on the command line and ``where = { aar = 2017 }``
        under ``[inputs.indicators]`` in a project file.

    Returns
    -------
    pandas.DataFrame
        ``area_id`` (str), ``name`` (str) when the table has a name column,
        then the value columns as float64. SSB's missing symbols (``.``,
        ``:``, ``..``, ``-``) and empty cells are NaN, counted per column in
        the report (``attrs["report"]``, a :class:`~geoloft.report.StageReport`).
        Norwegian numbers (``1 234,5``) are read right.

    Warns
    -----
    UserWarning
        When rows are dropped for an empty key (such as bydel and total rows
        in a delbydel table) or a key matching no area, with counts and ids.
        Areas without a row are only reported, unless rows were dropped too.

    Raises
    ------
    InputError
        Missing, empty or header-only file; unknown format; values that are
        neither numbers nor missing symbols (the error names column and rows).
    SchemaError
        No key column (the error lists the columns), duplicated keys, missing
        ``columns`` or ``where`` columns.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = pathlib.Path(tmp) / "t.csv"
    ...     _ = f.write_text("delbydel_id;lavinntekt\n0101;1 234,5\n0102;.\n", encoding="utf-8")
    ...     t = read_indicators(f)
    >>> t.to_dict("list")
    {'area_id': ['0101', '0102'], 'lavinntekt': [1234.5, nan]}
    >>> t.attrs["report"].notes["suppressed"]
    {'lavinntekt': 1}
    """
    src = existing_file(path, what="indicator table")
    check_areas(areas, name_key=name_key)
    report = StageReport("read_indicators", source=str(src))
    table = _read_any(src, sheet=sheet)
    report.rows_in = len(table)
    if where:
        table = _select_rows(table, where, src, report)
    key_col = key_column(table, key, name_key=name_key, source=src)
    report.notes["key column"] = key_col
    keys, cleaned = clean_text(
        table[key_col].str.strip(), source=src, column=key_col, labels=list(table.index + 1)
    )
    report.notes.update(cleaned)
    empty = keys == ""
    if empty.any():
        report.drop("empty key", int(empty.sum()))
        report.notes["rows with empty key"] = (table.index[empty] + 1).tolist()
        table, keys = table[~empty], keys[~empty]
    by_name, keys = match_mode(
        keys, areas, name_key=name_key, explicit=key is not None, source=src, report=report
    )
    check_duplicates(keys, table, source=src, column=key_col, by_name=by_name)
    name_col = key_col if by_name else name_column(table, key_col)
    ids = keys if areas is None else attach_areas(keys, areas, by_name=by_name, report=report)
    values = _value_columns(table, key_col, name_col, columns, src, report, kept=ids.notna())
    out = pd.DataFrame({AREA_ID: ids}, index=table.index)
    if name_col is not None:
        out[NAME], cleaned = clean_text(
            table[name_col].str.strip(), source=src, column=name_col, labels=list(table.index + 1)
        )
        report.notes.update(cleaned)
    out = pd.concat([out, values], axis=1)
    out = out[out[AREA_ID].notna()].reset_index(drop=True)
    out[AREA_ID] = out[AREA_ID].astype(str)
    report.rows_out = len(out)
    warn_dropped(report, src)
    return attach_report(out, report)


# -- reading -------------------------------------------------------------------------------


def _read_any(src: Path, *, sheet: str | int | None) -> pd.DataFrame:
    """Read a CSV or workbook into a frame of strings, indexed by data row position."""
    if is_workbook(src):
        table = read_workbook(src, sheet=sheet)
    elif sheet is not None:
        raise InputError(
            "sheet= applies to workbooks only.", source=src, hint="leave sheet out for CSV files."
        )
    elif src.suffix.lower() not in TABLE_SUFFIXES:
        raise InputError(
            f"unknown table format '{src.suffix}'.",
            source=src,
            hint="save the table as CSV (.csv, .txt, .tsv) or Excel (.xlsx, .xls).",
        )
    else:
        table = read_text_table(src)
    if len(table) == 0:
        raise InputError(
            "the table has a header but no data rows.",
            source=src,
            hint="export the table again with its rows.",
        )
    return table.fillna("").astype(str)


# -- rows and values ------------------------------------------------------------------------


def _select_rows(
    table: pd.DataFrame, where: Mapping[str, object] | str, source: Path, report: StageReport
) -> pd.DataFrame:
    keep = row_mask(table, where, source=source, section="indicators")
    report.drop(f"not selected by {describe(where)}", int((~keep).sum()))
    report.notes["where"] = where if isinstance(where, str) else dict(where)
    return table[keep]


def _value_columns(
    table: pd.DataFrame,
    key_col: str,
    name_col: str | None,
    columns: Collection[str] | None,
    source: Path,
    report: StageReport,
    *,
    kept: pd.Series,
) -> pd.DataFrame:
    """Parse the value columns as numbers; collect every bad value, raise once.

    Every row is checked; missing values are counted in the rows ``kept``.
    """
    if columns is not None:
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise SchemaError(
                f"missing column(s) {', '.join(missing)}; the table has: "
                f"{', '.join(table.columns)}.",
                source=source,
                hint="fix columns= or the table header.",
            )
        candidates = list(columns)
    else:
        candidates = [c for c in table.columns if c not in (key_col, name_col)]
    problems = Problems(source=source)
    parsed, suppressed, empty, constant, dropped = {}, {}, {}, {}, []
    for col in candidates:
        text = table[col].str.strip()
        result = parse_numbers(text)
        is_text = result.bad_rows.size > 0 and result.values.notna().sum() == 0
        if columns is None and (_ID_LIKE.search(col) or col.casefold() in ID_KEYS or is_text):
            dropped.append(col)
            if is_text and text.nunique() == 1:  # such as a source or "synthetic data" note
                constant[col] = text.iloc[0]
            continue
        if result.bad_rows.size:
            bad = result.bad_rows
            shown = ", ".join(repr(v) for v in pd.unique(text.iloc[bad])[:5])
            problems.add(
                f"non-numeric values ({shown}).",
                column=col,
                rows=(table.index[bad] + 1).tolist(),
                n_rows=bad.size,
                hint="correct them, or use SSB's '.' or ':' for missing values; "
                "rows count from 1 below the header.",
            )
            continue
        parsed[col] = result.values
        n_marker = int((text.isin(SSB_MISSING_MARKERS) & kept).sum())
        n_empty = int(((text == "") & kept).sum())
        if n_marker:
            suppressed[col] = n_marker
        if n_empty:
            empty[col] = n_empty
    problems.raise_if_any()
    report.notes["suppressed"] = suppressed
    report.notes["empty"] = empty
    if dropped:
        report.notes["columns not read (identifiers or text)"] = dropped
    if constant:
        report.notes["constant text columns"] = constant
    return pd.DataFrame(parsed, index=table.index, dtype="float64")
