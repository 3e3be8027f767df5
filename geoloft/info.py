"""Describe an input file: what kind it is and what geoloft makes of it."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from geoloft._io import TABLE_SUFFIXES, existing_file, read_text_table
from geoloft.report import get_report

__all__ = ["FileInfo", "describe_file", "detect_kind"]

_GRID_ID = re.compile(r"^(ru|ssbid|rute)_?\d*(m|km)?$", re.IGNORECASE)
_COORD = {"lon", "lat", "longitude", "latitude", "x", "y", "lengdegrad", "breddegrad"}
RASTER_SUFFIXES = frozenset({".tif", ".tiff"})
KINDS = ("grid", "boundaries", "indicators", "measures")


@dataclass
class FileInfo:
    """What :func:`describe_file` found."""

    path: Path
    kind: str
    rows: int
    crs: str | None = None
    bounds: tuple[float, float, float, float] | None = None
    columns: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


def _header(path: Path) -> list[str]:
    if path.suffix.lower() in {".xlsx", ".xls"}:
        return [str(c) for c in pd.read_excel(path, nrows=0).columns]
    return list(read_text_table(path).columns)


def detect_kind(path: str | os.PathLike[str]) -> str:
    r"""Guess whether a file holds a grid, boundaries, an indicator table or measures.

    Returns
    -------
    str
        One of ``"grid"``, ``"boundaries"``, ``"indicators"``, ``"measures"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.csv"
    >>> _ = p.write_text("ru250m;pop_tot\\n22560006672000;4\\n")
    >>> detect_kind(p)
    'grid'
    """
    path = existing_file(path)
    if path.suffix.lower() in RASTER_SUFFIXES:
        return "grid"
    if path.suffix.lower() in TABLE_SUFFIXES:
        cols = _header(path)
        if any(_GRID_ID.match(c) for c in cols):
            return "grid"
        if len(_COORD & {c.lower() for c in cols}) >= 2:
            return "measures"
        return "indicators"
    meta = pyogrio.read_info(path)
    fields = [str(f) for f in meta["fields"]]
    if any(_GRID_ID.match(f) for f in fields):
        return "grid"
    if "point" in str(meta.get("geometry_type", "")).lower():
        return "measures"
    return "boundaries"


def describe_file(path: str | os.PathLike[str], *, kind: str | None = None) -> FileInfo:
    """Read a file with the right reader and summarise it.

    Parameters
    ----------
    path
        A boundary, grid, indicator or measure file.
    kind
        Force the kind instead of guessing it (one of ``grid``, ``boundaries``,
        ``indicators``, ``measures``).

    Returns
    -------
    FileInfo
        Kind, row count, CRS, bounds (EPSG:25833 for spatial files), columns and
        the reader's report (cell size, id and value columns, repaired
        geometries, missing values …).
    """
    from geoloft import read_boundaries, read_grid, read_indicators, read_measures

    path = existing_file(path)
    kind = kind or detect_kind(path)
    reader = {
        "grid": read_grid,
        "boundaries": read_boundaries,
        "indicators": read_indicators,
        "measures": read_measures,
    }[kind]
    frame = reader(path)
    info = FileInfo(path=path, kind=kind, rows=len(frame), columns=list(map(str, frame.columns)))
    if hasattr(frame, "crs") and frame.crs is not None:
        info.crs = frame.crs.to_string()
        info.bounds = tuple(float(v) for v in frame.total_bounds)  # type: ignore[assignment]
    report = get_report(frame)
    if report is not None:
        info.details = {"rows_in": report.rows_in, "dropped": report.dropped, **report.notes}
    if "cell_size" in frame.attrs:
        info.details["cell_size"] = frame.attrs["cell_size"]
    numeric = frame.select_dtypes("number")
    missing = {str(c): int(n) for c, n in numeric.isna().sum().items() if n}
    if missing:
        info.details["missing_values"] = missing
    return info
