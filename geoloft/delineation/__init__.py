"""Delineate intervention areas: qualifying cells or units -> contiguous, bounded areas.

An *områdeløft* works in a geographically bounded area. :func:`delineate` draws
such areas from grid cells or areal units (delbydeler, grunnkretser) with
scores: it selects qualifying rows (a rule, a top share or Gi* hot spots),
merges adjacent ones, grows areas to a population floor, splits them at a
ceiling, honours planners' locks and a higher boundary, and returns one row
per area with recomputed indicators, compactness, stability and outlines.
"""

from geoloft.delineation.adjacency import band_adjacency, cell_adjacency, unit_adjacency
from geoloft.delineation.core import delineate
from geoloft.delineation.hotspots import benjamini_hochberg, getis_ord, hotspots
from geoloft.delineation.output import membership

__all__ = [
    "band_adjacency",
    "benjamini_hochberg",
    "cell_adjacency",
    "delineate",
    "getis_ord",
    "hotspots",
    "membership",
    "unit_adjacency",
]
