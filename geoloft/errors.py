"""Exception hierarchy for geoloft.

Every error that comes from bad input is an :class:`InputError` (also a
:class:`ValueError`) and says what is wrong, where (file, column, rows) and what
to do about it. Type mistakes by the caller raise :class:`TypeError` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

__all__ = [
    "CRSError",
    "ConfigError",
    "EncodingError",
    "GeoloftError",
    "GeometryError",
    "InputError",
    "OutputExistsError",
    "SSBIdError",
    "SchemaError",
]

#: How many offending rows or ids an error message lists before it summarises.
MAX_LISTED = 5


class GeoloftError(Exception):
    """Base class of every error geoloft raises on purpose."""


def format_rows(rows: Sequence[object], total: int | None = None) -> str:
    """Format the first few offending rows or ids, with a count of the rest.

    Parameters
    ----------
    rows
        Offending row numbers, ids or values, in the order they were found.
    total
        How many there are in all, when ``rows`` holds only some of them.

    Returns
    -------
    str
        For example ``"3 rows: 4, 9, 12"`` or ``"120 rows, first 5: 1, 2, 3, 4, 5"``.

    Examples
    --------
    >>> format_rows([4, 9, 12])
    '3 rows: 4, 9, 12'
    """
    total = len(rows) if total is None else total
    shown = ", ".join(str(r) for r in list(rows)[:MAX_LISTED])
    noun = "row" if total == 1 else "rows"
    if total > MAX_LISTED:
        return f"{total} {noun}, first {MAX_LISTED}: {shown}"
    return f"{total} {noun}: {shown}"


class InputError(GeoloftError, ValueError):
    """Bad input: a file, a table, a column or an argument that cannot be used.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    source
        The file (path) or argument name the problem is in.
    column
        The column the problem is in, if any.
    rows
        The first few offending row numbers or ids (1-based data rows for files).
    n_rows
        How many rows are affected in all, when ``rows`` lists only some.
    hint
        What the user can do about it.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | PathLike[str] | None = None,
        column: str | None = None,
        rows: Sequence[object] | None = None,
        n_rows: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.source = None if source is None else str(source)
        self.column = column
        self.rows = list(rows)[:MAX_LISTED] if rows is not None else []
        self.n_rows = n_rows if n_rows is not None else (len(rows) if rows else 0)
        self.hint = hint
        super().__init__(self._compose(rows))

    def _compose(self, rows: Sequence[object] | None) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.column:
            where.append(f"column '{self.column}'")
        if rows:
            where.append(format_rows(rows, self.n_rows))
        text = f"{': '.join(where)}: {self.message}" if where else self.message
        if self.hint:
            text += f" Fix: {self.hint}"
        return text


class CRSError(InputError):
    """A missing, unknown or implausible coordinate reference system."""


class SchemaError(InputError):
    """A missing, ambiguous, duplicated or mistyped column or id."""


class GeometryError(InputError):
    """Geometries that are missing, empty, invalid or of the wrong type."""


class EncodingError(InputError):
    """A text file whose character encoding cannot be read."""


class SSBIdError(InputError):
    """SSB grid cell ids that are malformed or do not fit the cell size."""


class ConfigError(InputError):
    """A project file with unknown keys, wrong types or missing files."""


class OutputExistsError(GeoloftError, FileExistsError):
    """An output file exists and overwriting was not asked for, or it is an input."""
