"""Shapefile field names: at most 10 characters, mapped consistently and documented."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from geoloft.errors import InputError

MAX_FIELD = 10
#: dBase text fields hold at most 254 bytes; GDAL cuts longer text.
MAX_TEXT_BYTES = 254


def shapefile_field_map(columns: Sequence[str]) -> dict[str, str]:
    """Map column names to unique dBase field names of at most 10 characters.

    Names that fit are kept. Longer names are cut; a clash gets a numeric suffix
    (``indicator_`` -> ``indicato_1``). The same columns always give the same map.

    Examples
    --------
    >>> shapefile_field_map(["area_id", "low_income_rate", "low_income_flag"])
    {'area_id': 'area_id', 'low_income_rate': 'low_income', 'low_income_flag': 'low_inco_1'}
    """
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        base = re.sub(r"[^0-9A-Za-z_]", "_", str(col))[:MAX_FIELD] or "field"
        name, n = base, 0
        while name.lower() in used:
            n += 1
            suffix = f"_{n}"
            name = base[: MAX_FIELD - len(suffix)] + suffix
        used.add(name.lower())
        mapping[str(col)] = name
    return mapping


def write_field_map(mapping: dict[str, str], shp_path: Path) -> Path:
    """Write the ``.fields.csv`` sidecar: shapefile field -> full column name."""
    sidecar = shp_path.with_suffix(".fields.csv")
    with sidecar.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["field", "column"])
        for column, field in mapping.items():
            # a column name that starts a spreadsheet formula gets a leading ' (as in csv_safe)
            safe = "'" + column if column[:1] in ("=", "+", "-", "@", "\t", "\r") else column
            writer.writerow([field, safe])
    return sidecar


def check_text_width(frame: pd.DataFrame, target: Path) -> None:
    """Refuse text a Shapefile would cut (over 254 bytes in UTF-8), naming column and rows."""
    for col in frame.columns:
        values = frame[col]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        encoded = values.astype("string").fillna("").str.encode("utf-8")
        # pandas-stubs allow .str.len() on text only; pandas counts bytes as well
        width = encoded.str.len()  # type: ignore[misc]
        rows = np.flatnonzero(width.to_numpy() > MAX_TEXT_BYTES)
        if rows.size:
            raise InputError(
                f"{rows.size} value(s) are longer than the {MAX_TEXT_BYTES} bytes a Shapefile "
                "text field holds and would be cut.",
                source=target,
                column=str(col),
                rows=(rows + 1).tolist(),
                n_rows=int(rows.size),
                hint="write a GeoPackage (.gpkg) or FlatGeobuf (.fgb) instead.",
            )
