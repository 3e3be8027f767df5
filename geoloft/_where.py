"""Row filters (``where``): one word and one behaviour in Python, the CLI and the project file.

A filter is a mapping of column to wanted value (or list of values)::

    where = {"aar": 2017}                        # Python
    --where aar=2017                             # command line (repeatable)
    [inputs.indicators] where = { aar = 2017 }   # project file

or, for boundary files, an attribute expression in pandas' query syntax
(``"kommunenummer == '0301' and bydelsnr != '030117'"``). How to write the fix
in an error message depends on where the user is: :func:`where_example` gives it
for the surface that is active (:func:`using_surface`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from geoloft.errors import InputError, SchemaError

__all__ = ["Surface", "describe", "row_mask", "using_surface", "where_example"]

Surface = Literal["python", "cli", "project"]
_SURFACE: ContextVar[Surface] = ContextVar("geoloft_surface", default="python")

#: Where a where-filter is written in the project file, per input kind.
PROJECT_SECTION = {
    "indicators": "[inputs.indicators]",
    "boundaries": "[study_area]",
    "measures": "[[inputs.measures]]",
}


@contextlib.contextmanager
def using_surface(surface: Surface) -> Iterator[None]:
    """Say, for the duration of a ``with`` block, where the user works (for error hints).

    Examples
    --------
    >>> with using_surface("cli"):
    ...     where_example("aar", 2017)
    '--where aar=2017'
    >>> where_example("aar", 2017)
    "where={'aar': 2017}"
    """
    token = _SURFACE.set(surface)
    try:
        yield
    finally:
        _SURFACE.reset(token)


def where_example(column: str, value: object, *, section: str = "indicators") -> str:
    """Return how to select rows where ``column`` is ``value``, written for the active surface.

    Examples
    --------
    >>> with using_surface("project"):
    ...     where_example("aar", 2017)
    '[inputs.indicators] where = { aar = 2017 }'
    """
    surface = _SURFACE.get()
    if surface == "cli":
        return f"--where {column}={value}"
    if surface == "project":
        shown = value if isinstance(value, int | float) else f'"{value}"'
        key = column if column.isidentifier() else f'"{column}"'
        return f"{PROJECT_SECTION.get(section, '')} where = {{ {key} = {shown} }}".strip()
    return f"where={{{column!r}: {value!r}}}"


def _wanted(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple | set | frozenset) else [value]


def _column_mask(column: pd.Series, wanted: list[object]) -> np.ndarray:
    """Rows whose value equals one of ``wanted`` as text, or as a number where both are numbers."""
    text = column.astype("string").str.strip()
    mask = text.isin([str(v).strip() for v in wanted]).fillna(False).to_numpy(dtype=bool).copy()
    numbers = [float(v) for v in wanted if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers:
        as_number = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        mask |= as_number.isin(numbers).to_numpy(dtype=bool)
    return mask


def _mapping_mask(
    table: pd.DataFrame, where: Mapping[str, object], source: str | Path, section: str
) -> np.ndarray:
    keep = np.ones(len(table), dtype=bool)
    lookup = {str(c).casefold(): c for c in table.columns}
    for col, value in where.items():
        name = col if col in table.columns else lookup.get(str(col).casefold())
        if name is None:
            raise SchemaError(
                f"no column {col!r} to select rows by; the file has: "
                f"{', '.join(map(str, table.columns))}.",
                source=source,
                hint="fix the column name, e.g. "
                f"{where_example('COLUMN', 'VALUE', section=section)}.",
            )
        mask = _column_mask(table[name], _wanted(value))
        if not mask.any():
            present = ", ".join(map(str, pd.unique(table[name].astype("string").str.strip())[:10]))
            raise InputError(
                f"no rows where {name} is {value!r}; values present: {present}.",
                source=source,
                column=str(name),
                hint="choose a value that occurs (text values are compared as written, "
                "leading zeros included).",
            )
        keep &= mask
    return keep


def _as_numbers(column: pd.Series) -> pd.Series:
    """Text columns of plain numbers become numbers (codes with leading zeros stay text)."""
    if pd.api.types.is_numeric_dtype(column):
        return column
    text = column.astype("string").str.strip()
    if text.str.match(r"^0\d").fillna(False).any():
        return column
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
    converts = numbers.notna() | text.isna() | (text == "")
    return numbers if converts.all() and numbers.notna().any() else column


def _query_mask(table: pd.DataFrame, expression: str, source: str | Path) -> np.ndarray:
    frame = table.reset_index(drop=True)
    frame = frame.assign(**{str(c): _as_numbers(frame[c]) for c in frame.columns})
    try:
        picked = frame.query(expression, engine="python")
    except Exception as err:  # pandas raises many kinds for a bad expression
        raise InputError(
            f"cannot evaluate the filter {expression!r}: {err}.",
            source=source,
            hint="write it as in pandas' DataFrame.query, e.g. \"kommunenummer == '0301'\"; "
            f"columns: {', '.join(map(str, table.columns))}.",
        ) from None
    mask = np.zeros(len(frame), dtype=bool)
    mask[picked.index.to_numpy()] = True
    return mask


def row_mask(
    table: pd.DataFrame,
    where: Mapping[str, object] | str,
    *,
    source: str | Path,
    section: str = "indicators",
) -> np.ndarray:
    """Return the boolean mask of the rows of ``table`` that ``where`` selects.

    Parameters
    ----------
    table
        The rows to filter (columns as read from the file).
    where
        Column -> value (or list of values), compared as text and, where both are numbers,
        as numbers; column names match case-insensitively. A string is an expression in
        pandas' :meth:`~pandas.DataFrame.query` syntax.
    source
        The file the rows came from (for error messages).
    section
        The kind of input, for the project-file form of the fix in error messages.

    Returns
    -------
    numpy.ndarray
        One boolean per row.

    Raises
    ------
    SchemaError
        A named column is not in the table.
    InputError
        A value selects no row, or the expression cannot be evaluated.

    Examples
    --------
    >>> t = pd.DataFrame({"aar": ["2016", "2017"], "bydel": ["01", "02"]})
    >>> row_mask(t, {"aar": 2017}, source="t.csv").tolist()
    [False, True]
    >>> row_mask(t, "bydel == '01'", source="t.csv").tolist()
    [True, False]
    """
    if isinstance(where, str):
        return _query_mask(table, where, source)
    return _mapping_mask(table, where, source, section)


def describe(where: Mapping[str, object] | str) -> str:
    """Return a short text for reports, e.g. ``where aar=2017``.

    Examples
    --------
    >>> describe({"aar": 2017, "kjoenn": ["Mann", "Kvinne"]})
    "where aar=2017, kjoenn=['Mann', 'Kvinne']"
    """
    if isinstance(where, str):
        return f"where {where}"
    return "where " + ", ".join(f"{k}={v}" for k, v in where.items())
