"""Keep only some features of a boundary file: kommune numbers or an attribute filter."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from geoloft._where import describe, row_mask
from geoloft.boundaries._sources import RawSource
from geoloft.columns import AREA_ID
from geoloft.errors import InputError
from geoloft.report import StageReport

#: Columns that name the kommune of a feature, matched case-insensitively.
KOMMUNE_COLUMNS = ("kommunenummer", "kommunenr", "kommunenum", "komm", "knr", "kommune")

#: Kommune numbers that changed in the reforms of 2018, 2020 and 2024 (newest last), for
#: files of another vintage than the number the user gives.
RENUMBERED = (
    ("1201", "4601"),  # Bergen 2020
    ("1601", "5001"),  # Trondheim 2018
    ("1001", "4204"),  # Kristiansand 2020
    ("1902", "5401", "5501"),  # Tromsø 2020, 2024
    ("0219", "3024", "3201"),  # Bærum 2020, 2024
    ("0220", "3025", "3203"),  # Asker 2020, 2024
    ("0602", "3005", "3301"),  # Drammen 2020, 2024
    ("0106", "3004", "3107"),  # Fredrikstad 2020, 2024
    ("3030", "3205"),  # Lillestrøm 2024
)


def kommune_of(ids: pd.Series) -> pd.Series:
    """Return the kommune number (4 digits) that official area ids begin with, or <NA>.

    Bydel ids (``030101``), grunnkrets ids (``02201606``) and 10-digit delbydel ids
    begin with the kommune number. 4-digit ids (kommuner, or Oslo's delbydel codes such
    as ``0102``) are ambiguous and give <NA>; the caller decides by the level.

    Examples
    --------
    >>> kommune_of(pd.Series(["030101", "02201606", "0301030101", "0102", "x"])).tolist()
    ['0301', '0220', '0301', <NA>, <NA>]
    """
    text = ids.astype("string").str.strip()
    official = text.str.fullmatch(r"\d{6}|\d{8}|\d{10}").fillna(False)
    return text.str[:4].where(official).astype("string")


def _kommune_column(attributes: pd.DataFrame) -> str | None:
    lookup = {str(c).casefold(): str(c) for c in attributes.columns}
    return next((lookup[name] for name in KOMMUNE_COLUMNS if name in lookup), None)


def kommune_numbers(
    attributes: pd.DataFrame, ids: pd.Series, level: str | None
) -> tuple[pd.Series, str] | None:
    """Return each feature's kommune number and where it came from, or None if unknown."""
    column = _kommune_column(attributes)
    if column is not None:
        text = attributes[column].astype("string").str.strip()
        digits = text.str.fullmatch(r"\d{1,4}").fillna(False)
        return text.where(~digits, text.str.zfill(4)).reset_index(drop=True), f"column {column}"
    if level == "kommune":
        return ids.astype("string").reset_index(drop=True), "the area ids"
    from_ids = kommune_of(ids)
    if from_ids.notna().any():
        return from_ids.reset_index(drop=True), "the first 4 digits of the area ids"
    return None


def _aliases(number: str) -> list[str]:
    for chain in RENUMBERED:
        if number in chain:
            return list(chain)
    return [number]


def _match_kommune(
    found: pd.Series, wanted: Sequence[str], source: str, report: StageReport
) -> np.ndarray:
    keep = np.zeros(len(found), dtype=bool)
    present = set(found.dropna())
    for number in wanted:
        hits = [n for n in _aliases(number) if n in present]
        if not hits:
            listed = ", ".join(sorted(present)[:12]) or "none"
            raise InputError(
                f"no area lies in kommune {number}; kommune numbers in the file: {listed}"
                f"{' …' if len(present) > 12 else ''}.",
                source=source,
                hint="check the number (kommune numbers changed in 2018, 2020 and 2024), or "
                "choose the areas with where= instead.",
            )
        if hits != [number]:
            report.notes.setdefault("kommune matched by another vintage's number", {})[number] = (
                hits
            )
        keep |= found.isin(hits).fillna(False).to_numpy(dtype=bool)
    return keep


def select_features(
    raw: RawSource,
    ids: pd.Series,
    names: pd.Series,
    *,
    where: Mapping[str, object] | str | None,
    kommune: Sequence[str] | str | None,
    level: str | None,
    report: StageReport,
    source: str,
) -> tuple[RawSource, pd.Series, pd.Series]:
    """Keep the features ``where`` and ``kommune`` select; report the others as dropped."""
    if not where and not kommune:
        return raw, ids, names
    keep = np.ones(len(ids), dtype=bool)
    if where:
        table = raw.attributes.reset_index(drop=True)
        if AREA_ID not in table.columns:
            table = table.assign(**{AREA_ID: ids.to_numpy()})
        keep &= row_mask(table, where, source=source, section="boundaries")
        report.drop(f"not selected by {describe(where)}", int((~keep).sum()))
        report.notes["where"] = where if isinstance(where, str) else dict(where)
    if kommune:
        wanted = [kommune] if isinstance(kommune, str) else list(kommune)
        wanted = [str(k).strip().zfill(4) for k in wanted]
        found = kommune_numbers(raw.attributes, ids, level)
        if found is None:
            raise InputError(
                "cannot tell which kommune each area lies in: the file has no kommune column "
                "and its ids do not begin with a kommune number.",
                source=source,
                hint="select the areas with where= (an attribute filter), or give the study "
                "area as a polygon file.",
            )
        numbers, origin = found
        in_kommune = _match_kommune(numbers, wanted, source, report)
        report.drop(f"outside kommune {', '.join(wanted)}", int((keep & ~in_kommune).sum()))
        report.notes["kommune from"] = origin
        keep &= in_kommune
    if not keep.any():
        raise InputError(
            "the filter keeps no area.",
            source=source,
            hint="loosen where= or check the kommune numbers.",
        )
    picked = dataclasses.replace(
        raw,
        attributes=raw.attributes.loc[keep].reset_index(drop=True),
        geometries=raw.geometries[keep],
    )
    return picked, ids[keep].reset_index(drop=True), names[keep].reset_index(drop=True)
