"""Id and name columns of boundary files: detection for Norwegian schemas, ids as text.

Known schemas, finest level first (column names compared case-insensitively):

========== ================================================ ==========================
level      id columns                                       name columns
========== ================================================ ==========================
grunnkrets grunnkretsnummer, grunnkretsnr                   grunnkretsnavn
delomrade  delomradenummer, delområdenummer, delomradenr    delomradenavn, delområdenavn
delbydel   DELBYDEL, delbydelsnr, delbydelnr, …             DELBYDELSN, delbydelsnavn, …
bydel      bydelsnr, bydelnr, bydelsnummer, bydelnummer     bydelsnavn, bydelnavn, bnavn
kommune    kommunenummer, kommunenr, kommunenum, knr        kommunenavn, kommunenav, knavn
fylke      fylkesnummer, fylkesnr, fylkenr                  fylkesnavn, fylkenavn
(generic)  area_id, id (else zone_id)                       name, navn
========== ================================================ ==========================
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoloft.errors import SchemaError


@dataclass(frozen=True)
class Schema:
    """Column names of one administrative level, lower case.

    ``widths`` are the digit counts of the level's official codes; numeric ids
    are zero-padded to the smallest width that holds them.
    """

    level: str | None
    ids: tuple[str, ...]
    names: tuple[str, ...]
    widths: tuple[int, ...] = ()


#: Known Norwegian schemas, finest level first; the generic one last.
SCHEMAS: tuple[Schema, ...] = (
    Schema("grunnkrets", ("grunnkretsnummer", "grunnkretsnr"), ("grunnkretsnavn",), (8,)),
    Schema(
        "delomrade",
        ("delomradenummer", "delområdenummer", "delomradenr", "delområdenr"),
        ("delomradenavn", "delområdenavn"),
        (6,),
    ),
    Schema(
        "delbydel",
        ("delbydel", "delbydelsnr", "delbydelnr", "delbydelsnummer", "delbydelnummer"),
        ("delbydelsn", "delbydelsnavn", "delbydelnavn"),
        (4,),
    ),
    Schema(
        "bydel",
        ("bydelsnr", "bydelnr", "bydelsnummer", "bydelnummer"),
        ("bydelsnavn", "bydelnavn", "bnavn"),
        (2, 6),
    ),
    Schema(
        "kommune",
        ("kommunenummer", "kommunenr", "kommunenum", "knr"),
        ("kommunenavn", "kommunenav", "knavn"),
        (4,),
    ),
    Schema("fylke", ("fylkesnummer", "fylkesnr", "fylkenr"), ("fylkesnavn", "fylkenavn"), (2,)),
)
GENERIC = Schema(None, ("area_id", "id"), ("name", "navn"))
#: Ids of geoloft's own intervention areas (intervention_areas.geojson), used when a
#: file has no other id column: a file geoloft wrote reads back with its ids.
ZONE_IDS = ("zone_id",)


@dataclass
class Columns:
    """The detected (or named) id and name columns and the level they imply."""

    id_column: str | None
    name_column: str | None
    level: str | None
    widths: tuple[int, ...] = ()
    notes: dict[str, object] = field(default_factory=dict)


def _present(columns: Sequence[str], wanted: tuple[str, ...]) -> list[str]:
    """Return the columns whose lower-case name is in ``wanted``, in file order."""
    return [c for c in columns if str(c).lower() in wanted]


def _ambiguous(what: str, found: list[str], source: str, option: str) -> SchemaError:
    return SchemaError(
        f"several columns could be the {what} column: {', '.join(found)}.",
        source=source,
        hint=f"pass {option}= naming the one to use.",
    )


def find_column(columns: Sequence[str], wanted: str, *, source: str, option: str) -> str:
    """Return the column named ``wanted`` (exact, else unique case-insensitive match)."""
    if wanted in columns:
        return wanted
    matches = [c for c in columns if str(c).lower() == wanted.lower()]
    if len(matches) == 1:
        return matches[0]
    raise SchemaError(
        f"no column named '{wanted}' ({option}=); the file has: {', '.join(map(str, columns))}.",
        source=source,
        column=wanted,
        hint=f"pass {option}= one of the columns listed.",
    )


def schema_of(column: str) -> Schema | None:
    """Return the known schema whose id column ``column`` is, if any."""
    for schema in SCHEMAS:
        if column.lower() in schema.ids:
            return schema
    return None


def _detect_id(columns: Sequence[str], source: str) -> tuple[str | None, Schema | None]:
    """Return the id column of the finest known level present, or a generic one."""
    matched = [(schema, _present(columns, schema.ids)) for schema in SCHEMAS]
    matched = [(schema, found) for schema, found in matched if found]
    for _schema, found in matched:
        if len(found) > 1:
            raise _ambiguous("id", found, source, "id_column")
    if matched:
        return matched[0][1][0], matched[0][0]
    generic = _present(columns, GENERIC.ids) or _present(columns, ZONE_IDS)
    if len(generic) > 1:
        raise _ambiguous("id", generic, source, "id_column")
    return (generic[0], GENERIC) if generic else (None, None)


def _detect_name(columns: Sequence[str], schema: Schema | None, source: str) -> str | None:
    """Return the name column of ``schema``, else of any known level, else a generic one."""
    tiers = [schema.names] if schema is not None and schema is not GENERIC else []
    if schema is None:
        tiers += [s.names for s in SCHEMAS]
    tiers.append(GENERIC.names)
    for names in tiers:
        found = _present(columns, names)
        if len(found) > 1:
            raise _ambiguous("name", found, source, "name_column")
        if found:
            return found[0]
    return None


def _schema_of_name(column: str) -> Schema | None:
    for schema in SCHEMAS:
        if column.lower() in schema.names:
            return schema
    return None


def detect_columns(
    columns: Iterable[Hashable],
    *,
    source: str,
    id_column: str | None,
    name_column: str | None,
) -> Columns:
    """Find the id and name columns, from the arguments or the known schemas.

    Raises
    ------
    SchemaError
        When a named column is missing, when several columns could be the id
        (or name) column, or when neither an id nor a name column is found.
    """
    labels = [str(c) for c in columns]
    id_col: str | None
    name_col: str | None
    if id_column is not None:
        id_col = find_column(labels, id_column, source=source, option="id_column")
        schema = schema_of(id_col)
    else:
        id_col, schema = _detect_id(labels, source)
    if name_column is not None:
        name_col = find_column(labels, name_column, source=source, option="name_column")
    else:
        name_col = _detect_name(labels, schema, source)
    if id_col is None and name_col is None:
        known = ", ".join(s.ids[0] for s in (*SCHEMAS, GENERIC))
        raise SchemaError(
            f"found no id column (looked for {known}, …); the file has: {', '.join(labels)}.",
            source=source,
            hint="pass id_column= (and name_column=) naming the columns to use.",
        )
    widths = schema.widths if schema is not None else ()
    if schema is None and name_col is not None:
        schema = _schema_of_name(name_col)
    found = Columns(id_col, name_col, schema.level if schema else None, widths)
    others = [c for c in labels if schema_of(c) not in (None, schema)]
    if others and id_column is None:
        found.notes["other_level_columns"] = others
    return found


def _integral_text(values: pd.Series) -> pd.Series:
    """Format numbers as text without a trailing ``.0`` (missing stays missing)."""
    numbers = values.astype("float64")
    integral = numbers.notna() & (numbers == np.round(numbers))
    text = numbers.astype("str")
    text[integral] = numbers[integral].astype("int64").astype("str")
    return text


def ids_as_text(values: pd.Series, *, widths: tuple[int, ...] = ()) -> tuple[pd.Series, str | None]:
    """Return ids as stripped text (missing as NA) and a note on any repair.

    Numbers are written without ``.0``; when the column holds numbers and the
    level has official code widths (kommunenummer: 4 digits, …), ids are
    zero-padded to the smallest width that holds them, since a numeric column
    has lost the leading zeros.

    Examples
    --------
    >>> text, note = ids_as_text(pd.Series([301, 4601]), widths=(4,))
    >>> text.tolist(), note
    (['0301', '4601'], 'ids stored as numbers; zero-padded to 4 digits')
    """
    note = None
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        text = _integral_text(values)
        lengths = text.dropna().str.len()
        width = next((w for w in widths if lengths.empty or lengths.max() <= w), None)
        if width is not None and len(lengths) and lengths.min() < width:
            text = text.str.zfill(width)
            note = f"ids stored as numbers; zero-padded to {width} digits"
    else:
        text = values.astype("str").str.strip()
    text = text.where(text != "")
    return text.reset_index(drop=True), note
