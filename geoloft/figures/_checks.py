"""Checks of the arguments of make_figure and draw_figure, before any drawing."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoloft.columns import WORKING_CRS
from geoloft.errors import CRSError, InputError, SchemaError

#: Suffixes of the files figures are written to.
SUFFIXES = (".png", ".pdf")


def check_out(out: str | Path) -> Path:
    """Return ``out`` as a path if it ends in ``.png`` or ``.pdf``, else raise."""
    path = Path(out)
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(
            f"figures are written as PNG or PDF, not {path.suffix or 'a file without suffix'!r}.",
            source=path,
            hint="name the output file map.png or map.pdf.",
        )
    return path


def check_crs(frame: gpd.GeoDataFrame, what: str) -> None:
    """Raise unless ``frame`` has a CRS projected in metres (the scale bar needs one)."""
    if frame.crs is None:
        raise CRSError(
            "the frame has no CRS, so the scale bar cannot be measured.",
            source=what,
            hint="set it (frame.set_crs(...)) or read the file with geoloft.read_boundaries.",
        )
    if not frame.crs.is_projected or frame.crs.axis_info[0].unit_name != "metre":
        raise CRSError(
            f"the CRS ({frame.crs.to_string()}) is not projected in metres.",
            source=what,
            hint=f"reproject first: frame.to_crs({WORKING_CRS!r}).",
        )


def check_column(frame: gpd.GeoDataFrame, column: str) -> None:
    """Raise unless ``column`` is a numeric column of ``frame``."""
    if column in frame.columns and pd.api.types.is_numeric_dtype(frame[column]):
        return
    numeric = [str(c) for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    problem = "is not in the frame" if column not in frame.columns else "is not numeric"
    raise SchemaError(
        f"the column to colour by {problem}.",
        source="areas",
        column=column,
        hint=f"use one of: {', '.join(numeric) or '(no numeric columns)'}.",
    )


def check_input(
    areas: gpd.GeoDataFrame, column: str | None, zones: gpd.GeoDataFrame | None
) -> None:
    """Check the frames and column of a figure; raise on the first problem."""
    for what, frame in (("areas", areas), ("zones", zones)):
        if frame is not None and not isinstance(frame, gpd.GeoDataFrame):
            raise TypeError(f"{what} must be a GeoDataFrame, not {type(frame).__name__}.")
    if areas.empty or (areas.geometry.isna() | areas.geometry.is_empty).all():
        raise InputError(
            f"nothing to draw: none of the {len(areas)} rows has a geometry.",
            source="areas",
            hint="pass the areas or grid cells to draw.",
        )
    check_crs(areas, "areas")
    if column is not None:
        check_column(areas, column)
    if zones is not None:
        check_crs(zones, "zones")
        if zones.crs != areas.crs:
            raise CRSError(
                f"zones are in {zones.crs.to_string()}, areas in {areas.crs.to_string()}.",
                source="zones",
                hint=f"reproject both to {WORKING_CRS}.",
            )
