"""Key columns of indicator tables: detection, id or name matching to areas."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from geoloft._io import parse_numbers
from geoloft._validate import check_unique
from geoloft._where import where_example
from geoloft.columns import AREA_ID, NAME
from geoloft.errors import InputError, SchemaError, format_rows
from geoloft.report import StageReport

#: Key (area id) column names, finest level first; matched case-insensitively.
ID_KEYS = (
    AREA_ID,
    "delbydel_id",
    "delbydelid",
    "delbydelsnr",
    "delbydelnr",
    "delbydel",
    "grunnkretsnummer",
    "grunnkrets_id",
    "grunnkretsnr",
    "grunnkrets",
    "bydel_id",
    "bydelsnr",
    "bydelnr",
    "bydel",
    "kommunenummer",
    "kommunenr",
    "knr",
)
#: Name column that goes with an id column.
NAME_FOR_KEY = {
    "delbydel_id": ("delbydel_navn", "delbydelsnavn"),
    "delbydelid": ("delbydel_navn", "delbydelsnavn", "delbydel"),
    "delbydelsnr": ("delbydelsnavn", "delbydel_navn"),
    "delbydelnr": ("delbydelsnavn", "delbydel_navn"),
    "grunnkretsnummer": ("grunnkretsnavn",),
    "grunnkrets_id": ("grunnkretsnavn", "grunnkrets_navn"),
    "grunnkretsnr": ("grunnkretsnavn",),
    "bydel_id": ("bydel_navn", "bydelsnavn"),
    "bydelsnr": ("bydelsnavn", "bydel_navn"),
    "bydelnr": ("bydelsnavn", "bydel_navn"),
    "kommunenummer": ("kommunenavn",),
    "kommunenr": ("kommunenavn",),
    "knr": ("kommunenavn",),
}
#: Name columns, tried in order when the table is keyed by name.
NAME_KEYS = (
    NAME,
    "navn",
    "delbydel_navn",
    "delbydelsnavn",
    "delbydel",
    "grunnkretsnavn",
    "grunnkrets",
    "bydel_navn",
    "bydelsnavn",
    "bydel",
    "kommunenavn",
    "kommune",
    "område",
)
#: Columns holding years, named in the hint when keys repeat.
YEAR_NAMES = ("aar", "år", "year", "årstall", "periode", "tid")
_LISTED = 20  # how many ids a warning lists


# -- key columns ----------------------------------------------------------------------


def _find(table: pd.DataFrame, names: tuple[str, ...], exclude: str | None = None) -> str | None:
    """Return the first column of ``table`` named (case-insensitively) in ``names``."""
    lower = {str(c).strip().casefold(): c for c in table.columns if c != exclude}
    return next((lower[n] for n in names if n in lower), None)


def _is_digits(values: pd.Series) -> pd.Series:
    return values.str.fullmatch(r"\d+").fillna(False).astype(bool)


def key_column(table: pd.DataFrame, key: str | None, *, name_key: bool, source: Path) -> str:
    if key is not None:
        if key not in table.columns:
            hit = _find(table, (key.casefold(),))
            if hit is None:
                raise SchemaError(
                    f"no key column {key!r}; the table has: {', '.join(table.columns)}.",
                    source=source,
                    hint="pass key= as one of these columns.",
                )
            return str(hit)
        return key
    found = _find(table, NAME_KEYS if name_key else ID_KEYS)
    if found is None and name_key:
        texts = [
            c
            for c in table.columns
            if not _is_digits(table[c].str.strip()).any() and parse_numbers(table[c]).bad_rows.size
        ]
        found = texts[0] if texts else None
    if found is None:
        wanted = "name" if name_key else "key (area id)"
        raise SchemaError(
            f"found no {wanted} column; the table has: {', '.join(table.columns)}.",
            source=source,
            hint="name it with key=, or rename it to area_id "
            f"(recognised: {', '.join((NAME_KEYS if name_key else ID_KEYS)[:8])}, …).",
        )
    return str(found)


def name_column(table: pd.DataFrame, key_col: str) -> str | None:
    paired = NAME_FOR_KEY.get(key_col.strip().casefold(), ())
    return _find(table, (*paired, NAME, "navn"), exclude=key_col)


def _normalise_names(names: pd.Series) -> pd.Series:
    text = names.astype(str).str.normalize("NFC").str.casefold()
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


def _pad_ids(keys: pd.Series, areas: pd.DataFrame, report: StageReport) -> pd.Series:
    """Zero-pad digit keys to the width of the areas' fixed-width digit ids."""
    ids = areas[AREA_ID].astype(str)
    widths = ids.str.len().unique()
    if len(widths) != 1 or not _is_digits(ids).all():
        return keys
    short = _is_digits(keys) & (keys.str.len() < widths[0])
    if short.any():
        report.notes["zero-padded keys"] = int(short.sum())
        keys = keys.where(~short, keys.str.zfill(int(widths[0])))
    return keys


def match_mode(
    keys: pd.Series,
    areas: pd.DataFrame | None,
    *,
    name_key: bool,
    explicit: bool,
    source: Path,
    report: StageReport,
) -> tuple[bool, pd.Series]:
    """Decide whether keys are ids or names; return (by_name, keys as matched)."""
    if areas is None:
        if not explicit and len(keys) and not _is_digits(keys).any():
            raise SchemaError(
                f"the key column holds names ({', '.join(keys.head(3))}, …), not ids.",
                source=source,
                column=str(report.notes["key column"]),
                hint="pass areas= (with area_id and name) to match names, "
                "or name an id column with key=.",
            )
        return False, keys
    if not name_key:
        padded = _pad_ids(keys, areas, report)
        n_ids = int(padded.isin(set(areas[AREA_ID].astype(str))).sum())
        n_names = 0
        if NAME in areas.columns:
            n_names = int(_normalise_names(keys).isin(set(_normalise_names(areas[NAME]))).sum())
        if n_names <= n_ids:
            report.notes["matched by"] = "id"
            return False, padded
        report.notes.pop("zero-padded keys", None)
    report.notes["matched by"] = "name"
    return True, keys


def check_duplicates(
    keys: pd.Series, table: pd.DataFrame, *, source: Path, column: str, by_name: bool
) -> None:
    """Raise listing repeated keys; the hint names the columns the rows repeat over."""
    norm = _normalise_names(keys) if by_name else keys
    try:
        check_unique(norm, source=source, column=column)
    except SchemaError as err:
        dup = norm.duplicated(keep=False)
        others = table.loc[dup].drop(columns=[column])
        n_values = others.groupby(norm[dup].to_numpy()).nunique().max()
        varying = [
            c
            for c in n_values[n_values > 1].index
            if str(c).casefold() in YEAR_NAMES or parse_numbers(others[c]).bad_rows.size
        ]
        hint = err.hint or ""
        if varying:
            pick = _find(others[varying], YEAR_NAMES) or varying[0]
            example = others[pick].iloc[-1]
            example = int(example) if example.isdigit() else example
            hint = (
                f"rows repeat over {', '.join(repr(c) for c in varying[:4])}: the table holds "
                f"several rows per area; select one set with {where_example(pick, example)}"
                f"{' and the other columns' if len(varying) > 1 else ''}, "
                "or aggregate the table first."
            )
        raise SchemaError(err.message, source=source, column=column, hint=hint) from None


# -- areas ---------------------------------------------------------------------------------


def check_areas(areas: pd.DataFrame | None, *, name_key: bool) -> None:
    if areas is None:
        if name_key:
            raise InputError(
                "name_key=True needs areas= to turn names into ids.",
                source="areas",
                hint="pass the areas (area_id and name).",
            )
        return
    if not isinstance(areas, pd.DataFrame):
        raise TypeError(f"areas must be a DataFrame, not {type(areas).__name__}")
    needed = [AREA_ID, NAME] if name_key else [AREA_ID]
    missing = [c for c in needed if c not in areas.columns]
    if missing:
        raise SchemaError(
            f"areas lack column(s) {', '.join(missing)}.",
            source="areas",
            hint="pass areas from read_boundaries, or rename their columns.",
        )
    check_unique(areas[AREA_ID].astype(str), source="areas", column=AREA_ID)
    if name_key:
        check_unique(_normalise_names(areas[NAME]), source="areas", column=NAME)


def attach_areas(
    keys: pd.Series, areas: pd.DataFrame, *, by_name: bool, report: StageReport
) -> pd.Series:
    """Return the area id of each row (NaN where none matches); report the mismatches."""
    ids = areas[AREA_ID].astype(str)
    if by_name:
        check_unique(_normalise_names(areas[NAME]), source="areas", column=NAME)
        lookup = pd.Series(ids.to_numpy(), index=_normalise_names(areas[NAME]).to_numpy())
        matched = _normalise_names(keys).map(lookup)
    else:
        matched = keys.where(keys.isin(set(ids)))
    unmatched = keys[matched.isna()]
    report.drop("key matches no area", len(unmatched))
    report.notes["keys matching no area"] = unmatched.tolist()
    report.notes["areas without rows"] = ids[~ids.isin(set(matched.dropna()))].tolist()
    return matched


def warn_dropped(report: StageReport, source: Path) -> None:
    """Warn about dropped rows (empty keys, keys matching no area), with counts."""
    parts = []
    n_empty = report.dropped.get("empty key", 0)
    if n_empty:
        rows = report.notes["rows with empty key"]
        parts.append(f"rows with an empty key dropped ({format_rows(rows)})")
    unmatched = report.notes.get("keys matching no area", [])
    if unmatched:
        parts.append(
            f"{_count(unmatched, 'row')} whose key matches no area dropped ({_listing(unmatched)})"
        )
    lonely = report.notes.get("areas without rows", [])
    if lonely and parts:  # areas without a row alone (uninhabited areas) are only reported
        parts.append(f"{_count(lonely, 'area')} without a row ({_listing(lonely)})")
    if parts:
        warnings.warn(
            f"{source}: {'; '.join(parts)}. See attrs['report'].", UserWarning, stacklevel=3
        )


def _count(items: list[object], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _listing(items: list[object]) -> str:
    shown = ", ".join(str(i) for i in items[:_LISTED])
    return shown + (", …" if len(items) > _LISTED else "")
