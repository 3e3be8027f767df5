"""Column recognition for SSB grid files: id columns, corner columns, value columns.

SSB has spelled the cell id column differently in every vintage (``ru250m``,
``ssbid250m``, ``ssbid_1000m``, ``ssbid1000M``, ``ru5000m``, ``rute_100m``,
``ssbid``); the cell size, when it is given at all, is in the column name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike

from geoloft.columns import CELL_SIZE, GEOMETRY, GRID_VALUE_ALIASES, SSBID
from geoloft.errors import SchemaError, SSBIdError
from geoloft.grid.codec import CELL_SIZES

Source = str | PathLike[str]

#: ``ru250m``, ``ssbid_1000m``, ``SSBID1000M``, ``rute_100m``, ``ru1km``, ``ssbid``, ...
_ID_NAME = re.compile(
    r"^(?:ssb_?id|ssb_?rute|ru|rute|rute_?id)(?:[_\- ]?(\d+)\s*(m|km)?)?$", re.IGNORECASE
)

#: Pairs of lower-left corner columns (lower case) in the order they are tried.
CORNER_PAIRS: tuple[tuple[str, str], ...] = (
    ("x_ll", "y_ll"),
    ("x", "y"),
    ("xcoor", "ycoor"),
    ("x_coor", "y_coor"),
    ("xkoord", "ykoord"),
    ("x_sw", "y_sw"),
    ("xmin", "ymin"),
    ("x_min", "y_min"),
)

#: Attribute columns of SSB's GML/SOSI grid products that are not values.
METADATA_COLUMNS = frozenset(
    {
        "gml_id",
        "lokalid",
        "navnerom",
        "versjonid",
        "oppdateringsdato",
        "datauttaksdato",
        "opphav",
        "statistikkår",
        "statistikkar",
        "fid",
        "ogc_fid",
        "objid",
        "objtype",
        CELL_SIZE,
        GEOMETRY,
    }
)


@dataclass(frozen=True)
class IdColumn:
    """A recognised id column and the cell size its name states (or ``None``)."""

    name: str
    size: int | None


def size_from_name(name: str, *, source: Source | None = None) -> int | None:
    """Return the cell size in metres stated in an id column name, if any.

    Examples
    --------
    >>> size_from_name("ssbid1000M"), size_from_name("ru1km"), size_from_name("ssbid")
    (1000, 1000, None)
    """
    match = _ID_NAME.match(name.strip())
    if match is None or match.group(1) is None:
        return None
    size = int(match.group(1)) * (1000 if (match.group(2) or "").lower() == "km" else 1)
    if size not in CELL_SIZES:
        raise SSBIdError(
            f"the column name says {size} m cells, a size SSB does not use.",
            source=source,
            column=name,
            hint=f"SSB cell sizes are {', '.join(map(str, CELL_SIZES))} m; rename the "
            "column or pass id_column= and cell_size=.",
        )
    return size


def _lookup(columns: Sequence[str], wanted: str, *, source: Source | None, what: str) -> str:
    """Return the column of ``columns`` equal to ``wanted`` ignoring case."""
    for col in columns:
        if col.lower() == wanted.strip().lower():
            return col
    raise SchemaError(
        f"no {what} column '{wanted}'; the table has: {', '.join(columns)}.",
        source=source,
        column=wanted,
        hint=f"name one of the columns above as {what} column.",
    )


def find_id_column(
    columns: Sequence[str], id_column: str | None, *, source: Source | None
) -> IdColumn | None:
    """Return the SSB id column of a table, or ``None`` when it has none.

    Raises
    ------
    SchemaError
        If ``id_column`` is not a column, or several columns look like ids.
    """
    if id_column is not None:
        name = _lookup(columns, id_column, source=source, what="id")
        return IdColumn(name, size_from_name(name, source=source))
    found = [c for c in columns if _ID_NAME.match(c.strip())]
    if len(found) > 1:
        raise SchemaError(
            f"several columns look like SSB cell ids: {', '.join(found)}.",
            source=source,
            hint="pass id_column= to say which one holds the ids.",
        )
    if not found:
        return None
    return IdColumn(found[0], size_from_name(found[0], source=source))


def find_corner_columns(columns: Sequence[str], *, source: Source | None) -> tuple[str, str] | None:
    """Return the (x, y) lower-left corner columns of a table, if it has one pair.

    Examples
    --------
    >>> find_corner_columns(["X_LL", "Y_LL", "pop_tot"], source=None)
    ('X_LL', 'Y_LL')
    """
    lower = {c.strip().lower(): c for c in columns}
    pairs = [(lower[x], lower[y]) for x, y in CORNER_PAIRS if x in lower and y in lower]
    if len(pairs) > 1:
        listed = "; ".join(f"{x}/{y}" for x, y in pairs)
        raise SchemaError(
            f"several pairs of corner columns: {listed}.",
            source=source,
            hint="keep one pair of lower-left corner columns, or add an SSB id column.",
        )
    return pairs[0] if pairs else None


def canonical_name(column: str) -> str:
    """Return the canonical name of a grid value column (unknown names kept).

    Examples
    --------
    >>> canonical_name("popTot"), canonical_name("sum"), canonical_name("befolkning_æøå")
    ('pop_tot', 'pop_tot', 'befolkning_æøå')
    """
    return GRID_VALUE_ALIASES.get(column.strip().lower(), column.strip())


def choose_value_columns(
    columns: Sequence[str],
    values: Sequence[str] | Mapping[str, str] | None,
    *,
    exclude: Sequence[str],
    source: Source | None,
) -> tuple[dict[str, str], bool]:
    """Map source value columns to output names.

    Returns
    -------
    tuple
        ``{source column: output name}`` and whether the user chose the columns.

    Raises
    ------
    SchemaError
        If a named column is missing, or two columns get the same output name.
    """
    if values is None:
        skip = {c.lower() for c in exclude} | METADATA_COLUMNS
        mapping = {c: canonical_name(c) for c in columns if c.strip().lower() not in skip}
    elif isinstance(values, Mapping):
        mapping = {_lookup(columns, k, source=source, what="value"): v for k, v in values.items()}
    else:
        if isinstance(values, str):
            raise TypeError("values must be a list of column names or a mapping, not a str")
        mapping = {
            _lookup(columns, k, source=source, what="value"): canonical_name(k) for k in values
        }
    _check_output_names(mapping, source=source)
    return mapping, values is not None


def _check_output_names(mapping: Mapping[str, str], *, source: Source | None) -> None:
    seen: dict[str, str] = {}
    for col, out in mapping.items():
        if out in (SSBID, CELL_SIZE, GEOMETRY):
            raise SchemaError(
                f"value column '{col}' would overwrite the '{out}' column.",
                source=source,
                column=col,
                hint="pass values= with another output name for it.",
            )
        if out in seen:
            raise SchemaError(
                f"columns '{seen[out]}' and '{col}' both mean '{out}'.",
                source=source,
                column=col,
                hint="pass values= to choose one, or give them different names.",
            )
        seen[out] = col
