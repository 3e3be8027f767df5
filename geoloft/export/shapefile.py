"""Shapefile field names: at most 10 characters, mapped consistently and documented."""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

MAX_FIELD = 10


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
            writer.writerow([field, column])
    return sidecar
