"""Boundary ingest: any OGR source or TopoJSON -> valid Areas in EPSG:25833.

Areas are delbydeler, bydeler, grunnkretser (SSB's basic statistical units),
kommuner and the like: one polygon per area with an ``area_id`` (text, leading
zeros kept) and a ``name``.
"""

from geoloft.boundaries._geometry import (
    EmptyGeometryWarning,
    GeometryRepairWarning,
    StrayPartsWarning,
)
from geoloft.boundaries._read import read_boundaries

__all__ = [
    "EmptyGeometryWarning",
    "GeometryRepairWarning",
    "StrayPartsWarning",
    "read_boundaries",
]
